from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from escalations import hook_registry
        from notifications import fanout, outbox, tasks
        from notifications.services import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="notifications.sqlite_functions")

        # The outbox and the fan-out publish these tasks, which call back into them: handed over
        # here so that neither module imports `tasks` (no import cycle, tests/test_architecture.py).
        outbox.use_tasks(deliver=tasks.deliver, deliver_psa=tasks.deliver_psa, dispatch_batch=tasks.dispatch_batch)
        fanout.use_tasks(fan_out_event=tasks.fan_out_event)
        # Idempotent: ready() can run more than once (tests, autoreload).
        # Every escalation event is fanned out (bells, emails, chat, PSA, webhooks) by a worker.
        if fanout.schedule not in hook_registry.ON_EVENT_RECORDED:
            hook_registry.ON_EVENT_RECORDED.append(fanout.schedule)
