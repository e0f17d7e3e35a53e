from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from escalations import hook_registry
        from notifications import fanout

        # Idempotent: ready() can run more than once (tests, autoreload).
        for registry, handler in (
            (hook_registry.ON_HANDOFF_CREATED, fanout.on_handoff_created),
            (hook_registry.ON_HANDOFF_CLAIMED, fanout.on_handoff_claimed),
            (hook_registry.ON_HANDOFF_ASSESSED, fanout.on_handoff_assessed),
            (hook_registry.ON_SESSION_RESOLVED, fanout.on_session_resolved),
        ):
            if handler not in registry:
                registry.append(handler)
