"""Run the periodic jobs of the notifications app once, or every N seconds.

With a broker, celery beat runs them (`celery -A resolutionflow beat`). In embedded mode (no
REDIS_URL: eager tasks, no beat) run `python manage.py notifications_tick --every 30` beside the
server to get retries and the admins' renotify.
"""

import time

from django.core.management.base import BaseCommand

from notifications import fanout, outbox, renotify


class Command(BaseCommand):
    help = ("Re-queue lost event fan-outs, sweep the outbox (due retries, lost dispatches) and "
            "re-notify admins about waiting escalations.")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds (default: run once).")

    def handle(self, *args, every=0, **options):
        while True:
            events = fanout.sweep_events()
            swept = outbox.sweep()
            renotified = renotify.renotify_waiting_escalations()
            self.stdout.write(f"events re-queued: {events}; outbox: {swept}; escalations renotified: {renotified}")
            if not every:
                return
            time.sleep(every)
