"""Issue 16: the list tools every list page and list API share — sort by a whitelisted column, owner /
team / date filters, a total (estimated on very large PostgreSQL tables), page links, the columns a user
chose and the saved filters (场景). The filters live in the URL; a list describes itself once in a
`ListSpec` (its columns, which column sorts by which field, how "team" narrows it) and calls these.

`common` imports no domain app: what is domain-specific (how a team narrows the rows, who may share a
filter) is passed in by the app that owns the list."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from common.timeutil import parse_day, start_of_local_day

# Parameters the tools own; a list's own filters (q, grade, …) are named in its spec.
TOOL_PARAMS = ("sort", "owner", "team", "date_from", "date_to")
PAGING_PARAMS = ("page", "after")


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    sort: str = ""  # the ORM field this column sorts by; "" = not sortable
    default: bool = True  # shown until the user chooses their own columns
    required: bool = False  # always shown (the row's name/link)
    # The API's cursor pages can sort by it: a field of the row itself that is never empty.
    cursor_safe: bool = False
    numeric: bool = False  # right-aligned (money, counts)


@dataclass(frozen=True)
class ListSpec:
    key: str  # stable id, e.g. "customers": saved filters and column choices are stored under it
    columns: tuple[Column, ...]
    title: str | Promise = ""  # the list's name, as the menu says it (an export's sheet)
    page_url_name: str = ""  # the list page's URL name (saved filters lead back to it)
    # The page's own query, part of the list and not a filter (the pipeline page shows its list with
    # `view=list`): the list unfiltered is the page with just this.
    page_query: str = ""
    filter_params: tuple[str, ...] = ()  # the list's own filters, kept in the URL and in saved filters
    owner_field: str = "owner_id"
    date_field: str = "created_at"
    date_label: str | Promise = ""
    # department id → condition (the owning app knows what a team is); None: no team filter
    team_condition: Callable[[int], Q] | None = None
    # The setting above whose number of rows (planner estimate) the total is estimated, not counted: a list
    # whose scope is a join (contacts, through their customers) counts at a higher price per row.
    estimate_above_setting: str = "CRM_LIST_ESTIMATE_ABOVE"

    @property
    def estimate_above(self) -> int:
        return int(getattr(settings, self.estimate_above_setting))

    @property
    def list_url(self) -> str:
        """The list page, unfiltered."""
        url = reverse(self.page_url_name)
        return f"{url}?{self.page_query}" if self.page_query else url

    @property
    def sortable(self) -> dict[str, str]:
        return {c.key: c.sort for c in self.columns if c.sort}

    @property
    def cursor_sortable(self) -> dict[str, str]:
        return {c.key: c.sort for c in self.columns if c.sort and c.cursor_safe}

    @property
    def saved_params(self) -> tuple[str, ...]:
        return (*self.filter_params, *TOOL_PARAMS)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass
class ListQuery:
    """The tools' part of a list URL, validated (a bad value is dropped with a message, never a 500)."""

    sort: str = ""  # column key, "-" prefixed for descending; "" = the list's default (newest first)
    owner: int | None = None
    team: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


def _positive_int(raw: str | None) -> int | None:
    try:
        value = int(raw or "")
    except ValueError:
        return None
    return value if value > 0 else None


def list_query_parse(spec: ListSpec, params: QueryDict | dict[str, Any], *, api: bool = False) -> ListQuery:
    """`api`: the API's cursor pages sort only by the columns that are safe for a cursor."""
    lq = ListQuery()
    sort = str(params.get("sort") or "").strip()
    if sort:
        if sort.lstrip("-") in (spec.cursor_sortable if api else spec.sortable):
            lq.sort = sort
        else:
            lq.errors.append(_("无法按该列排序，已按默认顺序显示。"))
    for name in ("owner", "team"):
        raw = params.get(name)
        if raw:
            value = _positive_int(str(raw))
            if value is None:
                lq.errors.append(_("筛选条件无效，已忽略。"))
            setattr(lq, name, value)
    for name in ("date_from", "date_to"):
        raw = params.get(name)
        if raw:
            day = parse_day(str(raw))
            if day is None:
                lq.errors.append(_("日期格式应为 YYYY-MM-DD，已忽略。"))
            setattr(lq, name, day)
    if lq.date_from and lq.date_to and lq.date_from > lq.date_to:
        lq.errors.append(_("开始日期晚于结束日期，已交换。"))
        lq.date_from, lq.date_to = lq.date_to, lq.date_from
    lq.page = _positive_int(str(params.get("page") or "")) or 1
    return lq


def list_filter(qs: QuerySet[Any], spec: ListSpec, lq: ListQuery) -> QuerySet[Any]:
    """Owner, team and date filters (the caller's queryset is already scoped to what the user may see)."""
    if lq.owner:
        qs = qs.filter(**{spec.owner_field: lq.owner})
    if lq.team and spec.team_condition is not None:
        qs = qs.filter(spec.team_condition(lq.team))
    if lq.date_from:
        qs = qs.filter(**{f"{spec.date_field}__gte": start_of_local_day(lq.date_from)})
    if lq.date_to:
        qs = qs.filter(**{f"{spec.date_field}__lt": start_of_local_day(lq.date_to + dt.timedelta(days=1))})
    return qs


def api_ordering(spec: ListSpec, lq: ListQuery) -> tuple[str, ...]:
    """The cursor pagination's ordering for a validated API sort (newest first by default). A cursor-safe
    column is never empty: its id follows its direction, as on the page (`list_order`), so a `(column, id)`
    index read either way serves it."""
    if not lq.sort:
        return ("-id",)
    field_name = spec.cursor_sortable[lq.sort_key]
    return (f"-{field_name}", "-id") if lq.descending else (field_name, "id")


def _may_be_empty(model: Any, path: str) -> bool:
    """Whether a sort path can be NULL: a nullable field on the way (an outer join) or not a field at all
    (an annotation such as a sum)."""
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return True
        if getattr(field, "null", False):
            return True
        if field.is_relation:
            model = field.related_model
    return False


def list_order(qs: QuerySet[Any], spec: ListSpec, lq: ListQuery) -> QuerySet[Any]:
    """The chosen column (empty values last either way), then by id so pages are stable. A column that is
    never empty sorts plainly, its id in the same direction: `(column, id)` — one b-tree index, read
    forwards or backwards, serves both directions without sorting the user's whole list (issue 16,
    bench/pipeline_lists.py)."""
    if not lq.sort:
        return qs.order_by("-id")
    path = spec.sortable[lq.sort_key]
    if not _may_be_empty(qs.model, path):
        return qs.order_by(f"-{path}", "-id") if lq.descending else qs.order_by(path, "id")
    expr = F(path)
    ordered = expr.desc(nulls_last=True) if lq.descending else expr.asc(nulls_last=True)
    return qs.order_by(ordered, "-id")


@dataclass(frozen=True)
class ListTotal:
    value: int
    estimated: bool


def _planner_rows(qs: QuerySet[Any]) -> int | None:
    """PostgreSQL's own row estimate for the query (EXPLAIN, no scan); 0 for a query that can match
    nothing (e.g. a filter value no row can have, which Django turns into an empty result)."""
    try:
        sql, params = qs.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return 0
    with connections[qs.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _threshold(estimate_above: int | None) -> int:
    return settings.CRM_LIST_ESTIMATE_ABOVE if estimate_above is None else estimate_above


def list_total(qs: QuerySet[Any], *, estimate_above: int | None = None) -> ListTotal:
    """The number of rows the filters match. On PostgreSQL, when the planner expects more than
    `estimate_above` (default CRM_LIST_ESTIMATE_ABOVE) rows, its estimate is shown ("about …") instead of
    counting a huge table."""
    if connections[qs.db].vendor == "postgresql":
        estimate, threshold = _planner_rows(qs), _threshold(estimate_above)
        if estimate is not None and estimate > threshold:
            # the planner can be far off (a rep's 10,000 contracts estimated at 55,000): count up to one
            # row past the threshold, which costs no more than a list under it
            capped = qs.order_by().values("pk")[: max(threshold, 0) + 1].count()
            if capped > threshold:
                return ListTotal(max(estimate, capped), True)
            return ListTotal(capped, False)
    return ListTotal(qs.count(), False)


# Issue 16: the total rides on the page's own query, as one more column — an uncorrelated scalar subquery,
# which the database computes once (PostgreSQL: an InitPlan), not once per row. On PostgreSQL it calls
# this function: an exact count, except when the planner expects more than the threshold and counting up
# to one row past it finds more — then the estimate ("about …"). The same rule as list_total, without a
# second round trip. Installed after migrate (common/apps.py).
LIST_TOTAL_FUNCTION = r"""
CREATE OR REPLACE FUNCTION common_list_total(query text, estimate_above bigint) RETURNS bigint[] AS $$
DECLARE
    plan json;
    estimate bigint;
    exact bigint;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    estimate := round((plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric);
    IF estimate > estimate_above THEN
        EXECUTE 'SELECT count(*) FROM (SELECT 1 FROM (' || query || ') AS list_rows LIMIT '
            || greatest(estimate_above, 0) + 1 || ') AS capped' INTO exact;
        IF exact > estimate_above THEN
            RETURN ARRAY[greatest(estimate, exact), 1];
        END IF;
        RETURN ARRAY[exact, 0];
    END IF;
    EXECUTE 'SELECT count(*) FROM (' || query || ') AS list_rows' INTO exact;
    RETURN ARRAY[exact, 0];
END;
$$ LANGUAGE plpgsql VOLATILE;  -- EXPLAIN is refused in a STABLE function; called once (InitPlan)
"""
TOTAL_ALIAS = "list_total_"


class _TotalColumn(RawSQL):
    """The same value on every row: never part of a GROUP BY (lists with sums per row)."""

    def get_group_by_cols(self) -> list[Any]:
        return []


def with_list_total(
    rows: QuerySet[Any], total_of: QuerySet[Any], *, estimate_above: int | None = None
) -> QuerySet[Any]:
    """`rows` with the total of `total_of` (the filtered list, before paging) on each row; read it back
    with `list_total_from`. A filter that can match nothing gets no column (its page is empty)."""
    try:
        sql, params = total_of.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return rows
    connection = connections[total_of.db]
    if connection.vendor == "postgresql":
        # the query as text, its values quoted by the driver (never pasted in by hand)
        query = connection.ops.compose_sql(sql, params)  # type: ignore[attr-defined]  # PostgreSQL ops only
        column = _TotalColumn("SELECT common_list_total(%s, %s)", [query, _threshold(estimate_above)])
    else:
        column = _TotalColumn(f"SELECT COUNT(*) FROM ({sql}) AS list_rows", params)
    return rows.annotate(**{TOTAL_ALIAS: column})


def list_total_from(
    rows: list[Any], total_of: QuerySet[Any], *, first_page: bool, estimate_above: int | None = None
) -> ListTotal:
    """The total a page's rows carry (`with_list_total`). An empty first page is an exact 0; an empty
    later page (a stale link) asks once more."""
    if rows and hasattr(rows[0], TOTAL_ALIAS):
        value = getattr(rows[0], TOTAL_ALIAS)
        if isinstance(value, list | tuple):
            return ListTotal(int(value[0]), bool(value[1]))
        return ListTotal(int(value), False)
    if not rows and first_page:
        return ListTotal(0, False)
    return list_total(total_of, estimate_above=estimate_above)


@dataclass(frozen=True)
class ListPage:
    rows: list[Any]
    page: int
    first_url: str | None
    prev_url: str | None
    next_url: str | None
    next_cursor: int | None = None  # keyset pages: the id the next page starts after
    total: ListTotal | None = None  # with `total_of`: the list's total, read from the page's own query


def _query_string(params: Iterable[tuple[str, str]], **extra: Any) -> str:
    items = [(k, v) for k, v in params if k not in PAGING_PARAMS and v != ""]
    items += [(k, str(v)) for k, v in extra.items()]
    return "?" + urlencode(items)


def list_page(
    qs: QuerySet[Any],
    lq: ListQuery,
    params: QueryDict,
    *,
    size: int,
    total_of: QuerySet[Any] | None = None,
    estimate_above: int | None = None,
) -> ListPage:
    """One page. In the default order (newest first) pages are keyset (`after`: the same cost on page
    1 and page 10,000); sorted by a column, pages are numbered. `total_of`: the rows to total (the
    list before paging); the total comes back in the page's own query."""
    base = list(params.lists())
    flat = [(k, v) for k, values in base for v in values]
    offset = (lq.page - 1) * size
    if lq.sort:
        # The page's ids first (sorted and cut without the joined columns), then those rows with their
        # joins: a database joins before it sorts, so one query would join every row of a rep's 10,000
        # opportunities to its customer to show 50 of them (1M bench: 160 ms; bench/pipeline_lists.py).
        qs = qs.filter(pk__in=qs.values("pk")[offset : offset + size + 1])
    if total_of is not None:
        qs = with_list_total(qs, total_of, estimate_above=estimate_above)

    def total(rows: list[Any], first_page: bool) -> ListTotal | None:
        if total_of is None:
            return None
        return list_total_from(rows, total_of, first_page=first_page, estimate_above=estimate_above)

    if not lq.sort:
        after = _positive_int(params.get("after"))
        page_qs = qs.filter(pk__lt=after) if after else qs
        rows = list(page_qs[: size + 1])
        has_more = len(rows) > size
        rows = rows[:size]
        cursor = rows[-1].pk if has_more and rows else None
        first = _query_string(flat) if after else None
        next_url = _query_string(flat, after=cursor) if cursor else None
        return ListPage(rows, 1, first, None, next_url, cursor, total(rows, not after))
    rows = list(qs)
    has_more = len(rows) > size
    rows = rows[:size]
    return ListPage(
        rows,
        lq.page,
        _query_string(flat) if lq.page > 1 else None,
        _query_string(flat, page=lq.page - 1) if lq.page > 1 else None,
        _query_string(flat, page=lq.page + 1) if has_more else None,
        total=total(rows, lq.page == 1),
    )


@dataclass(frozen=True)
class HeaderCell:
    column: Column
    sort_url: str | None  # None: not sortable
    sorted: str  # "asc", "desc" or ""


def list_headers(spec: ListSpec, lq: ListQuery, params: QueryDict, shown: list[Column]) -> list[HeaderCell]:
    """The table's header: each sortable column links to its sort (clicking again reverses it)."""
    flat = [(k, v) for k, values in params.lists() if k != "sort" for v in values]
    cells = []
    for column in shown:
        if not column.sort:
            cells.append(HeaderCell(column, None, ""))
            continue
        current = "desc" if lq.sort == f"-{column.key}" else "asc" if lq.sort == column.key else ""
        next_sort = f"-{column.key}" if current == "asc" else column.key
        cells.append(HeaderCell(column, _query_string(flat, sort=next_sort), current))
    return cells


def clean_saved_query(spec: ListSpec, params: QueryDict | str) -> str:
    """What a saved filter keeps of a URL: the list's filters and the tools' parameters, nothing else
    (no page position, no stray parameters)."""
    qd = QueryDict(params) if isinstance(params, str) else params
    items = [(k, v) for k in spec.saved_params for v in qd.getlist(k) if v != ""]
    return urlencode(items)
