"""Issue 16: payment plans (回款计划). A contract's instalments add up exactly to its amount (an even
plan is split by `common.fen.allocate`); what has been received on the contract's orders is set
against the instalments in due-date order (plan vs actual); reminders go out before and after each
due date, once each."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import words
from common.errors import DomainError
from common.fen import ZERO, allocate, format_cny, round_fen
from common.notifications import notify
from common.timeutil import date_in_sane_range, local_today, sane_range_message
from crm import policy
from crm.models import Contract, Payment, PaymentInstalment, User

MAX_INSTALMENTS = 60


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _may_plan(contract: Contract, by: User) -> None:
    if contract.owner_id != by.pk and contract.owner_id not in policy.team_member_ids(by):
        raise DomainError(_("只有合同负责人或其上级可以制定回款计划。"), code="not_allowed", status=403)


def _money(value: Any) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise DomainError(_("金额不是有效的数字。"), field="instalments") from exc
    if not d.is_finite() or d <= 0 or d != round_fen(d):
        raise DomainError(_("每期金额须大于0并精确到分。"), field="instalments")
    return d


@transaction.atomic
def payment_plan_set(
    *, contract: Contract, by: User, instalments: Iterable[tuple[dt.date, Any]]
) -> list[PaymentInstalment]:
    """Replace the contract's plan. The instalments must add up exactly to the contract amount."""
    _may_plan(contract, by)
    rows = sorted(((due, _money(amount)) for due, amount in instalments), key=lambda r: r[0])
    if not rows:
        raise DomainError(_("请至少填写一期回款计划。"), field="instalments")
    if len(rows) > MAX_INSTALMENTS:
        raise DomainError(_("回款计划最多 %(n)d 期。") % {"n": MAX_INSTALMENTS}, field="instalments")
    for due, _amount in rows:
        if due is None or not date_in_sane_range(due):
            raise DomainError(sane_range_message(), field="instalments")
    total = sum((a for _d, a in rows), ZERO)
    if total != contract.amount:
        raise DomainError(
            _("各期金额合计 %(total)s 与合同金额 %(amount)s 不一致。")
            % {"total": format_cny(total), "amount": format_cny(contract.amount)},
            code="plan_sum_mismatch",
            field="instalments",
        )
    PaymentInstalment.objects.filter(contract=contract).delete()
    return PaymentInstalment.objects.bulk_create(
        PaymentInstalment(contract=contract, seq=i, due_on=due, amount=amount)
        for i, (due, amount) in enumerate(rows, start=1)
    )


def payment_plan_generate_even(
    *, contract: Contract, by: User, count: int, first_due: dt.date, every_months: int = 1
) -> list[PaymentInstalment]:
    """`count` instalments a month (or `every_months`) apart; the fens that do not divide evenly go
    to the first instalments (`allocate`), so the plan adds up to the contract amount exactly."""
    if not 1 <= count <= MAX_INSTALMENTS:
        raise DomainError(_("期数须在 1 到 %(n)d 之间。") % {"n": MAX_INSTALMENTS}, field="count")
    if not 1 <= every_months <= 12:
        raise DomainError(_("间隔须在 1 到 12 个月之间。"), field="every_months")
    if contract.amount <= 0:
        raise DomainError(_("合同金额为0，无需回款计划。"), field="count")
    amounts = allocate(contract.amount, [1] * count)
    return payment_plan_set(
        contract=contract,
        by=by,
        instalments=[(_add_months(first_due, i * every_months), a) for i, a in enumerate(amounts)],
    )


@dataclass
class InstalmentStatus:
    instalment: PaymentInstalment
    received: Decimal
    outstanding: Decimal
    state: str  # received / partly / overdue / upcoming

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


STATE_LABELS = {
    "received": _("已回款"),
    "partly": _("部分回款"),
    "overdue": _("已逾期"),
    "upcoming": _("未到期"),
}


@dataclass
class PlanVsActual:
    rows: list[InstalmentStatus]
    planned: Decimal
    received: Decimal
    due_to_date: Decimal  # what the plan expected by today
    overdue: Decimal  # of that, not received


def contract_received(contract: Contract) -> Decimal:
    """Q5: money received on the contract's orders, refunds netted."""
    total = Payment.objects.filter(order__contract=contract).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


def plan_vs_actual(
    *, instalments: list[PaymentInstalment], received: Decimal, today: dt.date
) -> PlanVsActual:
    """Received money fills the instalments in due-date order (no money is divided)."""
    left = max(received, ZERO)
    rows = []
    due_to_date = overdue = ZERO
    for inst in sorted(instalments, key=lambda i: (i.due_on, i.seq)):
        got = min(inst.amount, left)
        left -= got
        outstanding = inst.amount - got
        if outstanding == 0:
            state = "received"
        elif inst.due_on < today:
            state = "overdue"
        elif got > 0:
            state = "partly"
        else:
            state = "upcoming"
        if inst.due_on < today:
            due_to_date += inst.amount
            overdue += outstanding
        rows.append(InstalmentStatus(inst, got, outstanding, state))
    planned = sum((i.amount for i in instalments), ZERO)
    return PlanVsActual(rows, planned, received, due_to_date, overdue)


def contract_plan_vs_actual(contract: Contract, *, today: dt.date | None = None) -> PlanVsActual:
    return plan_vs_actual(
        instalments=list(contract.instalments.all()),  # type: ignore[attr-defined]
        received=contract_received(contract),
        today=today or local_today(),
    )


def payment_plan_reminders(*, today: dt.date | None = None) -> dict[str, int]:
    """Before: the owner, N days ahead of an instalment not yet covered. After: the owner and their
    manager, M days past it if still not fully received. Each once; safe to run any number of times."""
    today = today or local_today()
    before = today + dt.timedelta(days=settings.CRM_PAYMENT_PLAN_REMIND_BEFORE_DAYS)
    after = today - dt.timedelta(days=settings.CRM_PAYMENT_PLAN_REMIND_AFTER_DAYS)
    candidates = PaymentInstalment.objects.filter(
        due_on__gte=today, due_on__lte=before, reminded_before_at__isnull=True
    ) | PaymentInstalment.objects.filter(due_on__lte=after, reminded_after_at__isnull=True)
    contract_ids = set(candidates.values_list("contract_id", flat=True))
    now = timezone.now()
    sent = {"before": 0, "after": 0}
    for contract in Contract.objects.filter(pk__in=contract_ids).select_related("owner", "owner__manager"):
        status = contract_plan_vs_actual(contract, today=today)
        link = reverse("crm:contract_detail", args=[contract.pk])
        for row in status.rows:
            inst = row.instalment
            if row.outstanding == 0:
                continue
            args = {
                "number": contract.number,
                "seq": inst.seq,
                "due": inst.due_on,
                "amount": format_cny(row.outstanding),
            }
            if today <= inst.due_on <= before and _claim(inst, "reminded_before_at", now):
                sent["before"] += 1
                text = words(
                    gettext_noop("合同 %(number)s 第%(seq)s期回款将于 %(due)s 到期，待收 %(amount)s。"),
                    **args,
                )
                notify(users=[contract.owner], text=text, link=link)
            if inst.due_on <= after and _claim(inst, "reminded_after_at", now):
                sent["after"] += 1
                text = words(
                    gettext_noop("合同 %(number)s 第%(seq)s期回款已逾期（%(due)s 到期），尚欠 %(amount)s。"),
                    **args,
                )
                manager = contract.owner.manager
                users = [contract.owner] + ([manager] if manager and manager.pk != contract.owner_id else [])
                notify(users=users, text=text, link=link)
    return sent


def _claim(inst: PaymentInstalment, field: str, now: dt.datetime) -> bool:
    """Mark the reminder sent before sending it: a second (or parallel) run finds it taken."""
    if getattr(inst, field) is not None:
        return False
    return bool(
        PaymentInstalment.objects.filter(pk=inst.pk, **{f"{field}__isnull": True}).update(**{field: now})
    )
