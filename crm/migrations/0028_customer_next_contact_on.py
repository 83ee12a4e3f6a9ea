# Issue 14: the next contact planned by a customer's latest follow-up, kept on the customer (C7 "due for
# contact" becomes an index read), filled from the follow-ups.

from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def fill_next_contact(apps, schema_editor):
    """The 下次联系日期 of each customer's latest follow-up (by time, then the last entered); only customers
    with some planned follow-up are written (the same rule as crm.services.followups)."""
    Customer = apps.get_model("crm", "Customer")
    FollowUp = apps.get_model("crm", "FollowUp")
    latest = (
        FollowUp.objects.filter(customer=OuterRef("pk")).order_by("-occurred_at", "-id").values("next_date")[:1]
    )
    planned = FollowUp.objects.filter(customer=OuterRef("pk"), next_date__isnull=False)
    Customer.objects.filter(Exists(planned)).update(next_contact_on=Subquery(latest))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0027_merge_rollup_raw_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="next_contact_on",
            field=models.DateField(blank=True, null=True, verbose_name="下次联系日期"),
        ),
        migrations.RunPython(fill_next_contact, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("next_contact_on__isnull", False)),
                fields=["owner", "next_contact_on", "id"],
                name="customer_owner_next_idx",
            ),
        ),
    ]
