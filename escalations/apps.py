from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from escalations import hook_registry, ws_revoke
        from escalations.assessment.dispatch import on_event_notified

        # Open websockets close when the authority they were opened with ends.
        ws_revoke.connect()

        # Every new handoff gets its AI assessment, queued by the worker that fans the escalation
        # out, once its bells are out (escalations.assessment.dispatch).
        if on_event_notified not in hook_registry.ON_EVENT_NOTIFIED:
            hook_registry.ON_EVENT_NOTIFIED.append(on_event_notified)
