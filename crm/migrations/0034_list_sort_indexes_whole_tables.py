# Issue 16: the lists sorted over a whole table — the president's and admins' customers by name, contracts
# by amount, orders by total, quotes by total, leads by company (bench/pipeline_lists.py --roles president:
# 135–500 ms p95 sorting 100,000–1,000,000 rows). As 0028: on PostgreSQL built CONCURRENTLY after `migrate`
# by crm.signals.ensure_search_indexes (MODEL_INDEXES); here they enter the migration state; other
# databases build them now.

from django.db import migrations, models

from common.db import indexes_built_after_migrate

INDEXES = [
    ("customer", models.Index(fields=["name", "id"], name="customer_name_id_idx")),
    ("contract", models.Index(fields=["amount", "id"], name="contract_amount_id_idx")),
    ("order", models.Index(fields=["total", "id"], name="order_total_id_idx")),
    ("quote", models.Index(fields=["quoted_total", "id"], name="quote_total_id_idx")),
    ("lead", models.Index(fields=["company", "id"], name="lead_company_id_idx")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0033_merge_author_index_note_words"),
    ]

    operations = [indexes_built_after_migrate("crm", INDEXES)]
