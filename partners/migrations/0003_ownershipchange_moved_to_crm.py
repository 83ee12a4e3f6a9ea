# OwnershipChange moved to crm (crm 0002): remove it from partners' state. Nothing in the database
# changes (the table partners_ownershipchange and its rows now belong to crm.OwnershipChange); the
# content type follows the model, so permissions granted on it and admin history keep pointing at it.

from django.db import migrations


def content_type_to_crm(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label='crm', model='ownershipchange').exists():
        ContentType.objects.using(db).filter(app_label='partners', model='ownershipchange').update(
            app_label='crm'
        )


def content_type_to_partners(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label='partners', model='ownershipchange').exists():
        ContentType.objects.using(db).filter(app_label='crm', model='ownershipchange').update(
            app_label='partners'
        )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('crm', '0002_ownershipchange_moved_from_partners'),
        ('partners', '0002_creditshare_id_order_unique'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='OwnershipChange')],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_crm, content_type_to_partners),
    ]
