"""A total deadline for one assessment (ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS).

httpx's timeouts are per operation (connect, each read): a server trickling a byte a second
would never trip them. The assessment instead has one budget for everything it does — the
similar-session search and the model call — and each part asks how much is left.
"""

from __future__ import annotations

import time

from escalations.assessment.types import AssessmentTimeout


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds

    @classmethod
    def from_settings(cls) -> Deadline:
        from django.conf import settings

        return cls(settings.ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS)

    def remaining(self) -> float:
        """Seconds left; raises `AssessmentTimeout` when none are."""
        left = self.expires_at - time.monotonic()
        if left <= 0:
            raise AssessmentTimeout(f"the assessment took longer than {self.seconds:g} s")
        return left

    def check(self) -> None:
        self.remaining()
