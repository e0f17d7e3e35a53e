"""Secrets are encrypted at rest with FIELD_ENCRYPTION_KEY."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from notifications import crypto
from notifications.models import NotificationChannel, PSAConnection, WebhookEndpoint

ROOT = Path(__file__).resolve().parents[2]


def _raw(model, column, pk):
    """The column as stored, bypassing the field's decryption."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s",
                       [model._meta.pk.get_db_prep_value(pk, connection)])
        return cursor.fetchone()[0]


def test_urls_secrets_and_credentials_are_stored_encrypted(acme):
    channel = NotificationChannel.objects.create(account=acme, kind="slack", name="x",
                                                 url="https://hooks.slack.com/services/T1/B2/secret-token")
    endpoint = WebhookEndpoint.objects.create(account=acme, url="https://example.com/hook?key=abc",
                                              events=["handoff.created"])
    psa = PSAConnection.objects.create(account=acme, kind="halopsa", base_url="https://acme.halopsa.com",
                                       credentials={"client_id": "cid", "client_secret": "very-secret"})
    raw_url = _raw(NotificationChannel, "url", channel.pk)
    assert raw_url.startswith("fernet:") and "secret-token" not in raw_url
    assert "abc" not in _raw(WebhookEndpoint, "url", endpoint.pk)
    assert endpoint.secret not in _raw(WebhookEndpoint, "secret", endpoint.pk)
    assert "very-secret" not in _raw(PSAConnection, "credentials", psa.pk)

    assert NotificationChannel.objects.get(pk=channel.pk).url == "https://hooks.slack.com/services/T1/B2/secret-token"
    assert PSAConnection.objects.get(pk=psa.pk).credentials == {"client_id": "cid", "client_secret": "very-secret"}
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


def test_keys_rotate_and_a_wrong_key_fails_loudly(acme, settings):
    old = settings.FIELD_ENCRYPTION_KEY
    channel = NotificationChannel.objects.create(account=acme, kind="teams", name="x", url="https://t.example/x")
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = f"{new},{old}"  # new key first, old one still decrypts
    assert NotificationChannel.objects.get(pk=channel.pk).url == "https://t.example/x"
    channel.save()  # re-encrypted with the new key
    settings.FIELD_ENCRYPTION_KEY = new
    assert NotificationChannel.objects.get(pk=channel.pk).url == "https://t.example/x"
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
        NotificationChannel.objects.get(pk=channel.pk)
    crypto._fernet_for.cache_clear()


def _settings_in_subprocess(env):
    full = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEY"}}
    full.update(env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.FIELD_ENCRYPTION_KEY)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**full, "DJANGO_SETTINGS_MODULE":
                          "resolutionflow.settings"}, capture_output=True, text=True, timeout=60)


def test_production_refuses_to_start_without_a_key():
    result = _settings_in_subprocess({"DEBUG": "0", "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "rf.example.com"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set when DEBUG=0" in result.stderr


def test_debug_derives_a_dev_key_from_secret_key_and_a_malformed_key_is_refused():
    first = _settings_in_subprocess({"DEBUG": "1", "SECRET_KEY": "a" * 50})
    again = _settings_in_subprocess({"DEBUG": "1", "SECRET_KEY": "a" * 50})
    other = _settings_in_subprocess({"DEBUG": "1", "SECRET_KEY": "b" * 50})
    assert first.returncode == 0, first.stderr
    Fernet(first.stdout.strip().encode())
    assert first.stdout == again.stdout != other.stdout
    bad = _settings_in_subprocess({"DEBUG": "1", "FIELD_ENCRYPTION_KEY": "not-a-key"})
    assert bad.returncode != 0 and "FIELD_ENCRYPTION_KEY must hold" in bad.stderr
