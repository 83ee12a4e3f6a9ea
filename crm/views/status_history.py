"""Issue 15: a quote's or contract's status history in words ("草稿 → 审批中"), never the status codes."""

from __future__ import annotations

from typing import Any

from django.db.models import Choices


def status_history(rows: Any, statuses: type[Choices]) -> list[tuple[Any, str, str]]:
    """Each history row with its from- and to-status labels (an unknown code is shown as it is)."""
    labels = {str(value): str(label) for value, label in statuses.choices}
    return [(h, labels.get(h.from_status, h.from_status), labels.get(h.to_status, h.to_status)) for h in rows]
