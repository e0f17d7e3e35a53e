"""Moved to `resolutionflow.outbound.guard` (the SSRF guard every outbound request goes through).

Kept because migration 0002 names `notifications.ssrf.validate_public_url` as the validator of
the URL fields; it is the same function object, so the migration state does not change.
"""

from resolutionflow.outbound.guard import validate_public_url

__all__ = ["validate_public_url"]
