"""The one outbound HTTP client: webhooks, Slack, Teams, PSA APIs and LLM providers all call
`request()` (docs/security.md, "Outbound requests (SSRF)").

One request:
1. The URL goes through the SSRF guard (`guard.pin`): http(s), no credentials, the host resolved
   ONCE and every address checked (private networks refused unless allowed).
2. The connection goes to a checked address and nowhere else: a network backend of our own takes
   httpcore's `connect_tcp(host, port)` and dials the pinned addresses instead of resolving the
   name again. The URL keeps its hostname, so the Host header, the TLS server name (SNI) and the
   certificate check are the original host's. No DNS rebinding between check and connect; a
   request to any other host (a redirect, a bug) is refused at the socket.
3. Bounded: a total budget (`timeout`, default OUTBOUND_HTTP_TIMEOUT_SECONDS) caps connect, send
   and every read together, so a server trickling a byte at a time is cut off too; inside it,
   OUTBOUND_HTTP_CONNECT_TIMEOUT_SECONDS and OUTBOUND_HTTP_READ_TIMEOUT_SECONDS. The answer is
   streamed and reading stops at `max_bytes` (OUTBOUND_MAX_RESPONSE_BYTES, 1 MiB): a 2xx answer
   larger than that is a failure; of an error answer only the first bytes are read.
4. No redirect is followed (a 3xx is a failure; its Location is never fetched). No proxy from
   the environment. `Accept-Encoding: identity` (no decompression bombs; gzip/deflate answers
   sent anyway are inflated up to the same cap).
5. Every failure is a `TransportError` whose message is a summary for people: what happened and
   the host ("HTTP 500 from hooks.example.com: <a short, printable excerpt>"), never the URL's
   path or query (Slack and Teams keep their secret there) nor more of the remote body than
   EXCERPT_CHARS characters. `retryable` says whether trying again can help: network errors,
   timeouts, 408, 425, 429 and 5xx are retryable (429/5xx with the server's `Retry-After`);
   other 4xx, 3xx, an unsafe URL and an oversized answer are not.
"""

from __future__ import annotations

import email.utils
import functools
import json as jsonlib
import logging
import ssl
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

import httpcore
import httpx
from django.conf import settings

from resolutionflow.outbound import guard

# httpx logs every request URL at INFO. Slack/Teams webhook URLs carry their secret in the path
# or query string, so those lines would leak secrets into the logs: keep httpx at WARNING.
logging.getLogger("httpx").setLevel(logging.WARNING)

USER_AGENT = "ResolutionFlow/1.0"
RETRYABLE_STATUS = {408, 425, 429}
# How much of a remote answer a failure message may quote.
EXCERPT_CHARS = 120
# Of an error answer (non-2xx) only this much is read: enough for the excerpt.
ERROR_PEEK_BYTES = 4096
MESSAGE_CHARS = 500


class TransportError(Exception):
    """A send failed. `retryable` says whether trying again can help (timeouts, 5xx, 429) or not
    (400, 401, 404, 410, an unsafe URL...). `retry_after` is the server's hint in seconds
    (Retry-After); `timed_out` marks a request cut off by its time budget."""

    def __init__(self, message: str, *, retryable: bool, status_code: int | None = None,
                 retry_after: float | None = None, timed_out: bool = False):
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after
        self.timed_out = timed_out


@dataclass
class Response:
    """A 2xx answer, read whole (within the byte cap)."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    host: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.content)


# --- Messages ------------------------------------------------------------------------------------

def printable(text: str) -> str:
    """`text` with every non-printable character (controls, newlines, bidi overrides...) as a
    space and runs of spaces collapsed."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def excerpt(raw: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """A short, printable quote of a remote answer for a failure message."""
    text = raw[: limit * 4].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[: limit * 4]
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(text: str, limit: int = MESSAGE_CHARS) -> str:
    """Any failure text made fit for `Delivery.last_error`: printable and length-capped."""
    return excerpt(text, limit)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# --- The pinned connection -----------------------------------------------------------------------

@functools.cache
def ssl_context() -> ssl.SSLContext:
    """Certificate verification against certifi's CA bundle. Built once: loading the bundle costs
    tens of milliseconds (a share of the assessment's budget)."""
    return httpx.create_ssl_context(trust_env=False)


class _Budget:
    """The total time of one request: every connect, write and read gets at most what is left."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expires_at = time.monotonic() + seconds

    def bound(self, timeout: float | None, error: type[Exception]) -> float:
        left = self.expires_at - time.monotonic()
        if left <= 0:
            raise error(f"the request took longer than {self.seconds:g} s")
        return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    """A connection whose every operation is bounded by the request's budget."""

    def __init__(self, inner: httpcore.NetworkStream, budget: _Budget):
        self._inner = inner
        self._budget = budget

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._budget.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._budget.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname,
                                      self._budget.bound(timeout, httpcore.ConnectTimeout))
        return _BoundedStream(inner, self._budget)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.SyncBackend):
    """httpcore's network backend, except that `connect_tcp` dials the addresses the guard
    checked for the request's host (in order, until one answers) and refuses any other host."""

    def __init__(self, target: guard.PinnedURL, host_key: str, budget: _Budget):
        self.target = target
        self.host_key = host_key
        self.budget = budget
        self.dialed: list[str] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if host.lower() != self.host_key or port != self.target.port:
            raise httpcore.ConnectError(f"refusing to connect to {host}:{port}, which was not checked")
        error: Exception | None = None
        for address in self.target.addresses:
            self.dialed.append(address)
            try:
                stream = super().connect_tcp(address, port, self.budget.bound(timeout, httpcore.ConnectTimeout),
                                             local_address, socket_options)
            except httpcore.ConnectError as exc:  # refused/unreachable: the next checked address
                error = exc
                continue
            return _BoundedStream(stream, self.budget)
        raise error or httpcore.ConnectError("no address to connect to")


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool whose network backend is a `PinnedBackend`.
    (httpx 0.28 does not take a network backend as an argument; the pool is its `_pool`.)"""

    def __init__(self, backend: PinnedBackend):
        super().__init__(verify=ssl_context(), trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context(), network_backend=backend,
                                             max_connections=1, retries=0)


# --- Reading the answer ---------------------------------------------------------------------------

class _TooLarge(Exception):
    pass


class _Unreadable(Exception):
    pass


def _read(response: httpx.Response, *, limit: int, strict: bool, on_chunk=None) -> bytes:
    """At most `limit` bytes of the (decoded) body. `strict`: more is `_TooLarge`; otherwise the
    rest is simply not read (the connection is closed). `on_chunk` sees each piece as it arrives
    (a streamed answer; the request asks for no content encoding, so the pieces are the body)."""
    declared = response.headers.get("Content-Length", "")
    if strict and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks, size = [], 0
    for chunk in response.iter_raw():
        if size + len(chunk) > limit:
            if strict:
                raise _TooLarge
            chunks.append(chunk[: limit - size])
            break
        chunks.append(chunk)
        size += len(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
    return _decode(b"".join(chunks), response.headers.get("Content-Encoding", ""), limit=limit, strict=strict)


def _decode(raw: bytes, encoding: str, *, limit: int, strict: bool) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        if strict:
            raise _Unreadable(f"the answer uses Content-Encoding {printable(encoding)[:40]!r}, which was not asked for")
        return b""
    # wbits 47: gzip or zlib header, detected; a raw deflate stream (some servers) as a fallback.
    for wbits in (47, -15):
        inflater = zlib.decompressobj(wbits=wbits)
        try:
            out = inflater.decompress(raw, limit + 1)
        except zlib.error:
            continue
        if len(out) > limit:
            if strict:
                raise _TooLarge
            out = out[:limit]
        return out
    if strict:
        raise _Unreadable("the answer's compressed body is corrupt")
    return b""


# --- The request ---------------------------------------------------------------------------------

def _host_label(target: guard.PinnedURL) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _message(label: str, text: str) -> str:
    """"Vendor: text" or "Text"."""
    return f"{label}: {text}" if label else text[:1].upper() + text[1:]


def request(method: str, url: str, *, headers: dict | None = None, content: bytes | None = None, json=None,
            data: dict | None = None, params: dict | None = None, auth: tuple[str, str] | None = None,
            timeout: float | None = None, max_bytes: int | None = None, allow_private: bool | None = None,
            label: str = "", on_chunk=None) -> Response:
    """Send one request; return the 2xx answer, raise `TransportError` otherwise.

    `timeout`: the total budget in seconds (OUTBOUND_HTTP_TIMEOUT_SECONDS by default).
    `max_bytes`: the most of a 2xx answer read (OUTBOUND_MAX_RESPONSE_BYTES by default).
    `allow_private`: None follows OUTBOUND_ALLOW_PRIVATE_NETWORKS; True only for URLs an operator
    configured (never a tenant's). `label` prefixes every failure message (e.g. "HaloPSA").
    `on_chunk(bytes)`: called with each piece of a 2xx body as it arrives (streamed answers).
    """
    total = settings.OUTBOUND_HTTP_TIMEOUT_SECONDS if timeout is None else timeout
    limit = settings.OUTBOUND_MAX_RESPONSE_BYTES if max_bytes is None else max_bytes
    budget = _Budget(total)
    try:
        target = guard.pin(url, allow_private=allow_private)
        host_key = httpx.URL(url).raw_host.decode("ascii").lower()
    except guard.UnsafeURL as exc:
        raise TransportError(_message(label, summary(str(exc))), retryable=exc.retryable) from None
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise TransportError(_message(label, summary(f"not a valid URL: {exc}")), retryable=False) from None
    host = _host_label(target)
    backend = PinnedBackend(target, host_key, budget)
    per_op = httpx.Timeout(min(settings.OUTBOUND_HTTP_READ_TIMEOUT_SECONDS, total),
                           connect=min(settings.OUTBOUND_HTTP_CONNECT_TIMEOUT_SECONDS, total))
    all_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
    status = None
    try:
        with httpx.Client(transport=_PinnedTransport(backend), timeout=per_op, follow_redirects=False,
                          trust_env=False) as client:
            with client.stream(method, url, headers=all_headers, content=content, json=json, data=data,
                               params=params, auth=auth) as answer:
                status = answer.status_code
                ok = 200 <= status < 300
                body = _read(answer, limit=limit if ok else ERROR_PEEK_BYTES, strict=ok,
                             on_chunk=on_chunk if ok else None)
                answer_headers = answer.headers
    except _TooLarge:
        raise TransportError(_message(label, f"the answer from {host} is larger than {limit} bytes; stopped reading"),
                             retryable=False, status_code=status) from None
    except _Unreadable as exc:
        raise TransportError(_message(label, f"{exc} (from {host})"), retryable=False, status_code=status) from None
    except httpx.TimeoutException as exc:
        raise TransportError(_message(label, f"timed out ({type(exc).__name__}) calling {host}"),
                             retryable=True, timed_out=True) from None
    except httpx.HTTPError as exc:
        raise TransportError(_message(label, summary(f"{type(exc).__name__} calling {host}: {exc}")),
                             retryable=True) from None
    if ok:
        return Response(status_code=status, headers=answer_headers, content=body, host=host)
    retryable = status >= 500 or status in RETRYABLE_STATUS
    text = f"HTTP {status} from {host}"
    if 300 <= status < 400:
        text += " (a redirect: not followed)"
    quoted = excerpt(body)
    if quoted:
        text += f": {quoted}"
    raise TransportError(_message(label, text), retryable=retryable, status_code=status,
                         retry_after=parse_retry_after(answer_headers.get("Retry-After")) if retryable else None)
