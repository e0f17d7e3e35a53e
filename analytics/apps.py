from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from analytics.demo import seed_baseline_samples
        from analytics.metrics import queue_summary
        from analytics.sql import register_sqlite_functions
        from escalations import extensions

        connection_created.connect(register_sqlite_functions, dispatch_uid="analytics.sqlite_functions")
        # The escalation domain does not import analytics; analytics plugs into it here: the queue
        # page's metric card and analytics' part of the demo data.
        extensions.register(extensions.QUEUE_SUMMARY, queue_summary)
        extensions.register(extensions.DEMO_SEEDERS, seed_baseline_samples)
