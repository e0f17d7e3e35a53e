"""In-app notifications (the bell), the channels admins configure (Slack, Teams, PSA, webhooks),
and the outbox: one `Delivery` row per outbound send (see docs/notifications.md)."""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.tenancy import AccountScopedManager
from notifications.crypto import EncryptedJSONField, EncryptedTextField
from resolutionflow.outbound import validate_public_url


class NotificationKind(models.TextChoices):
    ESCALATION = "escalation", "Escalation"
    HANDOFF = "handoff", "Handoff"
    CLAIMED = "claimed", "Picked up"
    WAITING = "waiting", "Waiting unclaimed"


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    # No index of their own: `user` leads both (user, …) indexes below, and `event` leads the unique
    # (event, user) one; every bell of a fan-out pays for each index it is written into.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
                             db_index=False)
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    handoff = models.ForeignKey("escalations.Handoff", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="notifications")
    # The escalation event this notification was fanned out from: one per recipient and event.
    event = models.ForeignKey("escalations.EscalationEvent", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"]), models.Index(fields=["user", "read_at"]),
            # The retention job: read notifications older than RETENTION_NOTIFICATION_DAYS.
            models.Index(fields=["created_at"], name="notification_read_created_idx",
                         condition=Q(read_at__isnull=False)),
        ]
        constraints = [
            # A fan-out run twice (a redelivered task) never gives anyone a second bell.
            models.UniqueConstraint(fields=["event", "user"], name="one_notification_per_event_and_user",
                                    condition=Q(event__isnull=False)),
        ]

    def __str__(self):
        return self.title


# --- Channels an account's admins configure ---------------------------------------------------

class ChannelKind(models.TextChoices):
    SLACK = "slack", "Slack (incoming webhook)"
    TEAMS = "teams", "Microsoft Teams (workflow webhook)"


class NotificationChannel(models.Model):
    """A Slack incoming webhook or a Teams workflow webhook that receives the account's escalations.
    The URL is a secret (whoever has it can post to the channel): stored encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    name = models.CharField(max_length=100, help_text="For you, e.g. “#escalations”.")
    url = EncryptedTextField(validators=[validate_public_url], help_text="The webhook URL (kept encrypted).")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.name}"


class ChatIdentity(models.Model):
    """How a user is @mentioned in Slack (Teams mentions use the email address)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_identity")
    slack_member_id = models.CharField(max_length=32, blank=True,
                                       validators=[RegexValidator(r"^[UW][A-Z0-9]{2,30}$",
                                                                  "A Slack member ID looks like U012AB3CD.")])

    objects = AccountScopedManager()


class PSAKind(models.TextChoices):
    CONNECTWISE = "connectwise", "ConnectWise Manage"
    AUTOTASK = "autotask", "Autotask"
    HALOPSA = "halopsa", "HaloPSA"


# Credential keys each vendor client needs (notifications.psa.<vendor> documents them).
PSA_CREDENTIAL_KEYS = {
    PSAKind.CONNECTWISE: ("company_id", "public_key", "private_key", "client_id"),
    PSAKind.AUTOTASK: ("username", "secret", "integration_code"),
    PSAKind.HALOPSA: ("client_id", "client_secret"),
}


class PSAConnection(models.Model):
    """The account's PSA: escalations and claims are written as notes on the session's ticket."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.OneToOneField("accounts.Account", on_delete=models.CASCADE, related_name="psa_connection")
    kind = models.CharField(max_length=16, choices=PSAKind.choices)
    base_url = models.URLField(validators=[validate_public_url],
                               help_text="The vendor API's base URL, e.g. https://api-na.myconnectwise.net.")
    credentials = EncryptedJSONField(default=dict, blank=True,
                                     help_text="API credentials (kept encrypted).")
    # Per-vendor, non-secret options, e.g. Autotask's {"note_type": 1, "publish": 2}, HaloPSA's tenant.
    options = models.JSONField(default=dict, blank=True)
    test_ticket_id = models.CharField(
        max_length=64, blank=True,
        help_text="A ticket the Integrations page's “Send a test” reads (it writes nothing), e.g. 4321.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedManager()

    def __str__(self):
        return f"{self.get_kind_display()} ({self.base_url})"

    def clean(self):
        """URL-like options (HaloPSA's `auth_url`, any `*_url`) are URLs the client will call:
        checked like `base_url` (and again, by the outbound client, on every request)."""
        errors = []
        for key, value in sorted((self.options or {}).items()) if isinstance(self.options, dict) else ():
            if not (key == "auth_url" or key.endswith("_url")) or value in (None, ""):
                continue
            try:
                validate_public_url(str(value))
            except ValidationError as exc:
                errors.append(f"{key}: {exc.messages[0]}")
        if errors:
            raise ValidationError({"options": errors})

    def client_config(self) -> dict:
        """The `config` the vendor client's post_note takes."""
        return {**(self.options or {}), **(self.credentials or {}), "base_url": self.base_url}


# --- Outbound webhooks (API.md) -----------------------------------------------------------------

class WebhookEvent(models.TextChoices):
    HANDOFF_CREATED = "handoff.created", "handoff.created"
    HANDOFF_CLAIMED = "handoff.claimed", "handoff.claimed"
    HANDOFF_ASSESSED = "handoff.assessed", "handoff.assessed"
    SESSION_RESOLVED = "session.resolved", "session.resolved"


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


# The event of a test delivery (`POST /api/v1/webhooks/{id}/test`): sent on request, never
# subscribed to, so it is not a WebhookEvent.
PING_EVENT = "ping"
# The event of the Integrations page's "Send a test" to a Slack/Teams channel (a short message) or
# the PSA connection (a read of its test ticket); webhooks get a PING_EVENT.
TEST_EVENT = "test"


class WebhookEndpoint(models.Model):
    """An integrator's endpoint. Deliveries are signed with `secret` (shown once: on create and on
    rotation). After a rotation the secret it replaced is kept, encrypted, as `previous_secret`
    until `previous_secret_expires_at` (WEBHOOK_SECRET_ROTATION_GRACE_HOURS): until then every
    delivery carries a signature with each (`signing_secrets`), so the integrator can deploy the
    new secret without refusing a delivery in between."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    url = EncryptedTextField(validators=[validate_public_url])
    secret = EncryptedTextField(default=new_webhook_secret, editable=False)
    previous_secret = EncryptedTextField(blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    events = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Webhook {self.pk}"

    def signing_secrets(self, *, now=None) -> list[str]:
        """The secrets a delivery sent now is signed with: the current one first, then the one it
        replaced while its grace period lasts."""
        now = now or timezone.now()
        secrets_ = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets_.append(self.previous_secret)
        return secrets_


# --- The outbox ----------------------------------------------------------------------------------

class DeliveryKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Teams"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    PSA = "psa", "PSA note"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its (next) attempt
    SENDING = "sending", "Sending"  # claimed by a worker
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"  # a permanent error (4xx, endpoint gone/disabled): not retried
    DEAD = "dead", "Dead"  # retries exhausted


class Delivery(models.Model):
    """One outbound send, written in the transaction that caused it and sent after commit.

    `id` is the delivery id (the `X-ResolutionFlow-Delivery` header of a webhook). `body` is the
    exact request body (JSON text) or, for email, the rendered message: every retry sends the same
    bytes. Secrets (URLs, credentials) stay on the channel/endpoint/connection and are read at send
    time, so a rotated URL is used by the next retry and nothing secret is copied here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # account, channel, endpoint, psa_connection and event have no index of their own: each leads
    # one of the indexes below, and every delivery of a fan-out pays for each index it is written into.
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=16, choices=DeliveryKind.choices)
    event_type = models.CharField(max_length=40)
    # The target: exactly one of these, by kind. SET_NULL keeps the history when a target is removed.
    channel = models.ForeignKey(NotificationChannel, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="deliveries", db_index=False)
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="deliveries", db_index=False)
    psa_connection = models.ForeignKey(PSAConnection, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="deliveries", db_index=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    target = models.CharField(max_length=300, blank=True, help_text="Readable target: channel name, address, ticket.")
    handoff = models.ForeignKey("escalations.Handoff", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    # The escalation event this delivery was fanned out from, and which target of it (kind and
    # target id): each channel gets exactly one delivery per event, however often the fan-out runs.
    event = models.ForeignKey("escalations.EscalationEvent", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    dedupe_key = models.CharField(max_length=80, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a task message for the next attempt was last published (or is due to run, for a
    # countdown): the sweeper re-publishes only when that message is overdue (lost).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # When the current attempt was claimed: a row `sending` for too long was lost with its worker.
    locked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The start of the target's answer to the last successful attempt, printable (a failure's is
    # in last_error): what the Integrations page shows after "Send a test".
    last_response = models.CharField(max_length=300, blank=True)
    external_id = models.CharField(max_length=100, blank=True, help_text="e.g. the PSA note id.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The sweeper's scans: due pending rows, and rows stuck sending.
            models.Index(fields=["next_attempt_at"], name="delivery_due_idx",
                         condition=Q(status="pending")),
            models.Index(fields=["locked_at"], name="delivery_sending_idx", condition=Q(status="sending")),
            models.Index(fields=["account", "-created_at"], name="delivery_account_idx"),
            # A target's delivery log, newest first (the webhook API's deliveries, the Integrations
            # page): a row has one target, so each row is in one of these partial indexes.
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx",
                         condition=Q(endpoint__isnull=False)),
            models.Index(fields=["channel", "-created_at"], name="delivery_channel_idx",
                         condition=Q(channel__isnull=False)),
            models.Index(fields=["psa_connection", "-created_at"], name="delivery_psa_idx",
                         condition=Q(psa_connection__isnull=False)),
            # The retention job: finished rows older than RETENTION_DELIVERY_DAYS, oldest first.
            models.Index(fields=["created_at"], name="delivery_finished_idx",
                         condition=Q(status__in=["delivered", "failed", "dead"])),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "dedupe_key"], name="one_delivery_per_event_and_target",
                                    condition=Q(event__isnull=False)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.event_type} → {self.target or '?'}"


class DeliveryAttempt(models.Model):
    """One try of a delivery, successful or not."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    succeeded = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
