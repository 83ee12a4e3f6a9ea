"""Q2: every authority-matrix row at and around its edges; self, out-of-order and above-authority refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from common.errors import DomainError
from crm.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    AuthorityRule,
    Concession,
    ContractStatus,
    QuoteStatus,
    Role,
    StepStatus,
)
from crm.services import contracts as contract_services
from crm.services import quotes as quote_services
from crm.services.approvals import (
    approval_chain,
    approval_decide,
    approvals_waiting_for,
    authority_rule_for,
    authority_rules_seed_defaults,
    concession_request,
)
from tests.crm.factories import build_approvers, priced_product, visited_customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
D = Decimal
COUNTERSIGN = [[Role.SALES_ADMIN_MANAGER], [Role.RD_VP], [Role.DELIVERY_VP], [Role.PRESIDENT]]


@pytest.fixture(autouse=True)
def _matrix(db):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()


@pytest.mark.parametrize(
    ("ratio", "chain"),
    [
        (D("1"), [[Role.SALES_MANAGER]]),
        (D("0.5"), [[Role.SALES_MANAGER]]),
        (D("0.4999"), [[Role.PRESIDENTS_ASSISTANT]]),
        (D("0.45"), [[Role.PRESIDENTS_ASSISTANT]]),
        (D("0.4499"), [[Role.VP, Role.PRESIDENT]]),
        (D("0.1"), [[Role.VP, Role.PRESIDENT]]),
    ],
)
def test_quote_discount_rows_at_their_edges(ratio, chain):  # type: ignore[no-untyped-def]
    assert authority_rule_for(kind=ApprovalKind.QUOTE_DISCOUNT, ratio=ratio).chain == chain


@pytest.mark.parametrize(
    ("amount", "ratio", "standard", "chain"),
    [
        (D("200000.00"), D("0.45"), True, [[Role.SALES_MANAGER]]),
        (D("200000.00"), D("1"), True, [[Role.SALES_MANAGER]]),
        (D("200000.01"), D("1"), True, COUNTERSIGN),
        (D("150000.00"), D("0.4499"), True, COUNTERSIGN),
        (D("150000.00"), D("0.9"), False, COUNTERSIGN),
    ],
)
def test_contract_rows_at_their_edges(amount, ratio, standard, chain):  # type: ignore[no-untyped-def]
    rule = authority_rule_for(
        kind=ApprovalKind.CONTRACT, ratio=ratio, amount=amount, standard_template=standard
    )
    assert rule.chain == chain


@pytest.mark.parametrize(
    ("ratio", "chain"),
    [
        (D("0"), [[Role.REP]]),
        (D("0.05"), [[Role.REP]]),
        (D("0.0501"), [[Role.CUSTOMER_DIRECTOR]]),
        (D("0.0999"), [[Role.CUSTOMER_DIRECTOR]]),
        (D("0.10"), [[Role.PRESIDENT]]),
        (D("0.2"), [[Role.PRESIDENT]]),
    ],
)
def test_customer_rebate_rows(ratio, chain):  # type: ignore[no-untyped-def]
    assert authority_rule_for(kind=ApprovalKind.CUSTOMER_REBATE, ratio=ratio).chain == chain


@pytest.mark.parametrize(
    ("kind", "ratio", "chain"),
    [
        (ApprovalKind.MAKE_GOOD_PLATFORM, D("0.01"), [[Role.REP]]),
        (ApprovalKind.MAKE_GOOD_PLATFORM, D("0.0101"), [[Role.CUSTOMER_DIRECTOR]]),
        (ApprovalKind.MAKE_GOOD_PLATFORM, D("0.05"), [[Role.CUSTOMER_DIRECTOR]]),
        (ApprovalKind.MAKE_GOOD_PLATFORM, D("0.0501"), [[Role.VP, Role.PRESIDENT]]),
        (ApprovalKind.MAKE_GOOD_DATABASE, D("0.02"), [[Role.REP]]),
        (ApprovalKind.MAKE_GOOD_DATABASE, D("0.0201"), [[Role.CUSTOMER_DIRECTOR]]),
        (ApprovalKind.MAKE_GOOD_DATABASE, D("0.05"), [[Role.CUSTOMER_DIRECTOR]]),
        (ApprovalKind.MAKE_GOOD_DATABASE, D("0.0501"), [[Role.VP, Role.PRESIDENT]]),
    ],
)
def test_make_good_rows(kind, ratio, chain):  # type: ignore[no-untyped-def]
    assert authority_rule_for(kind=kind, ratio=ratio).chain == chain


def test_below_floor_goes_to_regional_manager_or_above():
    chain = authority_rule_for(kind=ApprovalKind.BELOW_FLOOR, amount=D("1.00")).chain
    assert chain == [[Role.REGIONAL_MANAGER, Role.DIRECTOR, Role.VP, Role.PRESIDENT]]


def test_matrix_is_effective_dated(org):  # type: ignore[no-untyped-def]
    import datetime as dt

    AuthorityRule.objects.filter(kind=ApprovalKind.QUOTE_DISCOUNT).update(effective_to=dt.date(2030, 12, 31))
    AuthorityRule.objects.create(
        kind=ApprovalKind.QUOTE_DISCOUNT,
        name="2031起全部总裁审批",
        chain=[[Role.PRESIDENT]],
        effective_from=dt.date(2031, 1, 1),
    )
    assert authority_rule_for(kind="quote_discount", ratio=D("0.9"), on=dt.date(2030, 12, 31)).chain == [
        [Role.SALES_MANAGER]
    ]
    assert authority_rule_for(kind="quote_discount", ratio=D("0.9"), on=dt.date(2031, 1, 1)).chain == [
        [Role.PRESIDENT]
    ]


def _quote(org, quoted: str, list_price: str = "100.00"):  # type: ignore[no-untyped-def]
    priced_product("软件许可", list_price)
    customer = visited_customer(org.rep_a1)
    quote = quote_services.quote_create(
        by=org.rep_a1,
        customer=customer,
        title="年度采购",
        lines=[{"product": "软件许可", "quantity": "100", "quoted_price": quoted}],
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=org.rep_a1)
    return quote, ApprovalRequest.objects.filter(kind=ApprovalKind.QUOTE_DISCOUNT, object_id=quote.pk).first()


def test_quote_at_exactly_half_is_the_department_managers(org):  # type: ignore[no-untyped-def]
    quote, req = _quote(org, "50.00")
    assert req.steps.get().assignee == org.manager_a
    assert [s.request_id for s in approvals_waiting_for(user=org.manager_a)] == [req.pk]
    approval_decide(request=req, by=org.manager_a, approve=True, reason="同意")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED


def test_manager_cannot_approve_above_authority_4_5_zhe(org):  # type: ignore[no-untyped-def]
    quote, req = _quote(org, "49.99")
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.manager_a, approve=True, reason="同意")
    assert exc.value.code == "above_authority"
    assert "总裁助理" in str(exc.value.message)
    assert approvals_waiting_for(user=org.manager_a).count() == 0
    approval_decide(request=req, by=org.assistant, approve=True, reason="同意")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED


def test_below_45_needs_vp_or_president_not_assistant(org):  # type: ignore[no-untyped-def]
    quote, req = _quote(org, "44.99")
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.assistant, approve=True)
    assert exc.value.code == "above_authority"
    approval_decide(request=req, by=org.vp, approve=True)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED


def test_quote_at_45_is_the_assistants(org):  # type: ignore[no-untyped-def]
    _quote_obj, req = _quote(org, "45.00")
    assert req.rule.chain == [[Role.PRESIDENTS_ASSISTANT]]


def test_self_approval_refused_even_for_a_manager(org):  # type: ignore[no-untyped-def]
    customer = visited_customer(org.manager_a)
    priced_product("A", "100.00")
    quote = quote_services.quote_create(
        by=org.manager_a,
        customer=customer,
        title="经理自己的报价",
        lines=[{"product": "A", "quantity": "1", "quoted_price": "80.00"}],
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=org.manager_a)
    req = ApprovalRequest.objects.get(object_id=quote.pk, kind="quote_discount")
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.manager_a, approve=True)
    assert exc.value.code == "self_approval"
    # the manager's own request goes up to the regional manager's authority instead
    assert req.steps.get().assignee != org.manager_a
    assert req.steps.get().status == StepStatus.PENDING


def test_rejection_needs_reason_and_keeps_who_when_why(org):  # type: ignore[no-untyped-def]
    quote, req = _quote(org, "60.00")
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.manager_a, approve=False, reason="  ")
    assert exc.value.code == "reason_required"
    approval_decide(request=req, by=org.manager_a, approve=False, reason="折扣过大")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.REJECTED
    step = req.steps.get()
    assert (step.decided_by, step.reason, step.status) == (org.manager_a, "折扣过大", StepStatus.REJECTED)
    assert step.decided_at is not None
    with pytest.raises(DomainError):
        approval_decide(request=req, by=org.manager_a, approve=True)


def _contract_in_review(org, amount: str, list_amount: str, standard: bool = True):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=org.rep_a1)
    contract = contract_services.contract_create(
        by=org.rep_a1,
        customer=customer,
        title="合同",
        amount=D(amount),
        list_amount=D(list_amount),
        standard_template=standard,
    )
    contract_services.contract_transition(contract=contract, to=ContractStatus.IN_REVIEW, by=org.rep_a1)
    return contract, ApprovalRequest.objects.get(kind=ApprovalKind.CONTRACT, object_id=contract.pk)


def test_contract_countersign_in_order_and_out_of_order_refused(org):  # type: ignore[no-untyped-def]
    ap = build_approvers()
    contract, req = _contract_in_review(org, "200000.01", "200000.01")
    chain = approval_chain(req)
    assert [r["is_next"] for r in chain] == [True, False, False, False]
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.president, approve=True)
    assert exc.value.code == "out_of_order"
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=ap.delivery_vp, approve=True)
    assert exc.value.code == "out_of_order"
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.manager_a, approve=True)
    assert exc.value.code == "above_authority"
    for who in (ap.sales_admin, ap.rd_vp, ap.delivery_vp):
        approval_decide(request=req, by=who, approve=True, reason="会签同意")
        contract.refresh_from_db()
        assert contract.status == ContractStatus.IN_REVIEW
    with pytest.raises(DomainError):  # not signed before the last signature
        contract_services.contract_transition(contract=contract, to=ContractStatus.SIGNED, by=org.rep_a1)
    approval_decide(request=req, by=org.president, approve=True, reason="同意")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED
    assert [s.decided_by for s in req.steps.order_by("order")] == [
        ap.sales_admin,
        ap.rd_vp,
        ap.delivery_vp,
        org.president,
    ]
    contract_services.contract_transition(contract=contract, to=ContractStatus.SIGNED, by=org.rep_a1)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED


def test_contract_at_exactly_200000_standard_is_department_manager_alone(org):  # type: ignore[no-untyped-def]
    _contract, req = _contract_in_review(org, "200000.00", "444444.44")  # 45.0000% of list
    assert req.steps.count() == 1
    approval_decide(request=req, by=org.manager_a, approve=True)
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED


def test_contract_rejection_returns_to_draft(org):  # type: ignore[no-untyped-def]
    build_approvers()
    contract, req = _contract_in_review(org, "100.00", "100.00", standard=False)
    assert req.steps.count() == 4
    from crm.models import User

    approval_decide(request=req, by=User.objects.get(username="sam"), approve=False, reason="非标条款不接受")
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT
    assert list(req.steps.order_by("order").values_list("status", flat=True)) == [
        StepStatus.REJECTED,
        StepStatus.SKIPPED,
        StepStatus.SKIPPED,
        StepStatus.SKIPPED,
    ]


def test_rebate_within_account_managers_authority_is_their_own_call(org):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=org.rep_a1)
    c = concession_request(
        kind="customer_rebate", customer=customer, ratio=D("0.05"), reason="年度返利", by=org.rep_a1
    )
    assert c.status == "approved"


def test_rebate_asked_by_executive_goes_to_the_account_manager(org):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=org.rep_a1)
    c = concession_request(
        kind="customer_rebate", customer=customer, ratio=D("0.05"), reason="返利", by=org.executive
    )
    req = ApprovalRequest.objects.get(kind="customer_rebate", object_id=c.pk)
    assert req.steps.get().assignee == org.rep_a1
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.rep_a2, approve=True)
    assert exc.value.code == "above_authority"
    approval_decide(request=req, by=org.rep_a1, approve=True)
    assert Concession.objects.get(pk=c.pk).status == "approved"


def test_rebate_over_5_percent_needs_customer_director(org):  # type: ignore[no-untyped-def]
    ap = build_approvers()
    customer = CustomerFactory(owner=org.rep_a1)
    c = concession_request(
        kind="customer_rebate", customer=customer, ratio=D("0.0501"), reason="返利", by=org.rep_a1
    )
    assert c.status == "pending"
    req = ApprovalRequest.objects.get(kind="customer_rebate", object_id=c.pk)
    with pytest.raises(DomainError):
        approval_decide(request=req, by=org.manager_a, approve=True)
    approval_decide(request=req, by=ap.customer_director, approve=True)
    assert Concession.objects.get(pk=c.pk).status == "approved"


def test_rebate_at_10_percent_needs_general_manager(org):  # type: ignore[no-untyped-def]
    ap = build_approvers()
    customer = CustomerFactory(owner=org.rep_a1)
    c = concession_request(
        kind="customer_rebate", customer=customer, ratio=D("0.10"), reason="返利", by=org.rep_a1
    )
    req = ApprovalRequest.objects.get(kind="customer_rebate", object_id=c.pk)
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=ap.customer_director, approve=True)
    assert exc.value.code == "above_authority"
    approval_decide(request=req, by=org.president, approve=True)
    assert Concession.objects.get(pk=c.pk).status == "approved"


def test_a_higher_line_manager_may_decide_a_department_step_but_another_team_may_not(org):  # type: ignore[no-untyped-def]
    _quote_obj, req = _quote(org, "80.00")
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.manager_b, approve=True)
    assert exc.value.code == "above_authority"
    approval_decide(request=req, by=org.regional_manager, approve=True, reason="代部门经理审批")
    req.refresh_from_db()
    assert req.status == ApprovalStatus.APPROVED


def test_matrix_edits_are_audited_and_admin_pages_render(org, client_for):  # type: ignore[no-untyped-def]
    rule = AuthorityRule.objects.get(kind=ApprovalKind.QUOTE_DISCOUNT, priority=10)
    rule.ratio_min = D("0.55")
    rule._history_user = org.admin  # type: ignore[attr-defined]
    rule.save()
    last = rule.history.latest()
    assert (last.history_type, last.ratio_min, last.history_user) == ("~", D("0.55"), org.admin)
    client = client_for(org.admin)
    for url in (
        "/admin/crm/authorityrule/",
        f"/admin/crm/authorityrule/{rule.pk}/change/",
        f"/admin/crm/authorityrule/{rule.pk}/history/",
        "/admin/crm/pipelinestage/",
        "/admin/crm/leadassignmentrule/",
        "/admin/crm/pipelinepolicy/",
        "/admin/crm/approvalrequest/",
    ):
        assert client.get(url).status_code == 200, url


def test_matrix_row_with_unknown_role_or_upside_down_range_is_refused_in_admin(org, client_for):  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    bad = AuthorityRule(kind="quote_discount", name="x", chain=[["ceo"]], effective_from="2026-01-01")
    with pytest.raises(ValidationError):
        bad.full_clean()
    bad = AuthorityRule(
        kind="quote_discount",
        name="x",
        chain=[["vp"]],
        ratio_min=D("0.6"),
        ratio_max=D("0.5"),
        effective_from="2026-01-01",
    )
    with pytest.raises(ValidationError):
        bad.full_clean()
    resp = client_for(org.admin).post(
        "/admin/crm/authorityrule/add/",
        {
            "kind": "quote_discount",
            "name": "坏规则",
            "priority": "5",
            "chain": '[["nobody"]]',
            "effective_from": "2026-01-01",
            "ratio_min_inclusive": "on",
            "amount_min_inclusive": "on",
            "amount_max_inclusive": "on",
        },
    )
    assert resp.status_code == 200 and "未知的角色" in resp.content.decode()
    assert not AuthorityRule.objects.filter(name="坏规则").exists()
