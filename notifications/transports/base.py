"""What every outbound transport (Slack, Teams, email, webhook, PSA note) shares.

`TransportError` is the outbound client's (resolutionflow.outbound): one exception for every
send, HTTP or not. `retryable` says whether trying again can help (timeouts, 5xx, 429) or not
(400, 401, 404, 410...); `retry_after` is the server's hint in seconds (429 Retry-After).
"""

from resolutionflow.outbound import TransportError

__all__ = ["TransportError"]
