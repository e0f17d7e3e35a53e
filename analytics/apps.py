from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from analytics.demo import build_demo_rollups, seed_baseline_samples
        from analytics.metrics import queue_summary
        from analytics.sql import register_sqlite_functions
        from analytics.tasks import refresh_after_write
        from escalations import extensions, hook_registry

        connection_created.connect(register_sqlite_functions, dispatch_uid="analytics.sqlite_functions")
        # The escalation domain does not import analytics; analytics plugs into it here: the queue
        # page's metric card and analytics' part of the demo data.
        extensions.register(extensions.QUEUE_SUMMARY, queue_summary)
        extensions.register(extensions.DEMO_SEEDERS, seed_baseline_samples)
        extensions.register(extensions.DEMO_SEEDERS, build_demo_rollups)
        # After a claim or a resolution commits, a worker refreshes one of the account's stale
        # per-day rollups (analytics.rollups). The triggers of migration 0002 mark every write, these
        # hooks or not; the hooks only keep the stale days few. A new escalation is today's, which
        # is always computed live: nothing to refresh for it.
        for hooks in (hook_registry.ON_HANDOFF_CLAIMED, hook_registry.ON_SESSION_RESOLVED):
            extensions.register(hooks, refresh_after_write)
