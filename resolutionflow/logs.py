"""Structured logs: a request id, one line per request, per Celery task and per delivery attempt.

`LOG_FORMAT=json` (settings) writes every record as one JSON object per line
(python-json-logger); the default `plain` writes text. Either way `ContextFilter` gives every
record `request_id`, `account_id` and `handoff_id` where they are known:

- `RequestLogMiddleware` takes the request's `X-Request-ID` (sanitised, at most 64 characters) or
  makes one, echoes it in the response, keeps it in a contextvar for the request's own log lines,
  and writes `resolutionflow.request`: method, path, status, duration_ms, request_id, account_id.
- Celery: a published task carries the request id in a message header; `task_prerun` /
  `task_postrun` restore it in the worker and write `resolutionflow.task`: task_name, task_id,
  duration_ms, outcome (and handoff_id when the task takes one).
- Deliveries: `resolutionflow.metrics.delivery_attempted` writes `resolutionflow.delivery`.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import re
import time
import uuid

from django.utils.functional import LazyObject, empty

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
handoff_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("handoff_id", default=None)
_request_var: contextvars.ContextVar = contextvars.ContextVar("request", default=None)

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_MAX = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")

request_logger = logging.getLogger("resolutionflow.request")
task_logger = logging.getLogger("resolutionflow.task")


def clean_request_id(value: str | None) -> str:
    """The client's id stripped to safe characters and capped, or a new one."""
    cleaned = _UNSAFE.sub("", value or "")[:REQUEST_ID_MAX]
    return cleaned or uuid.uuid4().hex


def _account_id(request) -> str | None:
    """The account of the request's user, if the request authenticated one. A session user that
    nothing has looked at yet is not loaded just for the log."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, LazyObject) and user._wrapped is empty):
        return None
    if not user.is_authenticated:
        return None
    account_id = getattr(user, "account_id", None)
    return str(account_id) if account_id else None


class ContextFilter(logging.Filter):
    """Adds request_id, account_id and handoff_id to every record (None when unknown); values a
    record already has (`extra=`) are kept."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "account_id", None) is None:
            request = _request_var.get()
            record.account_id = _account_id(request) if request is not None else None
        if getattr(record, "handoff_id", None) is None:
            record.handoff_id = handoff_id_var.get()
        return True


class RequestLogMiddleware:
    """First in MIDDLEWARE: every request gets an id and one log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = clean_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        tokens = (request_id_var.set(request_id), _request_var.set(request))
        started = time.monotonic()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            match = getattr(request, "resolver_match", None)
            handoff_id = match.kwargs.get("handoff_id") if match else None
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            request_logger.info(
                "%s %s %s %.1fms", request.method, request.path, status, duration_ms,
                extra={"method": request.method, "path": request.path, "status": status,
                       "duration_ms": duration_ms, "request_id": request_id,
                       "account_id": _account_id(request), "handoff_id": handoff_id},
            )
            request_id_var.reset(tokens[0])
            _request_var.reset(tokens[1])


# --- Celery ------------------------------------------------------------------------------------

_running: dict[str, tuple] = {}


def _handoff_arg(task, args, kwargs) -> str | None:
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except (TypeError, ValueError):
        return None
    value = bound.arguments.get("handoff_id")
    return str(value) if value else None


def _before_publish(headers=None, **kwargs):
    request_id = request_id_var.get()
    if request_id and headers is not None and "request_id" not in headers:
        headers["request_id"] = request_id


def _task_prerun(task_id=None, task=None, args=None, kwargs=None, **extra):
    request_id = getattr(task.request, "request_id", None) or request_id_var.get()
    tokens = (request_id_var.set(request_id), handoff_id_var.set(_handoff_arg(task, args, kwargs)))
    _running[task_id] = (time.monotonic(), tokens)


def _task_postrun(task_id=None, task=None, state=None, **extra):
    started, tokens = _running.pop(task_id, (None, None))
    duration_ms = round((time.monotonic() - started) * 1000, 1) if started is not None else None
    outcome = (state or "unknown").lower()
    task_logger.info("task %s %s %s in %s ms", task.name, task_id, outcome, duration_ms,
                     extra={"task_name": task.name, "task_id": task_id, "duration_ms": duration_ms,
                            "outcome": outcome})
    if tokens:
        for var, token in zip((request_id_var, handoff_id_var), tokens, strict=True):
            try:
                var.reset(token)
            except ValueError:  # set in another context (should not happen): leave it
                pass


def _setup_logging(**kwargs):
    """Workers and beat log through Django's LOGGING (plain or JSON) rather than Celery's own
    set-up, so every process of the stack writes the same format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def connect_celery() -> None:
    from celery import signals

    signals.before_task_publish.connect(_before_publish, weak=False)
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
    signals.setup_logging.connect(_setup_logging, weak=False)
