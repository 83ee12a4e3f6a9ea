"""K11: a confirmed fraud or violation forfeits all the payee's unpaid commission lines — pending, payable
and settled (in a settlement approved but not yet paid: the payout then leaves them out, see
`settlements.services.payouts.payout_due`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import CommissionForfeit, CommissionLine, LineStatus
from common.errors import DomainError
from common.money import ZERO

if TYPE_CHECKING:
    from crm.models import User
    from partners.models import Partner


@transaction.atomic
def commission_forfeit(*, payee: User | Partner, reason: str, by: User) -> CommissionForfeit:
    """K11: confirmed fraud/violation forfeits all the payee's unpaid (pending, payable or settled but
    not paid) lines."""
    from crm.models import Role, User

    if not reason.strip():
        raise DomainError(_("请填写没收原因。"), field="reason")
    if not (by.is_superuser or by.has_role(Role.FINANCE, Role.ADMIN, Role.PRESIDENT, Role.VP)):
        raise DomainError(_("只有财务、管理员或公司领导可以没收提成。"), code="forbidden", status=403)
    who = Q(payee_user=payee) if isinstance(payee, User) else Q(payee_partner=payee)
    lines = CommissionLine.objects.select_for_update().filter(
        who, status__in=[LineStatus.PENDING, LineStatus.PAYABLE, LineStatus.SETTLED]
    )
    rows = list(lines.values_list("pk", "amount"))
    amount = sum((a for _pk, a in rows), ZERO)
    record = CommissionForfeit.objects.create(
        payee_user=payee if isinstance(payee, User) else None,
        payee_partner=None if isinstance(payee, User) else payee,
        reason=reason.strip(),
        by=by,
        lines=len(rows),
        amount=amount,
    )
    CommissionLine.objects.filter(pk__in=[pk for pk, _a in rows]).update(
        status=LineStatus.FORFEITED, reason=reason.strip()[:300], updated_at=timezone.now()
    )
    return record
