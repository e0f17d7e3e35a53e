"""Manual baseline samples (stopwatch timings of escalations done the old way, the verbal call) and
the per-day rollups of the in-product figures."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.tenancy import AccountScopedManager

# One verbal escalation call, timed with a stopwatch: from "can you help me?" to the engineer's
# first action on the problem. More than 8 hours is a typing mistake, not a measurement.
MAX_BASELINE_SECONDS = 8 * 60 * 60


class BaselineSample(models.Model):
    """One stopwatch timing recorded by an account admin. Its median (and count) is the manual
    baseline that minutes recovered are computed against; it is never mixed with the in-product
    metric (docs/metrics.md)."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="baseline_samples")
    seconds = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BASELINE_SECONDS)],
        help_text="How long the old-way escalation took, in seconds.",
    )
    measured_on = models.DateField(default=timezone.localdate)
    # Who held the stopwatch: a member of the account, or a free-text name (a consultant, a lead
    # who has no login).
    measured_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    measured_by_name = models.CharField(max_length=150, blank=True, verbose_name="measured by (name)")
    note = models.CharField(max_length=500, blank=True)
    # Who entered it (audit); may differ from who measured it.
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AccountScopedManager()

    class Meta:
        ordering = ["-measured_on", "-created_at"]
        indexes = [models.Index(fields=["account", "-measured_on"], name="baseline_account_measured_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(seconds__gte=1), name="baseline_seconds_positive"),
        ]

    def __str__(self):
        return f"{self.seconds} s on {self.measured_on}"

    @property
    def measurer(self) -> str:
        if self.measured_by_id:
            return self.measured_by.display_name
        return self.measured_by_name

    def clean(self):
        errors = {}
        if self.measured_by_id and self.account_id and self.measured_by.account_id != self.account_id:
            errors["measured_by"] = "Choose a member of this account."
        if not self.measured_by_id and not self.measured_by_name.strip():
            errors["measured_by_name"] = "Say who measured it: pick a member or type a name."
        if self.measured_on and self.measured_on > timezone.localdate():
            errors["measured_on"] = "A measurement cannot be dated in the future."
        if errors:
            raise ValidationError(errors)


# --- Per-day rollups of the escalation figures (analytics.rollups, docs/performance.md) ----------

class SortKeyField(models.Field):
    """A PostgreSQL `timestamp` (without time zone): a duration stored as `KEY_ORIGIN + duration`,
    the sortable key of `analytics.sql` (never a moment in time, so no zone)."""

    def db_type(self, connection):
        return "timestamp"


class HandoffDay(models.Model):
    """What the escalation figures need from one account's handoffs created on one day
    (`analytics.days`), as of the last refresh. Exact, not estimated: percentiles cannot be added
    up, so the day keeps its durations (sorted keys) and a request merges the days' keys.

    A row is only trusted while no `HandoffChange` of its account falls on its day: every write
    that can move a figure leaves one (database triggers, migration 0002), and a refresh deletes the
    ones it has folded in. A day with neither a row nor a change has no handoffs."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    escalations = models.PositiveIntegerField()
    # Sorted keys (`KEY_ORIGIN + duration`) of the counted claims' time to claim and of the first
    # actions' time to first action; their lengths are `claimed` and the first-action samples.
    ttc_keys = ArrayField(SortKeyField(), default=list)
    ttfa_keys = ArrayField(SortKeyField(), default=list)
    # Counted claims whose session was resolved at or after the claim and at or after the day's
    # start; and the resolution times of those resolved after the claim but before the day started
    # (a claim recorded before its escalation: hand-edited rows), which count only in windows that
    # start early enough, as in the live query.
    resolved = models.PositiveIntegerField()
    resolved_early = ArrayField(models.DateTimeField(), default=list)
    # The day's median time to first action in seconds (the daily trend's figure), null without samples.
    ttfa_median = models.FloatField(null=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="handoffday_account_day")]

    def __str__(self):
        return f"{self.account_id} {self.day}: {self.escalations}"


class HandoffChange(models.Model):
    """"A figure of this account's day may have moved": written by the triggers on
    `escalations_handoff` and `escalations_pilotsession.resolved_at` in the writer's transaction,
    deleted by the refresh that folds it into the day's `HandoffDay`. Holds the handoff's
    `created_at` rather than its day, so the triggers know nothing of `analytics.days`.

    Insert-only for writers (no unique key: a writer never waits on another). No foreign key: a
    deleted account's cascade writes changes after its rows are gone; the refresh drops them."""

    account_id = models.UUIDField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["account_id", "created_at"], name="handoffchange_account_idx")]
