"""Issue 12: the ledger's unique `source_key` compared byte by byte (COLLATE "C") on PostgreSQL.

Keys are ASCII identifiers (`e:202610:<share>:<plan>:<component>`, …): their order by bytes is their
order by the database's locale, but a locale comparison is several times dearer — and the unique index
on them was the dearest part of writing a ledger line (bench/README: the per-category path). SQLite has
no "C" collation and compares bytes already, so the model keeps the column as it was."""

from django.db import migrations


def bytes_order(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE commissions_commissionline ALTER COLUMN source_key TYPE varchar(200) COLLATE "C"'
        )


def locale_order(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE commissions_commissionline ALTER COLUMN source_key "
            'TYPE varchar(200) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("commissions", "0010_ledger_keys_per_statement")]

    operations = [migrations.RunPython(bytes_order, locale_order)]
