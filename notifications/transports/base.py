"""What every outbound transport (Slack, Teams, email, webhook, PSA note) shares."""


class TransportError(Exception):
    """A send failed. `retryable` says whether trying again can help (timeouts, 5xx, 429) or not
    (400, 401, 404, 410...). `retry_after` is the server's hint in seconds (429 Retry-After)."""

    def __init__(self, message: str, *, retryable: bool, status_code: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after
