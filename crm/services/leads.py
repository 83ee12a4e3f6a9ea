"""L1: lead intake (manual or CSV/Excel import), assignment by region + industry (round-robin among
the rule's active account managers; fallback: the region's manager), C2 duplicate flagging, and
conversion to a customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import DomainError
from crm import policy
from crm.extensions import open_collision
from crm.models import (
    Customer,
    CustomerStatus,
    Industry,
    Lead,
    LeadAssignmentRule,
    LeadSource,
    LeadStatus,
    Region,
    User,
)
from crm.selectors import customer_find_duplicate, normalize_name
from crm.selectors_rotation import RotationStandings, rotation_standings
from crm.services.customers import customer_create, validate_phone


def _next_in_rotation(rule: LeadAssignmentRule, standings: RotationStandings) -> User | None:
    """Round-robin among the rule's frontline sellers (active, leading no team: the people the rankings
    rank, crm.policy.frontline_sellers), after the one who got the previous lead. 003 §12.4 as published
    (crm.selectors_rotation): a seller who lost assignment is skipped — unless that leaves nobody, then
    the normal rotation deals (a lead is never left unassigned for it); each round deals to the last
    month's top sellers first (in their ranking order), then to the others."""
    users = list(policy.frontline_sellers().filter(pk__in=rule.users.values("pk")).order_by("pk"))
    if not users:
        return None
    users = [u for u in users if u.pk not in standings.excluded] or users
    top = {pk: i for i, pk in enumerate(standings.priority)}
    users.sort(key=lambda u: (u.pk not in top, top.get(u.pk, 0), u.pk))
    order = [u.pk for u in users]
    last = rule.last_assigned_id
    if last in order:
        after = order.index(last) + 1
    else:  # nobody yet (the round starts at the top), or the last one left the rotation
        after = next((i for i, pk in enumerate(order) if last is not None and pk > last), 0)
    chosen = users[after % len(users)]
    # a bookkeeping pointer, not a settings change: no history row
    LeadAssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=chosen)
    return chosen


def lead_pick_assignee(*, region: Region | None, industry: Industry | None) -> User | None:
    """L1: the rule for region+industry, else the region's any-industry rule, else the region manager."""
    if region is None:
        return None
    rules = LeadAssignmentRule.objects.select_for_update().filter(region=region, active=True)
    standings = rotation_standings()
    for rule in (list(rules.filter(industry=industry)) if industry else []) + list(
        rules.filter(industry__isnull=True)
    ):
        chosen = _next_in_rotation(rule, standings)
        if chosen:
            return chosen
    manager = region.manager
    return manager if manager and manager.is_active else None


@transaction.atomic
def lead_create(
    *,
    by: User,
    company: str,
    source: str,
    contact_person: str = "",
    contact_position: str = "",
    phone: str = "",
    region: Region | None = None,
    industry: Industry | None = None,
    notes: str = "",
) -> Lead:
    company = (company or "").strip()
    if not company or not normalize_name(company):
        raise DomainError(_("请填写公司名称。"), code="required", field="company")
    if source not in LeadSource.values:
        raise DomainError(_("请选择线索来源。"), code="invalid_source", field="source")
    phone = validate_phone(phone) if (phone or "").strip() else ""
    if not phone and not (contact_person or "").strip():
        raise DomainError(_("请至少填写联系人或联系电话。"), code="required", field="phone")
    lead = Lead(
        company=company[:200],
        contact_person=(contact_person or "").strip()[:50],
        contact_position=(contact_position or "").strip()[:50],
        phone=phone,
        source=source,
        region=region,
        industry=industry,
        notes=(notes or "")[:2000],
        created_by=by,
        duplicate_of=customer_find_duplicate(name=company, phone=phone),
    )
    assignee = lead_pick_assignee(region=region, industry=industry)
    if assignee is not None:
        lead.assigned_to = assignee
        lead.assigned_at = timezone.now()
        lead.status = LeadStatus.ASSIGNED
    lead.save()
    lead_collision_open(lead=lead, by=by)
    return lead


def lead_collision_open(*, lead: Lead, by: User) -> Any:
    """P3 at lead entry: a lead whose company matches (C2) a customer owned by someone other than the
    lead's assignee opens (or joins) that customer's collision case for the assignee — the lead stays
    (it is not a customer twin) and keeps its 疑似重复 flag. A manager whose team owns the customer is
    not competing with their rep. Registration time = when the lead was
    received. Returns the case (also kept on `lead.collision_case`) or None. An unassigned lead has no
    one to claim the customer yet: the case opens when it is assigned (lead_assign)."""
    lead.collision_case = None
    dup = lead.duplicate_of
    if dup is None or lead.assigned_to is None or dup.owner_id is None:
        return None
    if lead.assigned_to_id in (dup.owner_id, dup.account_executive_id):
        return None
    if dup.owner_id in policy.team_member_ids(lead.assigned_to):
        return None  # the assignee manages the owner: they route the lead, nobody competes
    lead.collision_case = open_collision(
        customer=dup,
        claimant=lead.assigned_to,
        source="lead_import",
        by=by,
        registered_at=lead.created_at,
        evidence={
            "lead_id": lead.pk,
            "lead_source": lead.source,
            "entered_name": lead.company,
            "entered_phone": lead.phone,
            "received_at": lead.created_at.isoformat(),
        },
    )
    return lead.collision_case


@dataclass
class LeadImportResult:
    created: list[Lead] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number in the file, reason)
    # (line number, lead, collision case id): imported rows that matched someone else's customer (P3)
    collisions: list[tuple[int, Lead, int]] = field(default_factory=list)


def lead_import(*, by: User, filename: str, content: bytes) -> LeadImportResult:
    """Import a CSV/Excel file here and now (small files, scripts): every good row becomes a lead (each in
    its own savepoint); every bad row is reported with its line number and the reason. The pages and the
    API run the same row importer as a background job (crm.services.imports)."""
    from crm.models import RowOutcome
    from crm.services.import_rows import LeadRows
    from crm.services.imports import import_row_safely, read_rows

    importer = LeadRows(by=by)
    rows = read_rows(columns=importer.columns, filename=filename, content=content)
    result = LeadImportResult()
    for line_no, row in rows:
        outcome = import_row_safely(importer, row)
        if outcome.outcome == RowOutcome.ERROR or outcome.object_id is None:
            result.errors.append((line_no, outcome.message))
            continue
        lead = Lead.objects.select_related("duplicate_of").get(pk=outcome.object_id)
        result.created.append(lead)
        if outcome.case_id is not None:
            result.collisions.append((line_no, lead, outcome.case_id))
    return result


@transaction.atomic
def lead_assign(*, lead: Lead, to_user: User, by: User, allow_other_industry: bool = False) -> Lead:
    """A manager (re)assigns a lead to someone in their team (admins/president: anyone). 001 第八章: only
    within the rep's industry, unless the manager explicitly allows the other one (kept as a permit)."""
    from crm.services.industry import industry_allowed, industry_check, industry_permit_grant

    if not policy.can_assign_lead_to(by, to_user):
        raise DomainError(_("只能分配给您团队中的成员。"), code="not_allowed", field="to_user", status=403)
    if not to_user.is_active:
        raise DomainError(_("不能分配给已停用的用户。"), field="to_user")
    if lead.status == LeadStatus.CONVERTED:
        raise DomainError(_("线索已转为客户。"), code="converted", status=409)
    if not industry_allowed(user=to_user, industry_id=lead.industry_id):
        if not allow_other_industry or lead.industry is None:
            industry_check(user=to_user, industry_id=lead.industry_id, field="to_user")
        else:
            industry_permit_grant(user=to_user, industry=lead.industry, by=by, note=_("分配线索时批准"))
    lead.assigned_to = to_user
    lead.assigned_at = timezone.now()
    lead.status = LeadStatus.ASSIGNED
    lead.save(update_fields=["assigned_to", "assigned_at", "status", "updated_at"])
    lead_collision_open(lead=lead, by=by)
    return lead


@transaction.atomic
def lead_convert(
    *, lead: Lead, by: User, contact_position: str = "", status: str = CustomerStatus.PROSPECT
) -> Customer:
    """L1 → C1: the lead becomes a customer owned by its assignee (C2 duplicates are refused by
    customer_create with the owner's name)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == LeadStatus.CONVERTED:
        raise DomainError(_("线索已转为客户。"), code="converted", status=409)
    if lead.status == LeadStatus.INVALID:
        raise DomainError(_("无效线索不能转为客户。"), code="invalid_lead", status=409)
    owner = lead.assigned_to or by
    customer = customer_create(
        by=by,
        owner=owner,
        name=lead.company,
        contact_person=lead.contact_person,
        contact_position=(contact_position or lead.contact_position).strip(),
        phone=lead.phone,
        status=status,
        region=lead.region,
        industry=lead.industry,
        source=lead.get_source_display(),
        notes=lead.notes,
    )
    lead.customer = customer
    lead.status = LeadStatus.CONVERTED
    lead.save(update_fields=["customer", "status", "updated_at"])
    return customer


def lead_mark_invalid(*, lead: Lead, by: User) -> Lead:
    if lead.status == LeadStatus.CONVERTED:
        raise DomainError(_("线索已转为客户。"), code="converted", status=409)
    lead.status = LeadStatus.INVALID
    lead.save(update_fields=["status", "updated_at"])
    return lead


def lead_fields_from(data: dict[str, Any]) -> dict[str, Any]:
    keys = ("company", "source", "contact_person", "contact_position", "phone", "region", "industry", "notes")
    return {k: data[k] for k in keys if k in data}
