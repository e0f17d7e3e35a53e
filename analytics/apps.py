from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from analytics.sql import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="analytics.sqlite_functions")
