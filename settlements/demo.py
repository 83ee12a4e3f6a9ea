"""Demo settlements for `make run`: the last three months — the oldest paid, the previous one spread over
every step of the chain (one with an open dispute), the current one in draft.

Uses the CommissionLine rows commissions.demo made when there are any; otherwise it writes plausible
payable lines itself (commissions, K13 partner rebates, a K14 reward and a K10 clawback)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

from commissions.models import CommissionLine, LineKind, LineStatus
from common.deferred_text import Words, words, words_json, words_stored_text
from common.errors import DomainError
from common.fen import format_cny, pct
from common.money import round_fen
from common.timeutil import local_today, month_start
from crm.models import Role, User
from partners.models import Partner, PartnerKind
from settlements.models import (
    Gender,
    PartnerTicketStock,
    PayeeBankAccount,
    Settlement,
    SettlementStatus,
    TicketSale,
)
from settlements.policy import month_calendar
from settlements.services.disputes import dispute_create
from settlements.services.generation import settlement_generate
from settlements.services.payouts import payout_record
from settlements.services.workflow import settlement_transition

BANKS = ["中国工商银行", "中国建设银行", "招商银行", "中国银行", "交通银行"]


def _said(text: Words) -> dict[str, Any]:
    """A demo line's explanation as the services write it: the Chinese wording and the words each reader
    reads in their own language (issue 15), never a rule-book code."""
    return {"text": words_stored_text(text), "text_words": words_json(text)}


K13_CATEGORIES = [
    ("家庭教育门票", Decimal("330.00")),
    ("学生特训营", Decimal("1980.00")),
    ("微课程", Decimal("99.00")),
    ("合伙人发展", Decimal("5000.00")),
    ("书籍", Decimal("58.00")),
]
PRODUCT_RATES = {"regular": Decimal("0.05"), "high_end": Decimal("0.08"), "new_product": Decimal("0.10")}


def _prev(month: dt.date) -> dt.date:
    return month_start(month - dt.timedelta(days=1))


def _account(rng: random.Random) -> str:
    return "62" + "".join(str(rng.randint(0, 9)) for _ in range(17))


def _partners(ctx: dict[str, Any], rng: random.Random) -> list[Partner]:
    partners = list(Partner.objects.order_by("id")[:4])
    if partners:
        return partners
    regions = ctx.get("regions") or [None]
    made = []
    for i, (name, kind) in enumerate([("孙合伙", PartnerKind.STRATEGIC), ("梁合伙", PartnerKind.ORDINARY)]):
        made.append(
            Partner.objects.create(
                name=name,
                kind=kind,
                region=regions[i % len(regions)],
                phone=f"1390000{i:04d}",
                bank_name=rng.choice(BANKS),
                account_holder=name,
                account_number=_account(rng),
            )
        )
    return made


def _lines_for(
    month: dt.date, payees: list[User], partners: list[Partner], rng: random.Random
) -> list[CommissionLine]:
    lines: list[CommissionLine] = []
    key = f"{month:%Y%m}"
    for user in payees:
        for j in range(rng.randint(2, 5)):
            category = rng.choice(list(PRODUCT_RATES))
            base = Decimal(rng.randint(8_000, 180_000)) + Decimal(rng.randint(0, 99)) / 100
            rate = PRODUCT_RATES[category]
            lines.append(
                CommissionLine(
                    payee_user=user,
                    period=month,
                    kind=LineKind.EARNED,
                    status=LineStatus.PAYABLE,
                    component="category_rate",
                    category=category,
                    base=base,
                    rate=rate,
                    amount=round_fen(base * rate),
                    explanation={
                        **_said(words(gettext_noop("类别费率 %(rate)s"), rate=pct(rate))),
                        "base": str(base),
                    },
                    source_key=f"demo-settlement:{key}:{user.pk}:{j}",
                )
            )
    for partner in partners:
        for j, (category, price) in enumerate(rng.sample(K13_CATEGORIES, 3)):
            qty = Decimal(rng.randint(2, 30))
            base = qty * price
            rate = Decimal("0.20") if partner.kind == PartnerKind.STRATEGIC else Decimal("0.15")
            lines.append(
                CommissionLine(
                    payee_partner=partner,
                    period=month,
                    kind=LineKind.REBATE,
                    status=LineStatus.PAYABLE,
                    component="partner_rebate",
                    category=category,
                    base=base,
                    rate=rate,
                    amount=round_fen(base * rate),
                    explanation={
                        "quantity": str(qty),
                        "unit_price": str(price),
                        **_said(words(gettext_noop("费率 %(rate)s"), rate=pct(rate))),
                    },
                    source_key=f"demo-settlement:{key}:p{partner.pk}:{j}",
                )
            )
    if payees:
        champion = rng.choice(payees)
        lines.append(
            CommissionLine(
                payee_user=champion,
                period=month,
                kind=LineKind.REWARD,
                status=LineStatus.PAYABLE,
                component="monthly_champion",
                amount=Decimal("300.00"),
                reason="月销售冠军奖",
                explanation={
                    **_said(
                        words(
                            gettext_noop("%(award)s：奖金 %(prize)s"),
                            award=words(gettext_noop("月销售冠军奖")),
                            prize=format_cny(Decimal("300.00")),
                        )
                    ),
                    "reason_words": words_json(words(gettext_noop("月销售冠军奖"))),
                },
                source_key=f"demo-settlement:{key}:reward",
            )
        )
    return lines


def _walk(s: Settlement, ctx: dict[str, Any], until: str) -> Settlement:
    """Move a settlement along the chain up to `until` with the right people."""
    finance, director = ctx["finance"], ctx.get("director")
    payee = s.payee_user
    reviewer = (payee.manager if payee is not None and payee.manager_id else None) or director
    if reviewer is not None and payee is not None and reviewer.pk == payee.pk:
        reviewer = director
    if reviewer is not None and not reviewer.has_role(
        Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR
    ):
        reviewer = director
    office = ctx.get("assistant") or ctx["president"]
    chain = [
        (SettlementStatus.SUBMITTED, "submit", finance, ""),
        (SettlementStatus.SALES_REVIEW, "confirm", finance, "已与收款人核对无误"),
        (SettlementStatus.FINANCE_CONFIRMATION, "approve", reviewer, "同意"),
        (SettlementStatus.PRESIDENT_APPROVAL, "approve", finance, "金额核对无误"),
        (SettlementStatus.APPROVED, "approve", office, "同意发放"),
    ]
    for target, action, by, comment in chain:
        if s.status == until or by is None:
            break
        try:
            s = settlement_transition(settlement=s, action=action, by=by, comment=comment)
        except DomainError:
            break
        if target == until:
            break
    return s


COURSES = ("家庭教育讲座", "学生特训营体验课")
ATTENDEES = ("李华", "王芳", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "周杰")


def _tickets(partners: list[Partner], months: tuple[dt.date, ...], rng: random.Random) -> None:
    """K13: each partner owns tickets bought before the first month and brings attendees every month, so
    the 结算信息一览表 shows deductions and a ticket balance running from month to month."""
    if PartnerTicketStock.objects.exists() or not partners:
        return
    stock, sales = [], []
    for n, partner in enumerate(partners):
        course = COURSES[n % len(COURSES)]
        stock.append(
            PartnerTicketStock(
                partner=partner,
                course_name=course,
                ticket_price=Decimal("200.00"),
                quantity=10,
                acquired_on=_prev(months[0]) + dt.timedelta(days=9),
            )
        )
        for i, month in enumerate(months):
            name = ATTENDEES[(n * 3 + i) % len(ATTENDEES)]
            sales.append(
                TicketSale(
                    partner=partner,
                    month=month,
                    attendee_name=name,
                    gender=Gender.FEMALE if i % 2 else Gender.MALE,
                    id_number=f"1101011990030{n}{i}23X",
                    phone=f"1380000{n}{i}{rng.randint(100, 999)}",
                    attended_on=month + dt.timedelta(days=14),
                    course_name=course,
                    signed_price=Decimal("200.00"),
                    sold_price=Decimal("330.00"),
                    quantity=2 + i,
                )
            )
    PartnerTicketStock.objects.bulk_create(stock)
    TicketSale.objects.bulk_create(sales)


def seed(ctx: dict[str, Any]) -> None:
    rng: random.Random = ctx["rng"]
    finance: User | None = ctx.get("finance")
    if finance is None or Settlement.objects.exists():
        return
    current = month_start(local_today())
    previous = _prev(current)
    oldest = _prev(previous)
    reps: list[User] = list(ctx.get("reps") or [])
    payees = reps[:8] + ([ctx["executive"]] if ctx.get("executive") else [])
    partners = _partners(ctx, rng)
    PayeeBankAccount.objects.bulk_create(
        [
            PayeeBankAccount(
                user=u,
                bank_name=f"{rng.choice(BANKS)}上海分行",
                account_holder=str(u),
                account_number=_account(rng),
            )
            for u in payees
            if not PayeeBankAccount.objects.filter(user=u).exists()
        ]
    )
    # Months the commission engine's demo left without payable lines get plausible ones.
    new: list[CommissionLine] = []
    for month in (oldest, previous, current):
        if CommissionLine.objects.filter(status=LineStatus.PAYABLE, period=month).count() < 5:
            new.extend(_lines_for(month, payees, partners, rng))
    CommissionLine.objects.bulk_create(new, ignore_conflicts=True)
    _tickets(partners, (oldest, previous, current), rng)

    # Oldest month: approved by everyone and paid.
    settlement_generate(month=oldest, by=finance)
    cal = month_calendar(oldest)
    for s in Settlement.objects.filter(month=oldest).order_by("id"):
        s = _walk(s, ctx, SettlementStatus.APPROVED)
        if s.status == SettlementStatus.APPROVED:
            payout_record(
                settlement=s,
                by=finance,
                paid_on=min(cal.payout_date, local_today()),
                bank_reference=f"PAY{oldest:%Y%m}-{s.pk:04d}",
            )
    # A refund after that payout: a K10 clawback in the previous month.
    paid = Settlement.objects.filter(
        month=oldest, status=SettlementStatus.PAID, payee_user__isnull=False
    ).first()
    if paid is not None:
        original = paid.lines.filter(kind=LineKind.EARNED).select_related("commission_line").first()
        if original is not None:
            CommissionLine.objects.get_or_create(
                source_key=f"demo-settlement:clawback:{original.commission_line_id}",
                defaults={
                    "payee_user": paid.payee_user,
                    "period": previous,
                    "kind": LineKind.CLAWBACK,
                    "status": LineStatus.PAYABLE,
                    "category": original.category,
                    "base": -original.amount / 2,
                    "amount": round_fen(-original.rebate / 2),
                    "corrects": original.commission_line,
                    "reason": "客户部分退款",
                    "explanation": {
                        **_said(
                            words(gettext_noop("订单退款 %(share)s，按原比例追回"), share=pct(Decimal("0.5")))
                        ),
                        "reason_words": words_json(words(gettext_noop("客户部分退款"))),
                    },
                },
            )

    # Previous month: one settlement at every step of the chain, one with an open dispute.
    settlement_generate(month=previous, by=finance)
    steps = [
        SettlementStatus.DRAFT,
        SettlementStatus.SUBMITTED,
        SettlementStatus.SALES_REVIEW,
        SettlementStatus.FINANCE_CONFIRMATION,
        SettlementStatus.PRESIDENT_APPROVAL,
        SettlementStatus.APPROVED,
        SettlementStatus.PAID,
    ]
    cal = month_calendar(previous)
    disputed = False
    for i, s in enumerate(Settlement.objects.filter(month=previous).order_by("id")):
        target = steps[i % len(steps)]
        s = _walk(s, ctx, SettlementStatus.APPROVED if target == SettlementStatus.PAID else target)
        if target == SettlementStatus.PAID and s.status == SettlementStatus.APPROVED:
            payout_record(
                settlement=s,
                by=finance,
                paid_on=min(cal.payout_date, local_today()),
                bank_reference=f"PAY{previous:%Y%m}-{s.pk}",
            )
        if not disputed and s.status == SettlementStatus.SALES_REVIEW and s.payee_user is not None:
            line = s.lines.order_by("id").first()
            if line is not None:
                dispute_create(
                    line=line,
                    by=s.payee_user,
                    reason="该订单为高端产品，应按8%计提，请核实。",
                    today=min(local_today(), cal.dispute_deadline),
                )
                disputed = True

    # Current month: drafts.
    settlement_generate(month=current, by=finance)
    ctx["settlements_months"] = (oldest, previous, current)
