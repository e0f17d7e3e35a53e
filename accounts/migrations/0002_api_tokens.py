"""Personal API tokens get a model of their own (knox's, swapped in by KNOX_TOKEN_MODEL): a UUID id,
a name and when each was last used. Tokens in knox's own table (databases migrated before this)
are copied, named "CLI", so their keys keep working; then knox's table is dropped. knox's own
migrations do not mark its model swappable, so they create that table even when it is swapped
out; left in place, its foreign key to the user would block deleting a user (and flushing a test
database) without anything ever reading it."""

import datetime
import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


KNOX_TABLE = "knox_authtoken"


def _aware(value):
    if value is None or not timezone.is_naive(value):
        return value
    return timezone.make_aware(value, datetime.timezone.utc)


def copy_knox_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if KNOX_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT digest, token_key, user_id, created, expiry FROM {KNOX_TABLE}")
        # SQLite hands back naive UTC times; PostgreSQL aware ones.
        rows = [(digest, token_key, user_id, _aware(created), _aware(expiry))
                for digest, token_key, user_id, created, expiry in cursor.fetchall()]
    ApiToken.objects.bulk_create(
        ApiToken(id=uuid.uuid4(), digest=digest, token_key=token_key, user_id=user_id, created=created,
                 expiry=expiry, name="CLI")
        for digest, token_key, user_id, created, expiry in rows)
    # `created` is auto_now_add: bulk_create set it to now; keep the original times.
    for digest, _token_key, _user_id, created, _expiry in rows:
        ApiToken.objects.filter(digest=digest).update(created=created)
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(KNOX_TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        # knox's table is complete (all of its migrations ran) before its rows are copied.
        ('knox', '0009_extend_authtoken_field'),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('token_key', models.CharField(db_index=True, max_length=25)),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('expiry', models.DateTimeField(blank=True, null=True)),
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('digest', models.CharField(max_length=128, unique=True)),
                ('name', models.CharField(default='CLI', max_length=100)),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='auth_token_set', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'ordering': ['-created'],
            },
        ),
        migrations.RunPython(copy_knox_tokens, migrations.RunPython.noop),
    ]
