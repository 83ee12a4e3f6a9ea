"""Demo pipeline: leads, opportunities in every stage, approved and pending quotes, contracts in every
status, orders over the last four months (credit shares frozen by the booking service), payments,
refunds, overdue receivables (watch / weekly meeting / bad debt) and a pending write-off.

Everything goes through the services, so the demo obeys the same rules as the product. Puts
`orders` (booked Order objects, oldest first) into ctx for the commission and settlement seeders."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from common.money import round_fen
from common.timeutil import local_date, local_today
from crm.models import (
    ApprovalRequest,
    ApprovalStatus,
    ContractStatus,
    Customer,
    FollowUp,
    FollowUpChannel,
    LeadAssignmentRule,
    LeadSource,
    OpportunityStage,
    Order,
    OrderStatus,
    Product,
    QuoteStatus,
    Role,
    User,
)
from crm.models.customers import ONSITE_CHANNELS
from crm.services import catalog
from crm.services import contracts as contract_services
from crm.services import leads as lead_services
from crm.services import opportunities as opp_services
from crm.services import orders as order_services
from crm.services import payments as payment_services
from crm.services import quotes as quote_services
from crm.services import receivables as receivable_services
from crm.services.approvals import (
    approval_decide,
    authority_rules_seed_defaults,
    concession_request,
    latest_request_for,
)

# The demo price book: (code, name, category code, cost basis, list price); floor = 70% of list, sourced
# and outsourced products cost 45% of list. A second price row (+5%) starts 30 days ago.
PRODUCTS = [
    ("SW-ENT", "企业版软件许可", "regular", "own", Decimal("12000.00")),
    ("SV-PRO", "高端定制服务", "high_end", "own", Decimal("58000.00")),
    ("NP-KIT", "新品试用套装", "new_product", "own", Decimal("6800.00")),
    ("HW-SRC", "外调硬件", "sourced", "sourced", Decimal("3500.00")),
    ("OS-IMP", "外包实施", "outsourced", "outsourced", Decimal("20000.00")),
    ("ED-TKT", "家庭教育讲座门票", "family_edu_ticket", "own", Decimal("1980.00")),
    ("ED-CMP", "学生暑期特训营", "student_camp", "own", Decimal("6800.00")),
    ("ED-MIC", "亲子沟通微课程", "micro_course", "own", Decimal("299.00")),
    ("BK-001", "《家庭教育指南》", "books", "own", Decimal("38.00")),
]
SALES_PRODUCTS = PRODUCTS[:5]


def _price_book(today: dt.date, by: User) -> None:
    """Seed the catalogue and its price book (idempotent)."""
    for code, name, category, basis, price in PRODUCTS:
        if Product.objects.filter(code=code).exists():
            continue
        product = catalog.product_save(
            by=by,
            code=code,
            name=name,
            category=category,
            cost_basis=basis,
            unit="套" if code[:2] != "BK" else "本",
        )
        for start, list_price in (
            (dt.date(2020, 1, 1), price),
            (today - dt.timedelta(days=30), round_fen(price * Decimal("1.05"))),
        ):
            catalog.product_price_set(
                by=by,
                product=product,
                effective_from=start,
                list_price=list_price,
                floor_price=round_fen(list_price * Decimal("0.7")),
                unit_cost=round_fen(list_price * Decimal("0.45")) if basis != "own" else None,
            )


LEAD_NAMES = ["云帆", "锦程", "海纳", "天成", "凯盛", "蓝图", "智联", "同创", "和信", "普惠", "鼎新", "卓越"]


def _user(username: str, name: str, role: str, manager: User | None) -> User:
    from crm.demo import DEMO_PASSWORD

    user, created = User.objects.get_or_create(
        username=username, defaults={"display_name": name, "manager": manager}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def _manager_of(rep: User) -> User:
    dept = rep.department
    return dept.manager if dept and dept.manager else rep.manager  # type: ignore[return-value]


def _lines(rng: random.Random, *, below_floor: bool = False) -> list[dict[str, Any]]:
    """Order lines as a rep enters them under a contract without a quote: product and agreed price.
    List price, floor and cost come from the price book."""
    out = []
    for code, _name, _category, _basis, price in rng.sample(SALES_PRODUCTS, rng.randint(1, 3)):
        qty = Decimal(rng.randint(1, 5))
        unit = round_fen(price * Decimal(rng.choice(["1", "0.95", "0.9", "0.85"])))
        if below_floor:
            unit = round_fen(price * Decimal("0.6"))
            below_floor = False
        out.append({"product": code, "quantity": qty, "unit_price": unit})
    return out


def _approve_all(
    subject: Any, *, reason: str = "同意", rate: Decimal | None = None, stop_after: int = 99
) -> None:
    """Walk a request's chain, each step decided by its assignee or a holder of its role."""
    req = latest_request_for(subject)
    done = 0
    while req is not None and req.status == ApprovalStatus.PENDING and done < stop_after:
        step = req.steps.get(order=req.current_order)
        who = step.assignee or (
            User.objects.filter(groups__name__in=step.role_list, is_active=True)
            .exclude(pk=req.requested_by_id)
            .order_by("id")
            .first()
        )
        req = approval_decide(request=req, by=who, approve=True, reason=reason, rate=rate)  # type: ignore[arg-type]
        done += 1


def _signed_contract(customer: Customer, rep: User, amount: Decimal, title: str) -> Any:
    contract = contract_services.contract_create(
        by=rep, customer=customer, title=title, amount=amount, standard_template=True
    )
    contract_services.contract_transition(contract=contract, to=ContractStatus.IN_REVIEW, by=rep)
    _approve_all(contract, reason="同意签约")
    return contract_services.contract_transition(contract=contract, to=ContractStatus.SIGNED, by=rep)


def seed(ctx: dict[str, Any]) -> None:
    rng: random.Random = ctx["rng"]
    reps: list[User] = ctx["reps"]
    finance: User = ctx["finance"]
    president: User = ctx["president"]
    vp: User = ctx["vp"]
    authority_rules_seed_defaults()
    opp_services.stages_seed_defaults()
    # Q2 countersign roles for the demo company.
    ctx["sales_admin"] = _user("salesadmin", "孙销管", Role.SALES_ADMIN_MANAGER, president)
    ctx["rd_vp"] = _user("rdvp", "钟研发", Role.RD_VP, president)
    ctx["delivery_vp"] = _user("deliveryvp", "韩交付", Role.DELIVERY_VP, president)
    ctx["customer_director"] = _user("custdir", "罗客户总监", Role.CUSTOMER_DIRECTOR, vp)
    marketing = _user("marketing", "夏市场", Role.MARKETING, ctx["director"])

    if Order.objects.filter(contract__isnull=False).exists():  # already seeded
        ctx["orders"] = list(Order.objects.filter(status=OrderStatus.BOOKED).order_by("booked_at"))
        return

    _price_book(local_today(), president)

    # L1: assignment table — each region's reps, round-robin; leads from every channel.
    for region in ctx["regions"]:
        rule, _ = LeadAssignmentRule.objects.get_or_create(region=region, industry=None)
        rule.users.set([r for r in reps if r.department and r.department.region_id == region.pk])
    for i, word in enumerate(LEAD_NAMES):
        region = ctx["regions"][i % 2]
        lead_services.lead_create(
            by=marketing,
            company=f"{'上海北京'[i % 2 * 2 : i % 2 * 2 + 2]}{word}网络科技有限公司",
            source=[LeadSource.CALL, LeadSource.WEBSITE, LeadSource.CHAT, LeadSource.IMPORT][i % 4],
            contact_person=f"{'赵钱孙李'[i % 4]}经理",
            phone=f"1870000{i:04d}",
            region=region,
            industry=rng.choice(ctx["industries"]),
        )
    # one duplicate of an existing customer, flagged
    some = Customer.objects.order_by("id").first()
    if some:
        lead_services.lead_create(
            by=marketing, company=some.name, source=LeadSource.CALL, contact_person="重复线索"
        )

    # Customers with an on-site visit (Q1), per rep.
    visited_ids = set(
        FollowUp.objects.filter(channel__in=list(ONSITE_CHANNELS)).values_list("customer_id", flat=True)
    )
    by_rep: dict[int, list[Customer]] = {}
    for c in Customer.objects.filter(owner__in=reps).order_by("id"):
        by_rep.setdefault(c.owner_id, []).append(c)  # type: ignore[arg-type]
    now = timezone.now()
    today = local_today()

    def visited(rep: User, k: int) -> Customer:
        mine = by_rep[rep.pk]
        c = mine[k % len(mine)]
        if c.pk not in visited_ids:
            FollowUp.objects.create(
                customer=c,
                author=rep,
                occurred_at=now - dt.timedelta(days=130),
                channel=FollowUpChannel.VISIT_NEW,
                topic="上门拜访，了解需求",
            )
            visited_ids.add(c.pk)
        return c

    # L2: opportunities in every stage.
    stages = [s for s, _ in OpportunityStage.choices]
    for i, rep in enumerate(reps):
        for j, stage in enumerate(stages):
            if (i + j) % 2:
                continue
            customer = visited(rep, j + 7)
            opp = opp_services.opportunity_create(
                by=rep,
                customer=customer,
                name=f"{customer.name[:6]}{['信息化', '扩容', '续约', '新品'][j % 4]}项目",
                amount=Decimal(rng.randint(20, 400) * 1000),
                expected_sign_date=today + dt.timedelta(days=rng.randint(10, 120)),
                competitors=rng.choice(["", "用友", "金蝶", "浪潮"]),
            )
            path = (
                stages[1 : stages.index(stage) + 1] if stage not in ("won", "lost") else [*stages[1:4], stage]
            )
            for step in path:
                opp_services.opportunity_transition(
                    opportunity=opp, to=step, by=rep, reason="客户选择竞品" if step == "lost" else ""
                )
            if stage in ("won", "lost") and i % 3 == 0:
                opp_services.opportunity_confirm_close(opportunity=opp, by=_manager_of(rep))

    # Q1/Q2: quotes — approved at every level, and some pending in the inboxes.
    for i, rep in enumerate(reps):
        for k, (ratio, approve) in enumerate(
            [("0.9", True), ("0.48", True), ("0.4", True), ("0.8", False), ("0.47", False)]
        ):
            if (i + k) % 3 == 2:
                continue
            customer = visited(rep, k + 1)
            price = Decimal("12600.00")  # SW-ENT's list price in force today
            quote = quote_services.quote_create(
                by=rep,
                customer=customer,
                title=f"{customer.name[:6]}报价",
                lines=[
                    {"product": "SW-ENT", "quantity": 2, "quoted_price": round_fen(price * Decimal(ratio))}
                ],
            )
            quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
            if approve:
                _approve_all(quote)
                if k == 0:
                    quote_services.quote_transition(quote=quote, to=QuoteStatus.SENT, by=rep)

    # Q3: contracts in review (one countersign chain half way), draft, terminated.
    rep0, rep1 = reps[0], reps[1]
    draft = contract_services.contract_create(
        by=rep0, customer=visited(rep0, 2), title="年度服务合同（草稿）", amount=Decimal("88000.00")
    )
    big = contract_services.contract_create(
        by=rep1,
        customer=visited(rep1, 2),
        title="集团框架协议（非标）",
        amount=Decimal("680000.00"),
        standard_template=False,
    )
    contract_services.contract_transition(contract=big, to=ContractStatus.IN_REVIEW, by=rep1)
    _approve_all(big, reason="会签同意", stop_after=2)  # sales management and R&D signed; delivery VP next
    contract_services.contract_transition(contract=draft, to=ContractStatus.IN_REVIEW, by=rep0)
    contract_services.contract_create(
        by=reps[2], customer=visited(reps[2], 2), title="设备维保合同（草稿）", amount=Decimal("36000.00")
    )
    cancelled = contract_services.contract_create(
        by=reps[3], customer=visited(reps[3], 2), title="试点合同", amount=Decimal("15000.00")
    )
    contract_services.contract_transition(
        contract=cancelled, to=ContractStatus.TERMINATED, by=_manager_of(reps[3]), comment="客户预算取消"
    )

    # Q4/Q5: orders over the last ~4 months, payments, refunds; older unpaid ones for aging.
    orders: list[Order] = []
    plan = [(rep, rng.randint(3, 118)) for rep in reps for _ in range(4)]
    plan += [(reps[2], 100), (reps[3], 160), (reps[4], 240), (reps[5], 250)]  # Q6 watch / meeting / bad debt
    plan.sort(key=lambda p: -p[1])
    for n, (rep, days_ago) in enumerate(plan):
        customer = visited(rep, n + 3)
        booked = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 6))
        lines = _lines(rng)
        amount = round_fen(sum((ln["quantity"] * ln["unit_price"] for ln in lines), Decimal("0")))
        contract = _signed_contract(customer, rep, amount, f"{customer.name[:6]}采购合同")
        order = order_services.order_create(by=rep, contract=contract, lines=lines, booked_at=booked)
        if n % 5 == 0:
            contract_services.contract_transition(contract=contract, to=ContractStatus.IN_DELIVERY, by=rep)
        if n % 10 == 0:
            contract_services.contract_transition(contract=contract, to=ContractStatus.COMPLETED, by=rep)
        orders.append(order)
        booked_day = local_date(booked)
        if days_ago >= 100 and n < 4:
            continue  # the aging examples stay unpaid
        paid_on = min(booked_day + dt.timedelta(days=rng.randint(5, 40)), today)
        share = rng.choice([Decimal("1"), Decimal("1"), Decimal("0.5"), Decimal("0.3")])
        payment_services.payment_record(
            order=order,
            amount=round_fen(order.total * share),
            by=finance,
            received_on=paid_on,
            reference=f"BK{order.pk:06d}",
        )
        payment_services.invoice_record(order=order, amount=order.total, by=finance, issued_on=booked_day)
        if n % 9 == 4:
            refund = round_fen(order.lines.first().amount / 2)  # type: ignore[union-attr]
            payment_services.refund_record(
                order=order,
                amount=min(refund, order.received),
                reason="部分退货",
                by=finance,
                received_on=paid_on,
            )

    # Q2: a below-floor order approved by the regional manager (who set the rate), one still waiting.
    for k, rep in enumerate(reps[6:8]):
        customer = visited(rep, 20)
        lines = _lines(rng, below_floor=True)
        amount = round_fen(sum((ln["quantity"] * ln["unit_price"] for ln in lines), Decimal("0")))
        contract = _signed_contract(customer, rep, amount, "特价采购合同")
        order = order_services.order_create(
            by=rep, contract=contract, lines=lines, booked_at=now - dt.timedelta(days=20)
        )
        if k == 0:
            _approve_all(order, reason="清库存，同意特价", rate=Decimal("0.01"))
            order.refresh_from_db()
            orders.append(order)

    # Q6: bad debts — one write-off approved by finance (negative sales this year, commission clawback),
    # one proposed and waiting in finance's inbox.
    old_debts = [o for o in orders if local_date(o.booked_at) <= today - dt.timedelta(days=240)]
    approved = receivable_services.writeoff_propose(
        order=old_debts[0], amount=old_debts[0].total, reason="客户已注销，无法收回", by=old_debts[0].owner
    )
    # 002 §8.3: the board decided; finance records its resolution before approving.
    from django.core.files.base import ContentFile

    resolution_by = User.objects.filter(groups__name=Role.FINANCE).order_by("pk").first()
    if resolution_by is not None:
        receivable_services.writeoff_board_resolution_record(
            writeoff=approved,
            by=resolution_by,
            number="董决〔演示〕1号",
            resolved_on=today - dt.timedelta(days=3),
            file=ContentFile(b"%PDF-1.4 demo board resolution", name="board_resolution_demo.pdf"),
        )
    _approve_all(approved, reason="确认无法收回，同意核销")
    if len(old_debts) > 1:
        half = round_fen(old_debts[1].total / 2)
        receivable_services.writeoff_propose(
            order=old_debts[1], amount=half, reason="客户经营困难，部分无法收回", by=old_debts[1].owner
        )
    ctx["writeoffs"] = [approved]
    # Q2: customer rebates — one within the account manager's authority, one for the customer director.
    concession_request(
        kind="customer_rebate",
        customer=visited(reps[0], 1),
        ratio=Decimal("0.03"),
        reason="年度返利",
        by=reps[0],
    )
    concession_request(
        kind="customer_rebate",
        customer=visited(reps[1], 1),
        ratio=Decimal("0.08"),
        reason="大客户返利",
        by=reps[1],
    )
    pending = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING).count()
    booked_orders = sorted((o for o in orders if o.status == OrderStatus.BOOKED), key=lambda o: o.booked_at)
    ctx["orders"] = booked_orders
    stdout = ctx.get("stdout")
    if stdout:
        stdout.write(f"pipeline: {len(booked_orders)} orders, {pending} approvals pending")
    # 003 §9.3/§9.5: execution and implementation orders on some of these contracts.
    from crm import demo_delivery

    demo_delivery.seed(ctx)
