# Issue 16: the lists sorted over a whole table — the president's and admins' customers by name, contracts
# by amount, orders by total, quotes by total, leads by company (bench/pipeline_lists.py --roles president:
# 135–500 ms p95 sorting 100,000–1,000,000 rows). As 0028: on PostgreSQL built CONCURRENTLY after `migrate`
# by crm.signals.ensure_search_indexes (MODEL_INDEXES); here they enter the migration state; other
# databases build them now.

from django.db import migrations, models

INDEXES = [
    ("customer", models.Index(fields=["name", "id"], name="customer_name_id_idx")),
    ("contract", models.Index(fields=["amount", "id"], name="contract_amount_id_idx")),
    ("order", models.Index(fields=["total", "id"], name="order_total_id_idx")),
    ("quote", models.Index(fields=["quoted_total", "id"], name="quote_total_id_idx")),
    ("lead", models.Index(fields=["company", "id"], name="lead_company_id_idx")),
]


def create_unless_postgres(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        return  # built CONCURRENTLY after migrate (crm/signals.py)
    for model_name, index in INDEXES:
        schema_editor.add_index(apps.get_model("crm", model_name), index)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    for model_name, index in INDEXES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index.name)}")
        else:
            schema_editor.remove_index(apps.get_model("crm", model_name), index)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0033_merge_author_index_note_words"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name=model_name, index=index) for model_name, index in INDEXES
            ],
            database_operations=[migrations.RunPython(create_unless_postgres, drop)],
        ),
    ]
