"""Manual baseline samples: stopwatch timings of escalations done the old way (the verbal call)."""

from django.conf import settings
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
