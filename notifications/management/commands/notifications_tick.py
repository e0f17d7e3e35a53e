"""Run the periodic jobs of the notifications app once, or every N seconds.

With a broker, celery beat runs them (`celery -A resolutionflow beat`). In embedded mode (no
REDIS_URL: eager tasks, no beat) run `python manage.py notifications_tick --every 30` beside the
server to get retries, the admins' renotify and the retention job (at its first tick, then hourly,
as beat runs it).
"""

import time

from django.core.management.base import BaseCommand

from notifications import fanout, outbox, renotify, retention

PURGE_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = ("Re-queue lost event fan-outs, sweep the outbox (due retries, lost dispatches), "
            "re-notify admins about waiting escalations and delete rows past their retention period.")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="Repeat every N seconds (default: run once).")

    def handle(self, *args, every=0, **options):
        last_purge = None
        while True:
            events = fanout.sweep_events()
            swept = outbox.sweep()
            renotified = renotify.renotify_waiting_escalations()
            line = f"events re-queued: {events}; outbox: {swept}; escalations renotified: {renotified}"
            if last_purge is None or time.monotonic() - last_purge >= PURGE_EVERY_SECONDS:
                purged = retention.purge_expired_rows()
                last_purge = time.monotonic()
                line += "; purged: " + ", ".join(f"{n} {name}" for name, n in purged.items())
            self.stdout.write(line)
            if not every:
                return
            time.sleep(every)
