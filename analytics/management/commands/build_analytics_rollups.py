"""`manage.py build_analytics_rollups [--all] [--account SLUG]`: build the per-day rollups.

Run once after `migrate` has applied analytics 0002 (every existing day starts stale, so the
figures are right but computed live until then), and with `--all` after a change to
`analytics.days` or to what a rollup holds. Safe to run at any time, also while the
application writes: each day is refreshed in its own short transaction.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from analytics import rollups


class Command(BaseCommand):
    help = "Build the per-day analytics rollups of the days that changed since their last build (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="rebuild every day, not only the stale ones")
        parser.add_argument("--account", help="only this account (its slug)")

    def handle(self, *args, **options):
        if not rollups.enabled():
            self.stdout.write("Not PostgreSQL: the figures are computed live; nothing to build.")
            return
        account_id = None
        if options["account"]:
            try:
                account_id = Account.objects.get(slug=options["account"]).pk
            except Account.DoesNotExist:
                raise CommandError(f"No account with the slug {options['account']!r}.") from None
        started = time.perf_counter()
        if options["all"]:
            rollups.mark_all(account_id=account_id)
        days = rollups.refresh_stale(account_id=account_id)
        self.stdout.write(f"Refreshed {days} day(s) in {time.perf_counter() - started:.1f} s.")
