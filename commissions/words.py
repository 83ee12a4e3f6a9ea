"""Issue 15 "business language": commission lines read in words — the plan by its name, the component
by its label in the plan (never its id such as "base"), rates as percentages (3%, not 0.030000)."""

from __future__ import annotations

from typing import Any


def component_label(definition: Any, component: str) -> str:
    """The label a plan gives one of its components; the id itself when the plan does not name it."""
    if not component:
        return ""
    components = definition.get("components", []) if isinstance(definition, dict) else []
    for comp in components:
        if isinstance(comp, dict) and comp.get("id") == component:
            return str(comp.get("label") or component)
    if component.startswith("champion_"):  # K14: a sales champion's award has no plan, only its title
        from django.utils.translation import gettext

        from commissions.services.rewards import KIND_TITLES

        title = KIND_TITLES.get(component.removeprefix("champion_"))
        if title:
            return gettext(title)
    return component


def line_component_label(line: Any) -> str:
    """A commission line's component in words (its plan must be loaded with it: select_related)."""
    plan = getattr(line, "plan", None)
    return component_label(plan.definition if plan is not None else None, line.component or "")


def percent(rate: Any) -> str | None:
    """0.030000 → "3%", 0.0125 → "1.25%"; None stays None (the one rate formatter: `common` `pct`)."""
    from common.fen import pct

    return pct(rate) or None


def plan_words(definition: dict[str, Any]) -> list[str]:
    """K12: a plan in words (the calculator's `describe_plan`), categories named as the price book names
    them (外包 / Outsourced), not by their codes."""
    from commissions.calculator.describe import describe_plan
    from crm.services.catalog import category_labels

    return describe_plan(definition, category_labels())


def plan_state_label(plan: Any, today: Any) -> str:
    """Where a plan version stands, in words (K12): 草稿 / 待审批 / 已驳回 before it is published, then
    已公布待生效 / 生效中 / 已失效."""
    from django.utils.translation import gettext as _

    if plan.published_at is None:
        if plan.approval_status in ("pending", "rejected"):
            return str(plan.get_approval_status_display())
        return _("草稿")
    if plan.effective_from > today:
        return _("已公布待生效")
    if plan.effective_to is not None and plan.effective_to < today:
        return _("已失效")
    return _("生效中")
