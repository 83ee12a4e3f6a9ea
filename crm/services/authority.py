"""Q2: the authority matrix kept by the administrator in a form (issue 15): each row says which kind of
request, which range of ratio and amount, and which chain of roles approves it. The rows are read by
`crm.services.approvals.authority_rule_for`; this module only writes them and puts them into words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.fen import pct
from common.money import format_cny
from crm.models import AuthorityRule, Role, User
from crm.services.org import role_labels


def chain_words(chain: Any) -> list[str]:
    """The approval chain in words, one entry per step: ["销售管理部经理", "副总裁 或 总裁"]."""
    steps = chain if isinstance(chain, list) else []
    return [_(" 或 ").join(role_labels(step if isinstance(step, list) else [step])) for step in steps]


def _range_words(low: Decimal | None, low_inc: bool, high: Decimal | None, high_inc: bool, fmt: Any) -> str:
    if low is None and high is None:
        return _("不限")
    parts = []
    if low is not None:
        parts.append(("≥ " if low_inc else "> ") + fmt(low))
    if high is not None:
        parts.append(("≤ " if high_inc else "< ") + fmt(high))
    return _("且").join(parts)


def ratio_words(rule: AuthorityRule) -> str:
    """The ratio range as percentages ("≥ 45% 且 < 50%")."""
    return _range_words(
        rule.ratio_min, rule.ratio_min_inclusive, rule.ratio_max, rule.ratio_max_inclusive, pct
    )


def amount_words(rule: AuthorityRule) -> str:
    return _range_words(
        rule.amount_min, rule.amount_min_inclusive, rule.amount_max, rule.amount_max_inclusive, format_cny
    )


def _require_admin(by: User) -> None:
    if not (by.is_superuser or by.has_role(Role.ADMIN)):
        raise DomainError(_("只有系统管理员可以修改权限矩阵。"), code="forbidden", status=403)


FIELDS = (
    "kind",
    "name",
    "priority",
    "ratio_min",
    "ratio_min_inclusive",
    "ratio_max",
    "ratio_max_inclusive",
    "amount_min",
    "amount_min_inclusive",
    "amount_max",
    "amount_max_inclusive",
    "requires_standard_template",
    "requester_may_decide",
    "effective_from",
    "effective_to",
)


@transaction.atomic
def authority_rule_save(
    *, by: User, rule: AuthorityRule | None = None, chain: list[list[str]], **values: Any
) -> AuthorityRule:
    """Create or change one row of the matrix. The row's own checks (`AuthorityRule.clean`: known roles,
    ranges the right way round, dates) decide; a refusal names the field it is about. The change is kept
    in the row's history (SPEC §9: who changed the matrix, when, before/after)."""
    _require_admin(by)
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise DomainError(_("未知的字段：%(f)s") % {"f": ", ".join(unknown)})
    rule = rule or AuthorityRule()
    for key, value in values.items():
        setattr(rule, key, value)
    if not (rule.name or "").strip():
        raise DomainError(_("请填写规则说明。"), field="name")
    if isinstance(rule.effective_from, dt.date) is False:
        raise DomainError(_("请填写生效日期。"), field="effective_from")
    rule.chain = [list(dict.fromkeys(step)) for step in chain if step]
    try:
        rule.clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        if field == "chain" and not rule.chain:
            raise DomainError(_("审批链至少需要一步。"), field="chain") from None
        raise DomainError("；".join(messages), field=field) from None
    rule._change_reason = _("在权限矩阵页面修改")  # type: ignore[attr-defined]
    rule._history_user = by  # type: ignore[attr-defined]
    rule.save()
    return rule
