"""In-app notifications (the bell)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.tenancy import AccountScopedManager


class NotificationKind(models.TextChoices):
    ESCALATION = "escalation", "Escalation"
    HANDOFF = "handoff", "Handoff"
    CLAIMED = "claimed", "Picked up"
    WAITING = "waiting", "Waiting unclaimed"


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    handoff = models.ForeignKey("escalations.Handoff", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="notifications")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"]), models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.title
