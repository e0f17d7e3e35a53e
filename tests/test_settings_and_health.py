"""Start-up configuration, deploy checks, probes and the OpenAPI document."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-secret-" + "y" * 30,
    "ALLOWED_HOSTS": "rf.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://rf.example.com",
    "FIELD_ENCRYPTION_KEY": "q3Yl5dJjNqKZ0rQmGk0wq2mD8Jm5rW9Xo0Jm3c9Jq1I=",
}


def _manage(*args, env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_with_production_settings_reports_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_with_debug_off_and_no_secret_key():
    env = dict(PRODUCTION_ENV, SECRET_KEY="")
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_environment_value_fails_clearly():
    result = _manage("check", env={"DEBUG": "1", "AI_PROVIDER": "skynet"})
    assert result.returncode != 0
    assert "AI_PROVIDER must be one of" in result.stderr


def test_an_email_url_with_tls_in_its_query_is_refused_and_the_tls_schemes_work():
    # `?tls=True` is not an option django-environ knows: the mail would go out without TLS.
    refused = _manage("check", env={"DEBUG": "1", "EMAIL_URL": "smtp://rf:secret@mail.example.com:587/?tls=True"})
    assert refused.returncode != 0
    assert "EMAIL_URL takes no query options: for TLS use smtp+tls://" in refused.stderr

    show = "from django.conf import settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)"
    for url, expected in [("smtp+tls://rf:secret@mail.example.com:587", "mail.example.com 587 True False"),
                          ("smtp+ssl://rf:secret@mail.example.com:465", "mail.example.com 465 False True")]:
        result = _manage("shell", "-c", show, env={"DEBUG": "1", "EMAIL_URL": url})
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == expected


def test_healthz_is_always_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_channel_layer_and_broker(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["channel_layer"] == "ok"
    assert body["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_openapi_document_describes_the_public_contract():
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/me", "/api/v1/sessions", "/api/v1/sessions/{session_id}",
                 "/api/v1/sessions/{session_id}/steps", "/api/v1/sessions/{session_id}/messages",
                 "/api/v1/sessions/{session_id}/escalate", "/api/v1/sessions/{session_id}/handoff",
                 "/api/v1/sessions/{session_id}/resolve", "/api/v1/handoffs", "/api/v1/handoffs/{handoff_id}",
                 "/api/v1/handoffs/{handoff_id}/claim", "/api/v1/notifications",
                 "/api/v1/notifications/{notification_id}/read", "/api/v1/notifications/read-all"]:
        assert path in paths, path


@pytest.mark.django_db
def test_the_api_docs_page_renders_without_a_cdn(client):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert b"swagger-ui" in page.content
    assert b"cdn.jsdelivr" not in page.content


@pytest.mark.django_db
def test_the_api_is_throttled_with_retry_after(api, acme_tech, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = dict(api_settings.DEFAULT_THROTTLE_RATES, user="3/min")
    try:
        client = api(acme_tech)
        statuses = [client.get("/api/v1/me").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert int(client.get("/api/v1/me")["Retry-After"]) > 0
    finally:
        SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES


@pytest.mark.django_db
def test_postgresql_jit_is_off_for_the_apps_connections_unless_asked_for():
    """JIT compiled the analytics statement for ~2 s before an 8 ms run (docs/performance.md)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
    show = ("from django.conf import settings as s; "
            "print(repr(s.DATABASES['default'].get('OPTIONS', {}).get('options')))")

    def options(**env):
        result = _manage("shell", "-c", show, env={"DEBUG": "1", "DATABASE_URL": os.environ["DATABASE_URL"], **env})
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()[-1]

    assert options() == "'-c jit=off'"
    assert options(DB_JIT="1") == "None"
