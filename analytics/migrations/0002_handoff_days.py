"""Per-day rollups of the escalation figures (analytics.rollups) and what keeps them honest.

PostgreSQL only (the embedded SQLite mode computes every figure live and never reads them):
- triggers on `escalations_handoff` (insert, delete, and updates of the columns the figures read)
  and on `escalations_pilotsession.resolved_at` write a `HandoffChange` in the writer's own
  transaction, whatever the code path (services, admin, a cascade, raw SQL): a reader treats a day
  with a change as stale and computes it live until a refresh folds the change in;
- every day that already has handoffs gets one change, so nothing is trusted before it is built:
  `manage.py build_analytics_rollups` (docs/performance.md) builds them; until then the figures are
  computed live, exactly as before.

The triggers only record the handoff's `created_at`: which day that is, is decided by
`analytics.days` at read and refresh time.
"""

import analytics.models
import django.contrib.postgres.fields
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

# The figures read these handoff columns (analytics.metrics): a change to any of them, or to the
# session's resolution, may move a figure of the handoff's day. `cancelled_at`, the assessment and
# the snapshot do not.
HANDOFF_COLUMNS = ("account_id", "created_at", "claimed_at", "claimed_by_id", "requested_by_id",
                   "first_action_at", "session_id")


def _row(prefix):
    return "(" + ", ".join(f"{prefix}.{column}" for column in HANDOFF_COLUMNS) + ")"


TRIGGERS = f"""
CREATE FUNCTION analytics_handoff_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO analytics_handoffchange (account_id, created_at) VALUES (OLD.account_id, OLD.created_at);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
            AND (NEW.account_id, NEW.created_at) IS DISTINCT FROM (OLD.account_id, OLD.created_at)) THEN
        INSERT INTO analytics_handoffchange (account_id, created_at) VALUES (NEW.account_id, NEW.created_at);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_handoff_written AFTER INSERT OR DELETE ON escalations_handoff
    FOR EACH ROW EXECUTE FUNCTION analytics_handoff_changed();
CREATE TRIGGER analytics_handoff_updated AFTER UPDATE OF {", ".join(HANDOFF_COLUMNS)} ON escalations_handoff
    FOR EACH ROW WHEN ({_row("OLD")} IS DISTINCT FROM {_row("NEW")})
    EXECUTE FUNCTION analytics_handoff_changed();

-- The conversion rate reads the session's resolution: every handoff of the session (a handful).
CREATE FUNCTION analytics_session_resolution_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_handoffchange (account_id, created_at)
    SELECT h.account_id, h.created_at FROM escalations_handoff h WHERE h.session_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_session_resolution_updated AFTER UPDATE OF resolved_at, account_id ON escalations_pilotsession
    FOR EACH ROW WHEN ((OLD.resolved_at, OLD.account_id) IS DISTINCT FROM (NEW.resolved_at, NEW.account_id))
    EXECUTE FUNCTION analytics_session_resolution_changed();

-- The keys are read whole and hardly compress: stored out of line without compression.
ALTER TABLE analytics_handoffday ALTER COLUMN ttc_keys SET STORAGE EXTERNAL,
    ALTER COLUMN ttfa_keys SET STORAGE EXTERNAL;

-- Every day that has handoffs is stale until it is built (one change per UTC day: analytics.days
-- was UTC days when this ran).
INSERT INTO analytics_handoffchange (account_id, created_at)
SELECT account_id, min(created_at) FROM escalations_handoff
GROUP BY account_id, (created_at AT TIME ZONE 'UTC')::date;
"""

DROP_TRIGGERS = """
DROP TRIGGER analytics_session_resolution_updated ON escalations_pilotsession;
DROP FUNCTION analytics_session_resolution_changed();
DROP TRIGGER analytics_handoff_updated ON escalations_handoff;
DROP TRIGGER analytics_handoff_written ON escalations_handoff;
DROP FUNCTION analytics_handoff_changed();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('analytics', '0001_baseline_sample'),
        ('escalations', '0006_bounded_growth'),
    ]

    operations = [
        migrations.CreateModel(
            name='HandoffChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('account_id', models.UUIDField()),
                ('created_at', models.DateTimeField()),
            ],
            options={
                'indexes': [models.Index(fields=['account_id', 'created_at'], name='handoffchange_account_idx')],
            },
        ),
        migrations.CreateModel(
            name='HandoffDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('escalations', models.PositiveIntegerField()),
                ('ttc_keys', django.contrib.postgres.fields.ArrayField(base_field=analytics.models.SortKeyField(), default=list, size=None)),
                ('ttfa_keys', django.contrib.postgres.fields.ArrayField(base_field=analytics.models.SortKeyField(), default=list, size=None)),
                ('resolved', models.PositiveIntegerField()),
                ('resolved_early', django.contrib.postgres.fields.ArrayField(base_field=models.DateTimeField(), default=list, size=None)),
                ('ttfa_median', models.FloatField(null=True)),
                ('refreshed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('account', 'day'), name='handoffday_account_day')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
