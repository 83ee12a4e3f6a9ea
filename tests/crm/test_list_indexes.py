"""PostgreSQL, issue 16 (bench/pipeline_lists.py): the contacts and opportunities lists' sort and count
indexes are declared on the models, built CONCURRENTLY after `migrate`, and the lists' own queries can be
answered by them (the sort without sorting a team's rows, the total from the index alone)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.listtools import ListQuery, list_order
from crm import policy
from crm.lists import OPPORTUNITY_LIST
from crm.models import Contact, ContactRole, Opportunity
from crm.selectors import contact_list_for
from crm.signals import MODEL_INDEXES, ensure_search_indexes, model_index_definitions
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

DEFINITIONS = [
    ("contact_customer_role_idx", 'ON "crm_contact" ("customer_id", "role")'),
    ("opportunity_amount_id_idx", 'ON "crm_opportunity" ("amount", "id")'),
    ("opportunity_registered_id_idx", 'ON "crm_opportunity" ("registered_at", "id")'),
    ("opportunity_owner_stage_idx", 'ON "crm_opportunity" ("owner_id", "stage")'),
    ("customer_name_id_idx", 'ON "crm_customer" ("name", "id")'),
    ("contract_amount_id_idx", 'ON "crm_contract" ("amount", "id")'),
    ("order_total_id_idx", 'ON "crm_order" ("total", "id")'),
    ("quote_total_id_idx", 'ON "crm_quote" ("quoted_total", "id")'),
    ("lead_company_id_idx", 'ON "crm_lead" ("company", "id")'),
]


def _valid(name: str) -> bool | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def _plan(sql: str, params: list, *settings: str) -> str:  # type: ignore[type-arg]
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_list_indexes_come_from_the_models_and_are_valid_after_migrate():
    # Given the test database `migrate` built: the definitions are the models' own, every index is there
    assert model_index_definitions(connection) == DEFINITIONS
    assert [name for _label, name in MODEL_INDEXES] == [name for name, _ in DEFINITIONS]
    assert {name: _valid(name) for name, _ in DEFINITIONS} == {name: True for name, _ in DEFINITIONS}


@pytest.mark.django_db(transaction=True)
def test_a_missing_list_index_is_built_concurrently_and_its_table_analysed():
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX opportunity_amount_id_idx")
    with CaptureQueriesContext(connection) as ctx:
        assert ensure_search_indexes() is True
    statements = [q["sql"] for q in ctx.captured_queries]
    assert [s for s in statements if s.startswith("CREATE INDEX")] == [
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS opportunity_amount_id_idx"
        ' ON "crm_opportunity" ("amount", "id")'
    ]
    assert [s for s in statements if s.startswith("ANALYZE")] == ["ANALYZE crm_opportunity"]
    assert _valid("opportunity_amount_id_idx") is True


def test_a_reps_contact_total_with_a_role_is_counted_from_the_index_alone(org):
    # Given a rep's contacts with roles; when the contacts list counts those with one role
    for i in range(3):
        customer = CustomerFactory(owner=org.rep_a1)
        Contact.objects.create(
            customer=customer, name=f"决策{i}", position="总", role=ContactRole.DECISION_MAKER
        )
        Contact.objects.create(customer=customer, name=f"采购{i}", position="员", role=ContactRole.PURCHASING)
    qs = contact_list_for(org.rep_a1, role=ContactRole.DECISION_MAKER)
    assert qs.count() == 3
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    # Then the count's contacts come from (customer, role): no contact row is read
    plan = _plan(
        f"SELECT count(*) FROM ({sql}) AS list_rows", list(params), "enable_seqscan", "enable_bitmapscan"
    )
    assert "Index Only Scan using contact_customer_role_idx" in plan


@pytest.mark.parametrize(
    ("sort", "index"),
    [("-amount", "opportunity_amount_id_idx"), ("registered", "opportunity_registered_id_idx")],
)
def test_a_teams_sorted_opportunities_are_read_in_index_order(org, sort, index):  # type: ignore[no-untyped-def]
    # Given opportunities of two reps of manager A's team
    for i, owner in enumerate([org.rep_a1, org.rep_a2] * 3):
        Opportunity.objects.create(
            customer=CustomerFactory(owner=owner),
            owner=owner,
            name=f"商机{i}",
            amount=Decimal(f"{i + 1}000.00"),
            registered_at=dt.datetime(2026, 3, 2 + i, 10, tzinfo=dt.UTC),
        )
    # When the page picks its ids sorted by the column (the team is many owners)
    lq = ListQuery(sort=sort)
    ids = list_order(policy.opportunities_visible_to(org.manager_a), OPPORTUNITY_LIST, lq).values("pk")[:51]
    sql, params = ids.query.sql_with_params()
    # Then the (column, id) index is walked in order: the team's rows are not sorted (an incremental
    # sort over a one-column index is what the planner may pick on a handful of rows, so it is off too)
    plan = _plan(sql, list(params), "enable_sort", "enable_incremental_sort")
    assert index in plan and "Sort" not in plan


@pytest.mark.parametrize(
    ("list_key", "sort", "index"),
    [
        ("customers", "name", "customer_name_id_idx"),
        ("contracts", "-amount", "contract_amount_id_idx"),
        ("orders", "-total", "order_total_id_idx"),
        ("quotes", "-quoted_total", "quote_total_id_idx"),
        ("leads", "company", "lead_company_id_idx"),
    ],
)
def test_the_whole_table_sorted_by_a_column_is_read_in_index_order(org, list_key, sort, index):  # type: ignore[no-untyped-def]
    """The president sees every row: sorting 1M customers or 200,000 orders must not sort them (bench:
    135–500 ms p95 before these indexes)."""
    from crm.lists import LIST_SPECS

    scopes = {
        "customers": policy.customers_visible_to,
        "contracts": policy.contracts_visible_to,
        "orders": policy.orders_visible_to,
        "quotes": policy.quotes_visible_to,
        "leads": policy.leads_visible_to,
    }
    lq = ListQuery(sort=sort)
    ids = list_order(scopes[list_key](org.president), LIST_SPECS[list_key], lq).values("pk")[:51]
    sql, params = ids.query.sql_with_params()
    plan = _plan(sql, list(params), "enable_sort", "enable_incremental_sort", "enable_seqscan")
    assert index in plan and "Sort" not in plan
