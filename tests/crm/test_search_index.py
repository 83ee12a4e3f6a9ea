"""PostgreSQL: customer name search (`name__icontains`) is served by the trigram GIN index."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from crm.models import Customer
from crm.search import PhoneEndsWith
from crm.signals import SEARCH_INDEXES, ensure_search_indexes
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_trigram_index_exists_and_answers_icontains(rep):
    CustomerFactory(owner=rep, name="上海星河科技有限公司")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'customer_name_trgm_idx'")
        (indexdef,) = cursor.fetchone()
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "gin_trgm_ops" in indexdef and "upper" in indexdef.lower()
    plan = Customer.objects.filter(name__icontains="星河科技").explain()
    assert "customer_name_trgm_idx" in plan
    assert list(Customer.objects.filter(name__icontains="星河科技").values_list("name", flat=True)) == [
        "上海星河科技有限公司"
    ]


def test_index_handler_is_idempotent():
    assert ensure_search_indexes() is True
    assert ensure_search_indexes() is True


@pytest.mark.parametrize(
    ("model", "lookup", "index"),
    [
        ("Customer", {"phone__contains": "98765"}, "customer_phone_trgm_idx"),
        ("Customer", {"credit_code__iexact": "91310000X"}, "customer_credit_code_upper_idx"),
        ("Contact", {"name__icontains": "王经理"}, "contact_name_trgm_idx"),
        ("Contact", {"phone__contains": "98765"}, "contact_phone_trgm_idx"),
        ("Opportunity", {"name__icontains": "采购项目"}, "opportunity_name_trgm_idx"),
        ("Contract", {"number__icontains": "HT0012"}, "contract_number_trgm_idx"),
        ("Contract", {"title__icontains": "年度服务"}, "contract_title_trgm_idx"),
        ("Order", {"number__icontains": "SO0012"}, "order_number_trgm_idx"),
        ("Quote", {"number__icontains": "Q2026"}, "quote_number_trgm_idx"),
        ("Quote", {"title__icontains": "年度报价"}, "quote_title_trgm_idx"),
        ("Lead", {"company__icontains": "星河"}, "lead_company_trgm_idx"),
    ],
)
def test_global_search_conditions_each_have_an_index(model, lookup, index):  # type: ignore[no-untyped-def]
    """Issue 16: every OR branch of the global search has its own index, so a rare term at 1M customers
    is found through bitmaps, not a scan of the table (bench/global_search.py)."""
    from django.apps import apps

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    # without the model's default ordering: the condition's own index, not a walk of the primary key
    plan = apps.get_model("crm", model).objects.filter(**lookup).order_by().explain()
    assert index in plan


def _index_state(name: str) -> tuple[bool, str] | None:
    """(valid, definition) of an index, None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [name],
        )
        return cursor.fetchone()


def test_every_search_index_exists_and_is_valid_after_migrate():
    """The test database was built by `migrate`: its post_migrate built them all (concurrently)."""
    states = {name: _index_state(name) for name, _definition in SEARCH_INDEXES}
    assert {name: state is not None and state[0] for name, state in states.items()} == {
        name: True for name, _definition in SEARCH_INDEXES
    }
    assert "reverse(regexp_replace" in states["customer_phone_tail_idx"][1]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_indexes_are_built_concurrently_and_a_broken_one_rebuilt(rep):  # type: ignore[no-untyped-def]
    """Issue 16: a deployment on a big table keeps taking writes while an index is built; a concurrent
    build that failed half-way (an invalid index of that name) is dropped and built again."""
    CustomerFactory(owner=rep, grade="A")
    CustomerFactory(owner=rep, grade="A")
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX customer_phone_tail_idx")
        cursor.execute("DROP INDEX contact_phone_tail_idx")
        with pytest.raises(Exception):  # noqa: B017 — a unique index on a repeated value fails half-way
            cursor.execute("CREATE UNIQUE INDEX CONCURRENTLY customer_phone_tail_idx ON crm_customer (grade)")
    assert _index_state("customer_phone_tail_idx")[0] is False
    with CaptureQueriesContext(connection) as ctx:
        assert ensure_search_indexes() is True
    statements = [q["sql"] for q in ctx.captured_queries]
    assert "DROP INDEX CONCURRENTLY IF EXISTS customer_phone_tail_idx" in statements
    created = [s.split()[6] for s in statements if s.startswith("CREATE INDEX CONCURRENTLY IF NOT EXISTS")]
    assert created == ["customer_phone_tail_idx", "contact_phone_tail_idx"]  # only what was missing
    assert not any(s.startswith("CREATE INDEX IF") for s in statements)
    assert [s for s in statements if s.startswith("ANALYZE")] == [
        "ANALYZE crm_contact",
        "ANALYZE crm_customer",
    ]
    for name in ("customer_phone_tail_idx", "contact_phone_tail_idx"):
        valid, definition = _index_state(name)
        assert valid is True and "reverse(regexp_replace" in definition


@pytest.mark.parametrize(
    ("model", "index"), [("Customer", "customer_phone_tail_idx"), ("Contact", "contact_phone_tail_idx")]
)
def test_a_whole_phone_number_reads_the_phone_tail_index(model, index):  # type: ignore[no-untyped-def]
    """Issue 16: a whole number is a btree range on the reversed digits, not a trigram scan."""
    from django.apps import apps

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    qs = apps.get_model("crm", model).objects.filter(PhoneEndsWith(F("phone"), "13912345678")).order_by()
    assert index in qs.explain()


def test_a_whole_phone_number_is_found_however_it_was_stored(rep):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=rep, phone="13912345678")
    customer.contacts.create(name="李晓明", phone="+86 139-1234-5678")
    customer.contacts.create(name="王五", phone="139123456789")
    from crm.models import Contact

    found = Contact.objects.filter(PhoneEndsWith(F("phone"), "13912345678")).values_list("name", flat=True)
    assert list(found) == ["李晓明"]
