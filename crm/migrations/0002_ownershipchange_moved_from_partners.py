# OwnershipChange (SPEC P1, a customer's ownership history) moves from partners to crm.
#
# State only: the table keeps its name (partners_ownershipchange), its rows, its indexes and the
# database's foreign key from collision_id to partners_collisioncase. crm records the collision case
# only by id, because partners sits above crm. partners 0003 removes the model from partners' state.
# On a new database the table is created by partners 0001 as before.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OwnershipChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(choices=[('created', '新建'), ('assigned', '分配'), ('claimed', '从公海领取'), ('released', '未联系释放到公海'), ('collision', '撞单裁决'), ('transferred', '转移'), ('lead', '线索分配')], max_length=20, verbose_name='原因')),
                        ('note', models.CharField(blank=True, max_length=500, verbose_name='说明')),
                        ('changed_at', models.DateTimeField(db_index=True, verbose_name='时间')),
                        ('collision_id', models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name='撞单')),
                        ('changed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
                        ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ownership_changes', to='crm.customer', verbose_name='客户')),
                        ('from_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='原负责人')),
                        ('to_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='新负责人')),
                    ],
                    options={
                        'verbose_name': '归属变更',
                        'verbose_name_plural': '归属变更',
                        'db_table': 'partners_ownershipchange',
                        'ordering': ['-changed_at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
