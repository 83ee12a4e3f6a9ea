"""Income tax before payout (001 第8条: 扣减所得税后发放): each settlement shows its gross (应发金额), the
tax withheld (代扣个税) and the net (实发金额) that the bank transfer pays.

The method is per payee kind (`TaxMethod`): partners are paid as 劳务报酬 and get the statutory
预扣预缴 formula (`labour_withholding`, setting `SETTLEMENT_PARTNER_TAX_METHOD`, default "labour");
for employees the tax is computed by payroll, so finance enters (or imports) the payroll's amount
(`settlement_tax_enter`, `settlement_tax_import`; setting `SETTLEMENT_EMPLOYEE_TAX_METHOD`, default
"payroll"). A locked settlement's tax never changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError, NotFound
from common.money import ZERO, round_fen
from crm.models import Role, User
from settlements.models import Settlement, TaxMethod

# 劳务报酬所得 预扣预缴: (taxable amount up to, rate, quick deduction); the last band has no cap.
LABOUR_BANDS: tuple[tuple[Decimal | None, Decimal, Decimal], ...] = (
    (Decimal("20000"), Decimal("0.20"), Decimal("0")),
    (Decimal("50000"), Decimal("0.30"), Decimal("2000")),
    (None, Decimal("0.40"), Decimal("7000")),
)


def labour_withholding(income: Decimal) -> Decimal:
    """劳务报酬 预扣预缴: income ≤ ¥4,000 → taxable = income − ¥800, otherwise income × 80%; tax =
    taxable × 20% / 30% / 40% − quick deduction 0 / 2,000 / 7,000 for taxable ≤ 20,000 / ≤ 50,000 /
    above; rounded half-up to the fen, never negative. ¥3,000 → 440.00; ¥30,000 → 5,200.00."""
    if income <= 0:
        return ZERO
    taxable = income - Decimal("800") if income <= Decimal("4000") else income * Decimal("0.8")
    if taxable <= 0:
        return ZERO
    for upto, rate, quick in LABOUR_BANDS:
        if upto is None or taxable <= upto:
            return max(ZERO, round_fen(taxable * rate - quick))
    return ZERO  # pragma: no cover - the last band has no cap


def default_method(settlement: Settlement) -> str:
    if settlement.payee_partner_id is not None:
        return str(getattr(settings, "SETTLEMENT_PARTNER_TAX_METHOD", TaxMethod.LABOUR))
    return str(getattr(settings, "SETTLEMENT_EMPLOYEE_TAX_METHOD", TaxMethod.PAYROLL))


def settlement_tax_apply(settlement: Settlement) -> None:
    """Called by `settlement_recompute` (no save): the method by payee kind, the labour formula on the
    gross, or the entered payroll amount (never more than the gross), and the net."""
    if not settlement.tax_method:
        settlement.tax_method = default_method(settlement)
    gross = settlement.payout_amount
    if settlement.tax_method == TaxMethod.LABOUR:
        settlement.tax_withheld = labour_withholding(gross)
    else:
        settlement.tax_withheld = min(settlement.tax_withheld, gross)
    settlement.net_payout = gross - settlement.tax_withheld


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("请填写正确的个税金额，例如 1200.00。"), field="tax_withheld") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("个税金额不能为负数，最多两位小数。"), field="tax_withheld")
    return amount


def _enter(s: Settlement, amount: Decimal, by: User) -> Settlement:
    if s.is_locked:
        raise DomainError(_("结算单已审批锁定，个税不能再修改。"), code="locked", status=409)
    if s.tax_method == TaxMethod.LABOUR:
        raise DomainError(
            _("%(name)s 按劳务报酬计税，个税由系统按预扣预缴公式计算，不能手工录入。")
            % {"name": s.payee_name},
            field="tax_withheld",
        )
    if amount > s.payout_amount:
        raise DomainError(
            _("%(name)s 的个税 ¥%(tax)s 超过应发金额 ¥%(gross)s。")
            % {"name": s.payee_name, "tax": f"{amount:,.2f}", "gross": f"{s.payout_amount:,.2f}"},
            field="tax_withheld",
        )
    s.tax_method = TaxMethod.PAYROLL
    s.tax_withheld = amount
    s.net_payout = s.payout_amount - amount
    s.tax_entered_by = by
    s.save(update_fields=["tax_method", "tax_withheld", "net_payout", "tax_entered_by", "updated_at"])
    return s


def _require_finance(by: User) -> None:
    if not by.has_role(Role.FINANCE):
        raise DomainError(_("只有财务中心可以录入个税。"), code="not_allowed", status=403)


@transaction.atomic
def settlement_tax_enter(*, settlement: Settlement | int, amount: Any, by: User) -> Settlement:
    """Finance enters the payroll's income tax for an employee's settlement (not yet locked)."""
    _require_finance(by)
    value = _amount(amount)
    pk = settlement.pk if isinstance(settlement, Settlement) else settlement
    s = Settlement.objects.select_for_update().filter(pk=pk).first()
    if s is None:
        raise NotFound(_("结算单不存在。"))
    return _enter(s, value, by)


@transaction.atomic
def settlement_tax_import(*, month: dt.date, rows: Iterable[tuple[str, Any]], by: User) -> int:
    """Finance imports the payroll's tax for a month: rows of (employee username, amount). All or
    nothing: any unknown employee, missing settlement or bad amount refuses the whole file, every
    problem listed with its row number."""
    _require_finance(by)
    errors: list[str] = []
    todo: list[tuple[Settlement, Decimal]] = []
    for i, (username, value) in enumerate(rows, start=1):
        s = (
            Settlement.objects.select_for_update()
            .filter(month=month, payee_user__username=str(username).strip())
            .first()
        )
        if s is None:
            errors.append(
                _("第 %(row)d 行：%(user)s 在 %(month)s 没有结算单")
                % {
                    "row": i,
                    "user": username,
                    "month": f"{month:%Y-%m}",
                }
            )
            continue
        try:
            todo.append((s, _amount(value)))
        except DomainError as exc:
            errors.append(_("第 %(row)d 行：%(error)s") % {"row": i, "error": exc.message})
    if errors:
        raise DomainError("；".join(errors), field="rows")
    for s, amount in todo:
        try:
            _enter(s, amount, by)
        except DomainError as exc:
            errors.append(exc.message)
    if errors:
        raise DomainError("；".join(errors), field="rows")
    return len(todo)
