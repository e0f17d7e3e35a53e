"""Liveness and readiness probes."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_channel_layer():
    layer = get_channel_layer()
    # Round-trip a message through the layer (Redis in production).
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "readyz.ping"})
    message = async_to_sync(layer.receive)(channel)
    if message.get("type") != "readyz.ping":
        raise RuntimeError("channel layer returned a different message")


def _check_broker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    from resolutionflow.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def readyz(request):
    checks = {}
    ok = True
    for name, check in (("database", _check_database), ("channel_layer", _check_channel_layer),
                        ("broker", _check_broker)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # report every failing dependency, not the first
            ok = False
            checks[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
