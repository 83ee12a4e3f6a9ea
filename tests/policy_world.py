"""The world the URL x role walk (tests/test_policy_urls.py) runs in: every role, and two of each object
(team A's and team B's; a partner's), built once per session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from commissions.models import PartnerPerk, PerkKind
from crm.models import (
    AuthorityRule,
    Category,
    Customer,
    ImportJob,
    ImportStatus,
    Product,
    ReviewStatus,
    Role,
    User,
)
from crm.services import opportunities as opp_services
from crm.services.approvals import authority_rules_seed_defaults
from reports.models import PartnerMonthlyAnalysis
from reports.worklogs import worklog_save
from settlements.models import ExportJob, Settlement
from settlements.services.generation import settlement_generate
from tests.commissions.factories import install_plan
from tests.crm.factories import build_approvers
from tests.factories import CustomerFactory, UserFactory, build_org
from tests.settlements.factories import cline
from tests.settlements.factories import partner as make_partner

SEP = dt.date(2026, 9, 1)


# One world: every role, and two of each object (team A's and team B's; a partner's)
# --------------------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    objects: dict[str, list[Any]] = field(default_factory=dict)


def _pipeline(rep: User, manager: User, finance: User, tag: str) -> dict[str, Any]:
    from decimal import Decimal

    from django.core.files.base import ContentFile

    from crm.models import (
        ApprovalRequest,
        ConcessionKind,
        ExecutionOrder,
        OpportunityAttachment,
        QuoteStatus,
        WriteOff,
    )
    from crm.services import approvals as approval_services
    from crm.services import execution_orders as eo_services
    from crm.services import implementation_orders as io_services
    from crm.services import leads as lead_services
    from crm.services import orders as order_services
    from crm.services import payments as payment_services
    from crm.services import quotes as quote_services
    from crm.services import tasks as task_services
    from tests.crm.factories import priced_product, signed_contract, visited_customer

    lead = lead_services.lead_create(by=rep, company=f"线索{tag}有限公司", source="call", contact_person="王")
    customer = visited_customer(rep)
    opp = opp_services.opportunity_create(by=rep, customer=customer, name=f"项目{tag}", amount="1000.00")
    priced_product("A", "100.00")
    quote = quote_services.quote_create(
        by=rep,
        customer=customer,
        title=f"报价{tag}",
        lines=[{"product": "A", "quantity": "1", "quoted_price": "47.00"}],
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    approval = ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)
    contract = signed_contract(rep, manager, customer=customer)
    order = order_services.order_create(
        by=rep,
        contract=contract,
        lines=[
            {
                "product": "A",
                "quantity": "2",
                "unit_price": "90.00",
            }
        ],
    )
    payment_services.payment_record(order=order, amount=Decimal("50.00"), by=finance)
    attachment = OpportunityAttachment(opportunity=opp, original_name=f"方案{tag}.pdf", uploaded_by=rep)
    attachment.file.save("plan.pdf", ContentFile(b"%PDF-1.4 plan"), save=True)
    writeoff = WriteOff.objects.create(
        order=order, amount=Decimal("150.00"), reason="客户破产", proposed_by=rep
    )
    concession = approval_services.concession_request(
        kind=ConcessionKind.CUSTOMER_REBATE,
        customer=customer,
        ratio=Decimal("0.05"),
        reason="年度返利",
        base_amount=Decimal("1000.00"),
        by=rep,
    )
    task = task_services.task_create(by=rep, title=f"回访{tag}", due_on=SEP, customer=customer)
    execution_order = eo_services.execution_order_create(
        contract=contract,
        by=rep,
        deliverables=f"软件许可{tag}",
        ship_on=SEP,
        collect_amount=Decimal("1000.00"),
        collect_on=SEP,
    )
    # 003 §9.5: an approved execution order with an implementation order raised on it.
    approved_eo = eo_services.execution_order_create(
        contract=contract,
        by=rep,
        deliverables=f"实施服务{tag}",
        ship_on=SEP,
        collect_amount=Decimal("100.00"),
        collect_on=SEP,
    )
    ExecutionOrder.objects.filter(pk=approved_eo.pk).update(status="approved")
    approved_eo.refresh_from_db()
    implementation_order = io_services.implementation_order_create(
        execution_order=approved_eo,
        by=rep,
        scope=f"上线实施{tag}",
        start_on=SEP,
        finish_on=SEP,
        items=["安装部署", "用户培训"],
    )
    return {
        "implementation_order": implementation_order,
        "implementation_order_raise": approved_eo,
        "execution_order": execution_order,
        "task": task,
        "attachment": attachment,
        "writeoff": (order, writeoff),
        "concession": concession,
        "customer": customer,
        "lead": lead,
        "opportunity": opp,
        "quote": quote,
        "approval": approval,
        "contract": contract,
        "order": order,
    }


def build_world() -> World:
    from crm.models import Department, Industry, Region
    from partners.services import collision_open
    from settlements.services import disputes as settlement_services

    org = build_org()
    approvers = build_approvers()
    director = UserFactory(username="director", display_name="总监", roles=[Role.DIRECTOR])
    org.regional_manager.manager = director
    org.regional_manager.save()
    marketing = UserFactory(username="marketing", display_name="市场", roles=[Role.MARKETING])
    dept_assistant = UserFactory(
        username="dept_assistant",
        display_name="部门助理",
        roles=[Role.DEPARTMENT_ASSISTANT],
        department=org.dept_a,
    )
    support_lead = UserFactory(
        username="support_lead", display_name="客户支持主管", roles=[Role.CUSTOMER_SUPPORT_LEAD]
    )
    implementer = UserFactory(
        username="implementer",
        display_name="实施人员",
        roles=[Role.IMPLEMENTER],
        manager=approvers.delivery_vp,
    )
    partner_login = UserFactory(username="partner_login", display_name="合伙人登录", roles=[Role.PARTNER])
    partner = make_partner(user=partner_login, region=org.region)
    users: dict[str, Any] = {
        Role.REP: org.rep_a1,
        Role.ACCOUNT_EXECUTIVE: org.executive,
        Role.SALES_MANAGER: org.manager_a,
        Role.REGIONAL_MANAGER: org.regional_manager,
        Role.DIRECTOR: director,
        Role.PRESIDENTS_ASSISTANT: org.assistant,
        Role.VP: org.vp,
        Role.PRESIDENT: org.president,
        Role.FINANCE: org.finance,
        Role.ADMIN: org.admin,
        Role.PARTNER: partner_login,
        Role.SALES_ADMIN_MANAGER: approvers.sales_admin,
        Role.RD_VP: approvers.rd_vp,
        Role.DELIVERY_VP: approvers.delivery_vp,
        Role.CUSTOMER_DIRECTOR: approvers.customer_director,
        Role.MARKETING: marketing,
        Role.DEPARTMENT_ASSISTANT: dept_assistant,
        Role.CUSTOMER_SUPPORT_LEAD: support_lead,
        Role.IMPLEMENTER: implementer,
        "anonymous": AnonymousUser(),
    }
    authority_rules_seed_defaults()
    opp_services.stages_seed_defaults()
    a = _pipeline(org.rep_a1, org.manager_a, org.finance, "甲")
    b = _pipeline(org.rep_b1, org.manager_b, org.finance, "乙")
    pool = [
        CustomerFactory(owner=None, name=f"公海客户{i}有限公司", review_status=ReviewStatus.APPROVED)
        for i in (1, 2)
    ]
    Customer.objects.filter(pk__in=[x.pk for x in pool]).update(owner=None)
    pending = CustomerFactory(owner=org.rep_a2, review_status=ReviewStatus.PENDING, region=org.region)
    clash = CustomerFactory(owner=org.rep_a1, region=org.region)
    case = collision_open(customer=clash, claimant=org.rep_b1, source="customer_create")
    partner_clash = CustomerFactory(owner=org.rep_b1, region=org.region_b)
    partner_case = collision_open(customer=partner_clash, claimant=partner, source="manual")
    lines = [cline(user=org.rep_a1, amount="100.00"), cline(user=org.rep_b1, amount="300.00")]
    cline(partner=partner, kind="rebate", category="微课程", amount="50.00")
    other_partner = make_partner(name="别区合伙人", region=org.region_b)
    perks = [
        PartnerPerk.objects.create(
            partner=pp,
            kind=PerkKind.MARKET_GUIDANCE,
            earned_for=SEP,
            valid_from=dt.date(2026, 10, 1),
            valid_until=dt.date(2026, 10, 31),
            reason="2026年9月业务总额 ¥10,000.00",
            source_key=f"perk:test:{pp.pk}",
        )
        for pp in (partner, other_partner)
    ]
    analyses = [
        PartnerMonthlyAnalysis.objects.create(
            partner=pp, month=SEP, status="submitted", next_month_plan="计划"
        )
        for pp in (partner, other_partner)
    ]
    settlement_generate(month=SEP, by=org.finance)
    sa = Settlement.objects.get(payee_user=org.rep_a1, month=SEP)
    sb = Settlement.objects.get(payee_user=org.rep_b1, month=SEP)
    sp = Settlement.objects.get(payee_partner=partner, month=SEP)
    disputes = []
    for settlement, payee in ((sa, org.rep_a1), (sb, org.rep_b1)):
        line = settlement.lines.first()
        disputes.append(
            settlement_services.dispute_create(
                line=line, by=payee, reason="金额不对", today=dt.date(2026, 10, 1)
            )
        )
    export = ExportJob.objects.create(month=SEP, requested_by=org.finance, unmasked=True)
    work_reports = [
        worklog_save(author=rep, kind="daily", day=SEP, summary="拜访", submit=True)
        for rep in (org.rep_a1, org.rep_b1)
    ]
    other_export = ExportJob.objects.create(month=SEP, requested_by=org.admin, unmasked=False)
    import_jobs = [
        ImportJob.objects.create(kind=k, requested_by=u, filename="x.csv", status=ImportStatus.DONE)
        for k, u in (("lead", org.rep_a1), ("customer", org.manager_a))
    ]
    world = World(users=users)
    world.objects = {
        "customer": [a["customer"], b["customer"], pending],
        "customer_assign": [a["customer"], b["customer"]],
        "lead": [a["lead"], b["lead"]],
        "opportunity": [a["opportunity"], b["opportunity"]],
        "task": [a["task"], b["task"]],
        "quote": [a["quote"], b["quote"]],
        "product": [Product.objects.get(code="A")],
        "category": [Category.objects.get(code="regular")],
        "approval": [a["approval"], b["approval"]],
        "contract": [a["contract"], b["contract"]],
        "contract_plan": [a["contract"], b["contract"]],
        "execution_order": [a["execution_order"], b["execution_order"]],
        "execution_order_raise": [a["contract"], b["contract"]],
        "implementation_order": [a["implementation_order"], b["implementation_order"]],
        "implementation_order_raise": [a["implementation_order_raise"], b["implementation_order_raise"]],
        "implementation_item": [
            a["implementation_order"].items.first(),
            b["implementation_order"].items.first(),
        ],
        "order": [a["order"], b["order"]],
        "order_credit": [a["order"], b["order"]],
        "attachment": [a["attachment"], b["attachment"]],
        "writeoff": [a["writeoff"], b["writeoff"]],
        "concession": [a["concession"], b["concession"]],
        "pool": pool[:1],
        "collision": [case, partner_case],
        "line": lines,
        "settlement": [sa, sb, sp],
        "settlement_line": [sa, sb],
        "settlement_dispute": list(zip([sa, sb], disputes, strict=True)),
        "dispute": disputes,
        "export": [export, other_export],
        "import_job": import_jobs,
        "export_file": [export, other_export],
        "region": [org.region],
        "authority_rule": [AuthorityRule.objects.order_by("pk").first()],
        "plan": [install_plan("sales_progressive")],
        "department": [org.dept_a],
        "industry": [Industry.objects.create(name="制造业")],
        "user": [org.rep_b1],
        "partner": [partner],
        "work_report": work_reports,
        "perk": perks,
        "a3": analyses,
    }
    assert Region.objects.exists() and Department.objects.exists()
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The world, built once per test module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
