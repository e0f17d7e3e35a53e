"""Structured logs: the request id, one JSON line per request (LOG_FORMAT=json, in a real process
started with that setting), and the task and delivery attempt lines."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest
from django.utils import timezone

from notifications import outbox, tasks
from notifications.models import Delivery
from resolutionflow import logs
from tests import helpers

REQUEST = textwrap.dedent("""
    import sys
    import django
    django.setup()
    from django.test import Client
    from accounts.models import User
    client = Client()
    client.force_login(User.objects.get(email=sys.argv[1]))
    response = client.get("/api/v1/me", HTTP_X_REQUEST_ID="trace-42 <script>\\r\\nInjected: yes")
    print("STATUS", response.status_code, response["X-Request-ID"], flush=True)
""")


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.django_db(transaction=True)
def test_with_log_format_json_a_request_writes_one_parseable_line_with_its_fields(acme_tech):
    env = dict(os.environ, LOG_FORMAT="json", LOG_LEVEL="INFO", DEBUG="1",
               DATABASE_URL=helpers.database_url_for_current_test_db(),
               DJANGO_SETTINGS_MODULE="resolutionflow.settings")
    result = subprocess.run([sys.executable, "-c", REQUEST, acme_tech.email], cwd=helpers.ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "STATUS 200 trace-42scriptInjected:yes" in result.stdout
    lines = _json_lines(result.stderr)
    assert lines, result.stderr
    requests = [line for line in lines if line.get("logger") == "resolutionflow.request"]
    assert len(requests) == 1, lines
    line = requests[0]
    assert {"method", "path", "status", "duration_ms", "request_id", "account_id", "timestamp", "level",
            "message"} <= set(line)
    assert line["method"] == "GET" and line["path"] == "/api/v1/me" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["request_id"] == "trace-42scriptInjected:yes"
    assert line["account_id"] == str(acme_tech.account_id)
    assert line["level"] == "INFO"


def test_an_unknown_log_format_refuses_to_start():
    env = dict(os.environ, LOG_FORMAT="xml", DEBUG="1")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=helpers.ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json" in result.stderr


def test_the_request_id_is_echoed_or_made(client, caplog):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert given["X-Request-ID"] == "abc-123"
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/healthz")["X-Request-ID"]
    assert len(client.get("/healthz", HTTP_X_REQUEST_ID="x" * 500)["X-Request-ID"]) == logs.REQUEST_ID_MAX
    assert len(client.get("/healthz", HTTP_X_REQUEST_ID="\r\n<>")["X-Request-ID"]) == 32  # nothing usable left


def test_log_lines_written_during_a_request_carry_its_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="resolutionflow.request"):
        client.get("/healthz", HTTP_X_REQUEST_ID="req-7")
    record = next(r for r in caplog.records if r.name == "resolutionflow.request")
    assert record.request_id == "req-7" and record.status == 200 and record.account_id is None
    # Any other record made while the request runs gets it from the context.
    token = logs.request_id_var.set("req-8")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
        logs.ContextFilter().filter(record)
    finally:
        logs.request_id_var.reset(token)
    assert record.request_id == "req-8" and record.handoff_id is None


def test_a_celery_task_writes_one_line_with_name_id_duration_and_outcome(db, caplog):
    with caplog.at_level(logging.INFO, logger="resolutionflow.task"):
        result = tasks.sweep_deliveries.apply()
    lines = [r for r in caplog.records if r.name == "resolutionflow.task"]
    assert len(lines) == 1
    assert lines[0].task_name == "notifications.tasks.sweep_deliveries"
    assert lines[0].task_id == result.id
    assert lines[0].outcome == "success" and lines[0].duration_ms >= 0


def test_a_delivery_attempt_writes_one_line_with_its_ids(acme, caplog):
    delivery = Delivery.objects.create(account=acme, kind="slack", event_type="handoff.created", body="{}",
                                       next_attempt_at=timezone.now())  # no channel: fails for good
    with caplog.at_level(logging.INFO, logger="resolutionflow.delivery"):
        outbox.attempt(delivery.pk)
    lines = [r for r in caplog.records if r.name == "resolutionflow.delivery"]
    assert len(lines) == 1
    line = lines[0]
    assert line.delivery_id == str(delivery.pk) and line.kind == "slack" and line.outcome == "failed"
    assert line.account_id == str(acme.pk) and line.handoff_id is None
