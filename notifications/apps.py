from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from escalations import hook_registry
        from notifications import fanout

        # Idempotent: ready() can run more than once (tests, autoreload).
        # Every escalation event is fanned out (bells, emails, chat, PSA, webhooks) by a worker.
        if fanout.schedule not in hook_registry.ON_EVENT_RECORDED:
            hook_registry.ON_EVENT_RECORDED.append(fanout.schedule)
