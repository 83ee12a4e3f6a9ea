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
