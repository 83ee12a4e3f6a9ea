"""K14 reads: the perk list filters, the champions list and the quarterly review of annual targets and
upgrade candidates (000 §4.3.4–4.3.5). Scopes come from `commissions.policy`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from commissions.models import CommissionLine, PartnerPerk
from commissions.reward_models import PerkKind
from commissions.services.perks import annual_targets, regional_strategic_targets
from commissions.services.rewards import pool_sales
from common.fen import FEN, ZERO, format_cny, round_fen
from partners.models import Partner, PartnerKind


def perk_filter(
    qs: QuerySet[PartnerPerk], *, q: str = "", status: str = "", kind: str = ""
) -> QuerySet[PartnerPerk]:
    if q:
        qs = qs.filter(partner__name__icontains=q)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("partner", "partner__region")


def champion_filter(
    qs: QuerySet[CommissionLine], *, period_kind: str = "", year: int | None = None
) -> QuerySet:
    if period_kind:
        qs = qs.filter(component=f"champion_{period_kind}")
    if year:
        qs = qs.filter(source_key__regex=rf"^k14:[a-z]+:{year}")
    return qs.select_related("payee_user", "payee_partner", "payee_partner__region")


@dataclass
class ReviewRow:
    partner: Partner
    sales: Decimal
    target: Decimal | None
    attainment: Decimal | None  # percent, one decimal
    strategic_target: Decimal | None
    candidate_for: list[str] = field(default_factory=list)  # in words
    to_go: list[str] = field(default_factory=list)  # what is still missing, in words


def upgrade_review(*, partners: QuerySet[Partner], year: int, through: dt.date) -> list[ReviewRow]:
    """Year-to-date (January to the month of `through`) sales of each partner against its annual target,
    and the reward each would get if the year ended now. A fixed number of queries."""
    sales = pool_sales(pool="partner", start=dt.date(year, 1, 1), end=through)
    targets = annual_targets(year)
    strategic = regional_strategic_targets(year, targets)
    over = Decimal(str(settings.REWARDS_UPGRADE_OVER_TARGET))
    rows = []
    for p in partners.filter(is_active=True).select_related("region").order_by("region__name", "name", "id"):
        s, target = sales.get(p.pk, ZERO), targets.get(p.pk)
        bar = strategic.get(p.region_id) if p.region_id and p.kind == PartnerKind.ORDINARY else None
        row = ReviewRow(
            partner=p,
            sales=s,
            target=target,
            attainment=(s * 100 / target).quantize(Decimal("0.1")) if target else None,
            strategic_target=bar,
        )
        if target:
            need = round_fen(target * (1 + over))
            if s >= need:
                row.candidate_for += (
                    [str(PerkKind.STRATEGIC_DISCOUNT.label)]
                    if p.kind == PartnerKind.ORDINARY
                    else [str(PerkKind.BRANCH_TRAINING.label), str(PerkKind.BRANCH_PRIORITY.label)]
                )
            else:
                short = {"over": f"{over:.0%}", "amount": format_cny(need - s)}
                row.to_go.append(_("距超额 %(over)s 还差 %(amount)s") % short)
        if bar is not None:
            if s > bar:
                row.candidate_for.append(str(PerkKind.TRIAL_UPGRADE.label))
            else:
                row.to_go.append(
                    _("距超过本大区战略合伙人任务还差 %(amount)s") % {"amount": format_cny(bar - s + FEN)}
                )
        rows.append(row)
    rows.sort(key=lambda r: (not r.candidate_for, -r.sales))
    return rows
