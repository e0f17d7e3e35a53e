"""The Celery app `resolutionflow` (`celery -A resolutionflow worker|beat`)."""

import os

from celery import Celery

from resolutionflow import logs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resolutionflow.settings")

app = Celery("resolutionflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task log lines, the request id across the broker, and Django's LOGGING in workers and beat.
logs.connect_celery()
