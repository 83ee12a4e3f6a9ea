"""Issue 15: the commission plan editor's rules — which band row a validation message belongs to, what
a plan would pay on a sample month, and saving the edited plan as a version. Every rule is the
calculator's (`check_bands`, `validate_plan`, `calculate`) or the plan services' (K12 notice, frozen
versions): this module only routes them to the form."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from commissions.calculator.engine import calculate
from commissions.calculator.facts import Facts, LineFact
from commissions.calculator.result import Result
from commissions.calculator.validation import check_bands, validate_plan
from commissions.models import CommissionPlan
from commissions.services.plans import plan_save

if TYPE_CHECKING:
    import datetime as dt

    from crm.models import User

BAND_TYPES = ("progressive", "bracket")
# A calculator message names its place as "<where>.bands[i].<key>：<text>"; the form shows the text
# next to the row and field it is about.
_WHERE = re.compile(r"^\.bands(?:\[(\d+)\])?(?:\.(\w+))?：(.*)$", re.S)
FIELD_OF_KEY = {
    "from": "low",
    "min": "low",
    "to": "high",
    "max": "high",
    "rate": "rate",
    "min_inclusive": "low_inclusive",
    "max_inclusive": "high_inclusive",
}


@dataclass
class BandErrors:
    """Validation messages of one banded component: per row and field, and for the whole table."""

    rows: dict[int, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    table: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.table) or any(self.rows.values())


def _plain(text: str) -> str:
    """The calculator speaks of the JSON file; the form has an empty "up to" box instead."""
    return re.sub(r'（"(?:to|max)": null）', _("（上限留空）"), text)


def band_errors(component: dict[str, Any]) -> BandErrors:
    """K1/K2: the calculator's band checks on one component, each message placed on its row/field."""
    messages: list[str] = []
    check_bands(component, "", messages, edges=component.get("type") == "bracket")
    out = BandErrors()
    for message in messages:
        match = _WHERE.match(message)
        if match is None:
            out.table.append(_plain(message))
            continue
        index, key, text = match.groups()
        if index is None:
            out.table.append(_plain(text))
        else:
            out.rows[int(index)][FIELD_OF_KEY.get(key or "", "__all__")].append(_plain(text))
    return out


@dataclass
class FieldErrors:
    """The calculator's messages about one component without bands: (row, field, text) — the row an index
    (steps) or a key (categories, classes, grades), None for the component's own settings; field "" for
    the component as a whole."""

    items: list[tuple[int | str | None, str, str]] = field(default_factory=list)


_COMPONENT = re.compile(r"^components\[(\d+)\](?:\([^)]*\))?(.*?)：(.*)$", re.S)
_LISTED = re.compile(r"^\.(?:steps|bands)\[(\d+)\](?:\.(\w+))?$")
_KEYED = re.compile(r"^\.(?:rates|grades)\.([^.]+)(?:\.(\w+))?$")
ROW_CONTAINERS = ("steps", "rates", "grades", "bands")


def component_errors(definition: dict[str, Any]) -> dict[int, FieldErrors]:
    """The calculator's whole-plan check (`validate_plan`), each message about a component placed on its
    row and field; messages about the plan itself are not returned here."""
    out: dict[int, FieldErrors] = defaultdict(FieldErrors)
    for message in validate_plan(definition):
        match = _COMPONENT.match(message)
        if match is None:
            continue
        index, path, text = int(match.group(1)), match.group(2), match.group(3)
        if listed := _LISTED.match(path):
            out[index].items.append((int(listed.group(1)), listed.group(2) or "", text))
        elif keyed := _KEYED.match(path):
            out[index].items.append((keyed.group(1), keyed.group(2) or "rate", text))
        elif path.startswith(".") and path[1:] not in ROW_CONTAINERS:
            out[index].items.append((None, path[1:], text))
        else:
            out[index].items.append((None, "", text))
    return dict(out)


@dataclass(frozen=True)
class Preview:
    sales: Decimal
    result: Result | None
    errors: tuple[str, ...] = ()


def plan_preview(
    *,
    definition: dict[str, Any],
    sales: Decimal,
    attainment: Decimal | None = None,
    grade: str = "",
    category: str = "regular",
    year_end: bool = False,
) -> Preview:
    """What the plan would pay a rep for a month with `sales` of one category (no key account, not a
    leaver) — at the given completion rate (1 = 100%; unknown: no target steps) and grade, and at the
    year-end run when asked (annual steps, the annual target met when attainment ≥ 100%): the
    calculator's own result with its explanation, or the plan's problems."""
    errors = validate_plan(definition)
    if errors:
        return Preview(sales=sales, result=None, errors=tuple(errors))
    facts = Facts(
        sales=sales,
        attainment=attainment,
        grade=grade,
        year_end=year_end,
        annual_target_met=year_end and attainment is not None and attainment >= 1,
        lines=(LineFact(category=category or "regular", amount=sales),),
    )
    return Preview(sales=sales, result=calculate(definition, facts))


def plan_version_save(
    *,
    by: User,
    base: CommissionPlan,
    definition: dict[str, Any],
    effective_from: dt.date,
    effective_to: dt.date | None,
    publish: bool,
    override_reason: str = "",
) -> CommissionPlan:
    """Save the edited plan as the version starting `effective_from` (a new version unless that date is
    a draft of the same plan). The plan services keep K12: notice before it takes effect, no edits to a
    version in force or used by a closed month."""
    definition = {**definition, "code": base.code}
    return plan_save(
        definition=definition,
        effective_from=effective_from,
        effective_to=effective_to,
        publish=publish,
        override_reason=override_reason,
        by=by,
    )
