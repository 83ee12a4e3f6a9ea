# Issue 16: the contacts and opportunities lists' sort and count indexes (bench/pipeline_lists.py).
# On PostgreSQL these tables hold millions of rows: the indexes are built CONCURRENTLY after `migrate` by
# crm.signals.ensure_search_indexes (MODEL_INDEXES), so the tables keep taking writes; here they only
# enter the migration state. Other databases (SQLite: tests, the demo) build them now.

from django.db import migrations, models

INDEXES = [
    ("contact", models.Index(fields=["customer", "role"], name="contact_customer_role_idx")),
    ("opportunity", models.Index(fields=["amount", "id"], name="opportunity_amount_id_idx")),
    ("opportunity", models.Index(fields=["registered_at", "id"], name="opportunity_registered_id_idx")),
    ("opportunity", models.Index(fields=["owner", "stage"], name="opportunity_owner_stage_idx")),
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
        ("crm", "0027_merge_rollup_raw_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name=model_name, index=index) for model_name, index in INDEXES
            ],
            database_operations=[migrations.RunPython(create_unless_postgres, drop)],
        ),
    ]
