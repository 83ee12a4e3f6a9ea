from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0024_approval_title_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="approvalstep",
            name="reason_words",
            field=models.JSONField(blank=True, editable=False, null=True, verbose_name="意见（多语言）"),
        ),
    ]
