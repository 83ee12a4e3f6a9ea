# Issue 14: the manager's home counts the team's new customers of the month from an index range.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0028_customer_next_contact_on"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "created_at"], name="customer_owner_created_idx"),
        ),
    ]
