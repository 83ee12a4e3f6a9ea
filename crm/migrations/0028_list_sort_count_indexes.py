# Issue 16: the contacts and opportunities lists' sort and count indexes (bench/pipeline_lists.py).
# On PostgreSQL these tables hold millions of rows: the indexes are built CONCURRENTLY after `migrate` by
# crm.signals.ensure_search_indexes (MODEL_INDEXES), so the tables keep taking writes; here they only
# enter the migration state. Other databases (SQLite: tests, the demo) build them now.

from django.db import migrations, models

from common.db import indexes_built_after_migrate

INDEXES = [
    ("contact", models.Index(fields=["customer", "role"], name="contact_customer_role_idx")),
    ("opportunity", models.Index(fields=["amount", "id"], name="opportunity_amount_id_idx")),
    ("opportunity", models.Index(fields=["registered_at", "id"], name="opportunity_registered_id_idx")),
    ("opportunity", models.Index(fields=["owner", "stage"], name="opportunity_owner_stage_idx")),
]


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0027_merge_rollup_raw_indexes"),
    ]

    operations = [indexes_built_after_migrate("crm", INDEXES)]
