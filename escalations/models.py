"""FlowPilot sessions, their steps and messages, and handoffs (escalations)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.tenancy import AccountScopedManager


class SessionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REQUESTING_ESCALATION = "requesting_escalation", "Requesting escalation"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"


class PilotSession(models.Model):
    """A technician's troubleshooting session on one ticket."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=200)
    problem = models.TextField(max_length=10_000)
    client_name = models.CharField(max_length=200, blank=True)
    psa_ticket_id = models.CharField(max_length=64, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pilot_sessions")
    status = models.CharField(max_length=32, choices=SessionStatus.choices, default=SessionStatus.ACTIVE)
    resolution = models.TextField(max_length=10_000, blank=True)
    # The readable summary of the work so far, written by the handoff manager at each escalation.
    documentation = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["account", "status", "-created_at"]),
            models.Index(fields=["account", "owner", "-created_at"]),
            # Analytics' conversion rate: the sessions an account resolved since a date, read
            # index-only (id included) and hash-joined to the period's handoffs (docs/performance.md).
            models.Index(fields=["account", "resolved_at"], include=["id"], name="session_account_resolved_idx",
                         condition=Q(resolved_at__isnull=False)),
        ]

    def __str__(self):
        return self.title


class StepOutcome(models.TextChoices):
    WORKED = "worked", "Worked"
    DID_NOT_WORK = "did_not_work", "Did not work"
    INCONCLUSIVE = "inconclusive", "Inconclusive"


class Step(models.Model):
    """A diagnostic step tried in a session: what was done, what happened, whether it helped."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(PilotSession, on_delete=models.CASCADE, related_name="steps")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.TextField(max_length=2_000)
    result = models.TextField(max_length=5_000, blank=True)
    outcome = models.CharField(max_length=20, choices=StepOutcome.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["session", "created_at"])]


class MessageRole(models.TextChoices):
    USER = "user", "User"
    ASSISTANT = "assistant", "Copilot"
    SYSTEM = "system", "System"


class Message(models.Model):
    """A message of the session's conversation (the technician, the engineer or the copilot)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(PilotSession, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    role = models.CharField(max_length=16, choices=MessageRole.choices, default=MessageRole.USER)
    body = models.TextField(max_length=10_000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["session", "created_at"])]

    @property
    def author_name(self):
        if self.role == MessageRole.ASSISTANT:
            return "Copilot"
        return self.author.display_name if self.author_id else "System"


class HandoffIntent(models.TextChoices):
    ESCALATE = "escalate", "Escalate"
    HANDOFF = "handoff", "Hand off"


class AssessmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"


class HandoffQuerySet(models.QuerySet):
    def for_account(self, account):
        if account is None:
            return self.none()
        return self.filter(account=account)

    def unclaimed(self):
        return self.filter(claimed_at__isnull=True, cancelled_at__isnull=True)

    def claimed(self):
        return self.filter(claimed_at__isnull=False)


class Handoff(models.Model):
    """One escalation or shift handoff, with the snapshot of the session at that moment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="handoffs")
    session = models.ForeignKey(PilotSession, on_delete=models.CASCADE, related_name="handoffs")
    intent = models.CharField(max_length=16, choices=HandoffIntent.choices)
    reason = models.TextField(max_length=2_000)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    # The snapshot: what the engineer reads, frozen at the moment of the escalation.
    problem = models.TextField()
    # The most recent HANDOFF_MAX_STEPS_TRIED steps, and how many the session had then (null on
    # handoffs from before the cap: their `steps_tried` holds every step).
    steps_tried = models.JSONField(default=list)
    steps_tried_total = models.PositiveIntegerField(null=True, blank=True)
    conversation_tail = models.JSONField(default=list)
    assessment = models.JSONField(null=True, blank=True)
    assessment_status = models.CharField(max_length=16, choices=AssessmentStatus.choices,
                                         default=AssessmentStatus.PENDING)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_action_at = models.DateTimeField(null=True, blank=True)
    # Set when the session is resolved before anyone claimed it: the handoff leaves the queue.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    admins_renotified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The queue: an account's unclaimed handoffs, newest first.
            models.Index(fields=["account", "-created_at"], name="handoff_queue_idx",
                         condition=Q(claimed_at__isnull=True)),
            # An account's handoffs by creation time. Analytics (docs/performance.md): a period's
            # figures and daily trend read only these columns, so an index-only scan replaces a heap
            # page per row of the period. (It replaced `handoff_account_created_idx`, the same key
            # without the INCLUDE columns: escalations/migrations/0003.)
            models.Index(fields=["account", "created_at"], name="handoff_analytics_created_idx",
                         include=["claimed_at", "first_action_at", "claimed_by", "requested_by", "session"]),
            # The queue's metric card: claims of the last 7 days, by claim time.
            models.Index(fields=["account", "claimed_at"], name="handoff_account_claimed_idx",
                         include=["created_at", "first_action_at", "claimed_by", "requested_by"],
                         condition=Q(claimed_at__isnull=False)),
            # The assessment sweeper (escalations.tasks.requeue_stale_assessments): the oldest handoffs
            # still pending, a handful among all of them.
            models.Index(fields=["created_at"], name="handoff_assessment_pending_idx",
                         condition=Q(assessment_status=AssessmentStatus.PENDING)),
        ]
        constraints = [
            # At most one open (unclaimed, not cancelled) handoff per session: the database closes
            # the double-escalation race even if the application check were bypassed.
            models.UniqueConstraint(fields=["session"], name="one_open_handoff_per_session",
                                    condition=Q(claimed_at__isnull=True, cancelled_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.get_intent_display()}: {self.session_id}"

    @property
    def is_open(self):
        return self.claimed_at is None and self.cancelled_at is None

    @property
    def steps_tried_count(self) -> int:
        """How many steps had been tried when it was raised (`steps_tried` may hold fewer)."""
        return self.steps_tried_total if self.steps_tried_total is not None else len(self.steps_tried or [])


class IdempotencyRecord(models.Model):
    """The first response to an escalate/handoff POST sent with an `Idempotency-Key`."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=255)  # the endpoint and session it was used on
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "user", "key"], name="idempotency_key_unique")]
        # The retention job deletes records past IDEMPOTENCY_WINDOW, oldest first (notifications.retention).
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]


class EventType(models.TextChoices):
    HANDOFF_CREATED = "handoff.created", "handoff.created"
    HANDOFF_CLAIMED = "handoff.claimed", "handoff.claimed"
    HANDOFF_ASSESSED = "handoff.assessed", "handoff.assessed"
    HANDOFF_WAITING = "handoff.waiting", "handoff.waiting"
    SESSION_RESOLVED = "session.resolved", "session.resolved"


class EscalationEvent(models.Model):
    """The durable record of something that happened in the escalation flow, written in the same
    transaction as the change itself (docs/realtime.md). Whatever is done per recipient or per
    channel (bells, emails, chat, PSA notes, webhooks) is fanned out from this row by a worker,
    after commit; `fanned_out_at` says it is done, so a lost task is found again by the sweeper
    and a second run does nothing. The request that writes it does a constant amount of work."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40, choices=EventType.choices)
    handoff = models.ForeignKey(Handoff, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    session = models.ForeignKey(PilotSession, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The fan-out's two phases (notifications.fanout): the bells written, then every delivery.
    notified_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The sweeper: the few events whose fan-out has not run yet, oldest first.
            models.Index(fields=["created_at"], name="event_pending_fanout_idx",
                         condition=Q(fanned_out_at__isnull=True)),
            # The retention job: fanned-out events older than RETENTION_EVENT_DAYS, oldest first.
            models.Index(fields=["created_at"], name="event_fanned_out_idx", condition=Q(fanned_out_at__isnull=False)),
        ]

    def __str__(self):
        return f"{self.type} {self.pk}"
