from django.apps import AppConfig


class EscalationsConfig(AppConfig):
    name = "escalations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from escalations import hook_registry, ws_revoke
        from escalations.assessment.dispatch import on_handoff_created

        # Open websockets close when the authority they were opened with ends.
        ws_revoke.connect()

        # Every new handoff gets its AI assessment, queued once the escalation commits.
        if on_handoff_created not in hook_registry.ON_HANDOFF_CREATED:
            hook_registry.ON_HANDOFF_CREATED.append(on_handoff_created)
