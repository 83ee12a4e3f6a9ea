"""PostgreSQL: customer name search (`name__icontains`) is served by the trigram GIN index."""

from __future__ import annotations

import pytest
from django.db import connection

from crm.models import Customer
from crm.signals import ensure_search_indexes
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
