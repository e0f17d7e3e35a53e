"""The Content-Security-Policy and the other security headers, on our pages, the Django admin and the
API docs, with DEBUG on and off; and the sources they rely on: no inline script or style in any
page template, no HTML strings built from data in the page scripts (docs/security.md)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests import helpers

ROOT = Path(__file__).resolve().parent.parent

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in parsed, f"{name} twice in {header}"
        parsed[name] = values
    return parsed


def assert_protected(headers, what):
    header = headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {what}"
    policy = directives(header)
    for name, values in POLICY.items():
        assert policy.get(name) == values, f"{what}: {name} is {policy.get(name)}"
    # Same-origin fetches and the websocket; nothing from elsewhere.
    assert policy["connect-src"][0] == "'self'"
    assert all(re.fullmatch(r"wss?://[^/\s]+", v) for v in policy["connect-src"][1:]), policy["connect-src"]
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"):
        assert unsafe not in header.split(), f"{what}: {unsafe} in {header}"
    assert headers.get("Referrer-Policy") == "same-origin", what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what


@pytest.fixture
def session(acme_tech):
    from escalations.services import session_create

    return session_create(actor=acme_tech, title="Headers", problem="p")


@pytest.mark.parametrize("debug", [True, False])
def test_pages_admin_and_api_docs_send_the_policy(debug, acme_tech, acme_admin, session):
    with override_settings(DEBUG=debug):
        anonymous = Client()
        for path in ("/login/", "/api/v1/docs/"):
            response = anonymous.get(path)
            assert response.status_code == 200, path
            assert_protected(response.headers, path)

        tech = helpers.browser_client(acme_tech)
        for path in ("/sessions/", f"/pilot/{session.pk}"):
            response = tech.get(path)
            assert response.status_code == 200, path
            assert_protected(response.headers, path)

        admin = helpers.browser_client(acme_admin)
        for path in ("/admin/", "/admin/escalations/pilotsession/",
                     f"/admin/escalations/pilotsession/{session.pk}/change/"):
            response = admin.get(path)
            assert response.status_code == 200, path
            assert_protected(response.headers, path)


@override_settings(DEBUG=False)
def test_error_pages_send_it_too_without_debug(db):
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert_protected(response.headers, "a 404 page")


def test_production_settings_send_the_same_headers():
    """DEBUG=0 with the production environment (settings read at start-up, as deployed)."""
    from tests.test_settings_and_health import PRODUCTION_ENV

    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/login/', secure=True, HTTP_HOST='rf.example.com')\n"
        "print(json.dumps({'status': r.status_code, 'headers': dict(r.headers)}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    # No collectstatic here: plain static storage instead of the manifest one.
    env.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="resolutionflow.settings",
               STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200
    assert_protected(answer["headers"], "the login page in production")


def test_the_api_docs_page_has_no_inline_script_or_style(db):
    page = Client().get("/api/v1/docs/").content.decode()
    assert "<style" not in page
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all(" src=" in tag for tag in scripts), scripts
    script = Client().get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


# --- The sources ------------------------------------------------------------------------------------
PAGE_TEMPLATES = [p for p in (ROOT / "templates").rglob("*.html") if "notifications/email" not in p.as_posix()]


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: p.relative_to(ROOT / "templates").as_posix())
def test_page_templates_have_no_inline_script_style_or_handlers(template):
    text = template.read_text()
    assert not re.search(r"<script\b(?![^>]*\bsrc=)[^>]*>", text), "inline <script>: move it to static/js"
    assert not re.search(r"<style\b", text), "inline <style>: move it to static/css"
    assert not re.search(r"\sstyle\s*=", text), "style= attribute: use a class in static/css"
    assert not re.search(r"\son[a-z]+\s*=", text), "on*= attribute: use addEventListener in static/js"
    assert "javascript:" not in text


SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_page_scripts_never_build_html_strings(script):
    code = [line for line in script.read_text().splitlines() if not line.strip().startswith(("//", "/*", "*"))]
    text = "\n".join(code)
    assert "escapeHtml" not in text
    for sink in ("outerHTML", "insertAdjacentHTML", "document.write", "DOMParser", "createContextualFragment"):
        assert sink not in text, f"{script.name} uses {sink}"
    # The one innerHTML is fetchFragment's: it parses the server's own autoescaped fragment.
    uses = re.findall(r".*\binnerHTML\b.*", text)
    if script.name == "dom.js":
        assert [u.strip() for u in uses] == [
            "template.innerHTML = (await response.text()).trim();"]
    else:
        assert not uses, f"{script.name}: {uses}"
