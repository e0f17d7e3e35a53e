"""Drop the foreign keys' own indexes that another index already leads (the models say which):
every bell and delivery of a fan-out was written into each of them. Only the indexes go; the
foreign key constraints stay as they are (Django's AlterField would drop and re-add, and so
re-validate, each constraint)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# (index, table, column): the indexes Django made for these foreign keys (db_index=True).
DROPPED = [
    ('notifications_delivery_account_id_25c6bff6', 'notifications_delivery', 'account_id'),
    ('notifications_delivery_channel_id_eac192a5', 'notifications_delivery', 'channel_id'),
    ('notifications_delivery_endpoint_id_846da2ab', 'notifications_delivery', 'endpoint_id'),
    ('notifications_delivery_event_id_b0d7d368', 'notifications_delivery', 'event_id'),
    ('notifications_delivery_psa_connection_id_fa652fc2', 'notifications_delivery', 'psa_connection_id'),
    ('notifications_notification_event_id_28551f97', 'notifications_notification', 'event_id'),
    ('notifications_notification_user_id_b5e8c0ff', 'notifications_notification', 'user_id'),
]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_account_mfa_required'),
        ('escalations', '0006_bounded_growth'),
        ('notifications', '0006_integrations_page'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"',
                                  reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
                for name, table, column in DROPPED
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='delivery',
                    name='account',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account'),
                ),
                migrations.AlterField(
                    model_name='delivery',
                    name='channel',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deliveries', to='notifications.notificationchannel'),
                ),
                migrations.AlterField(
                    model_name='delivery',
                    name='endpoint',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deliveries', to='notifications.webhookendpoint'),
                ),
                migrations.AlterField(
                    model_name='delivery',
                    name='event',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='escalations.escalationevent'),
                ),
                migrations.AlterField(
                    model_name='delivery',
                    name='psa_connection',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deliveries', to='notifications.psaconnection'),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='event',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='escalations.escalationevent'),
                ),
                migrations.AlterField(
                    model_name='notification',
                    name='user',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL),
                ),
            ],
        ),
    ]
