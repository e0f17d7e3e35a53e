"""Analytics days follow the account's time zone (issue #11, `analytics.days`): when an account's
`time_zone` changes, its rollup rows were built for days of the old zone. A trigger marks every day
of the account stale in the changing transaction itself (whatever the code path: the settings
page, the admin, raw SQL), exactly as `rollups.mark_all(account_id=...)` does: one change per
new-zone day with handoffs and one per existing row. Readers compute those days live until beat's
`refresh_stale_days` (or `manage.py build_analytics_rollups`) rebuilds them in the new zone, so the
figures never mix zones. The cost is one grouped index scan of the account's handoffs, in a rare
admin write."""

from django.db import migrations

TRIGGER = """
CREATE FUNCTION analytics_account_zone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_handoffchange (account_id, created_at)
    SELECT h.account_id, min(h.created_at) FROM escalations_handoff h WHERE h.account_id = NEW.id
    GROUP BY h.account_id, (h.created_at AT TIME ZONE NEW.time_zone)::date
    UNION ALL
    SELECT d.account_id, (d.day::timestamp AT TIME ZONE NEW.time_zone) FROM analytics_handoffday d
    WHERE d.account_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER analytics_account_zone_updated AFTER UPDATE OF time_zone ON accounts_account
    FOR EACH ROW WHEN (OLD.time_zone IS DISTINCT FROM NEW.time_zone)
    EXECUTE FUNCTION analytics_account_zone_changed();
"""

DROP_TRIGGER = """
DROP TRIGGER analytics_account_zone_updated ON accounts_account;
DROP FUNCTION analytics_account_zone_changed();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_time_zones"),
        ("analytics", "0002_handoff_days"),
    ]

    operations = [
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
    ]
