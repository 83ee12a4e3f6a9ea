"""Issue 16: what a user keeps of a list — saved filters (场景, personal or shared) and the chosen
columns. Whether someone may share a filter is the list owner's policy, passed in as `may_share`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, CharField, F, IntegerField, Q, QuerySet, Value
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.listtools import Column, ListSpec, clean_saved_query
from common.models import ListColumnChoice, SavedListFilter


def saved_filters_for(*, user: Any, spec: ListSpec) -> QuerySet[SavedListFilter]:
    """The user's own filters of this list and the shared ones (anyone's)."""
    return (
        SavedListFilter.objects.filter(list_key=spec.key)
        .filter(Q(owner=user) | Q(shared=True))
        .select_related("owner")
        .order_by("-shared", "name", "id")
    )


@dataclass(frozen=True)
class ListPreferences:
    columns: list[Column]  # the columns shown, in the list's order
    saved_filters: list[SavedListFilter]  # the user's own and the shared ones, shared first, by name


_COLUMN_CHOICE, _SAVED_FILTER = 0, 1


def list_preferences(*, user: Any, spec: ListSpec) -> ListPreferences:
    """What a list page needs of the user's preferences in one query (UNION ALL): the chosen columns and
    the saved filters, the same as `columns_shown` and `saved_filters_for`."""
    fields = ("kind", "row_id", "row_name", "row_query", "row_shared", "row_owner")

    def shaped(qs: QuerySet[Any], kind: int, **values: Any) -> QuerySet[Any]:
        return (
            qs.order_by()
            .annotate(kind=Value(kind, output_field=IntegerField()), **values)
            .values_list(*fields)
        )

    choice = shaped(
        ListColumnChoice.objects.filter(user=user, list_key=spec.key),
        _COLUMN_CHOICE,
        row_id=F("id"),
        row_name=Value("", output_field=CharField()),
        row_query=F("columns"),
        row_shared=Value(False, output_field=BooleanField()),
        row_owner=F("user_id"),
    )
    filters = shaped(
        SavedListFilter.objects.filter(list_key=spec.key).filter(Q(owner=user) | Q(shared=True)),
        _SAVED_FILTER,
        row_id=F("id"),
        row_name=F("name"),
        row_query=F("query"),
        row_shared=F("shared"),
        row_owner=F("owner_id"),
    )
    chosen: str | None = None
    saved: list[SavedListFilter] = []
    for kind, pk, name, query, shared, owner_id in choice.union(filters, all=True):
        if kind == _COLUMN_CHOICE:
            chosen = query
        else:
            saved.append(
                SavedListFilter(
                    pk=pk, list_key=spec.key, name=name, query=query, shared=bool(shared), owner_id=owner_id
                )
            )
    saved.sort(key=lambda f: (not f.shared, f.name, f.pk))
    return ListPreferences(_columns(spec, chosen), saved)


def saved_filter_create(
    *, user: Any, spec: ListSpec, name: str, query: str, shared: bool, may_share: bool
) -> SavedListFilter:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请为筛选起一个名称。"), code="name_required", field="name")
    if len(name) > 50:
        raise DomainError(_("名称最多 50 个字。"), code="name_too_long", field="name")
    if shared and not may_share:
        raise DomainError(_("只有经理可以共享筛选。"), code="share_not_allowed", status=403, field="shared")
    query = clean_saved_query(spec, query)
    if len(query) > 500:
        raise DomainError(_("筛选条件太长，无法保存。"), code="query_too_long")
    try:
        with transaction.atomic():
            return SavedListFilter.objects.create(
                list_key=spec.key, name=name, query=query, shared=shared, owner=user
            )
    except IntegrityError:
        raise DomainError(
            _("您已经有一个名为“%(name)s”的筛选。") % {"name": name}, code="duplicate_name", field="name"
        ) from None


def saved_filter_delete(*, user: Any, pk: int) -> None:
    """Only its creator removes a saved filter (a shared one too)."""
    deleted, _rows = SavedListFilter.objects.filter(pk=pk, owner=user).delete()
    if not deleted:
        raise DomainError(_("只能删除自己保存的筛选。"), code="not_found", status=404)


def columns_shown(*, user: Any, spec: ListSpec) -> list[Column]:
    """The user's chosen columns (in the list's order), or the list's defaults."""
    choice = (
        ListColumnChoice.objects.filter(user=user, list_key=spec.key)
        .values_list("columns", flat=True)
        .first()
    )
    return _columns(spec, choice)


def _columns(spec: ListSpec, choice: str | None) -> list[Column]:
    keys = set(choice.split(",")) if choice else {c.key for c in spec.columns if c.default}
    return [c for c in spec.columns if c.required or c.key in keys]


def columns_choose(*, user: Any, spec: ListSpec, keys: list[str]) -> list[Column]:
    known = [c.key for c in spec.columns if c.key in set(keys) or c.required]
    ListColumnChoice.objects.update_or_create(
        user=user, list_key=spec.key, defaults={"columns": ",".join(known)}
    )
    return columns_shown(user=user, spec=spec)
