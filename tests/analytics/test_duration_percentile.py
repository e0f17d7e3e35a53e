"""`DurationPercentile` on PostgreSQL (sorted timestamp keys, interpolated in SQL) gives exactly what
`EXTRACT(EPOCH FROM percentile_cont(f) WITHIN GROUP (ORDER BY end - start))` gives: same rows,
same interval arithmetic, to the microsecond (docs/performance.md)."""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Q

from analytics.sql import DurationPercentile
from escalations.models import Handoff
from tests.analytics.builders import make_handoff

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
FRACTIONS = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0)
# Durations in seconds that make the interpolation awkward: microseconds, ties, odd gaps, more
# than a day (the interval carries days), a claim recorded before its escalation (negative).
CLAIMS = [0.000001, 0.000003, 1.0005, 1.001, 0.5, 0.5, 59.999999, 7.25, 86399.999999, 86400.0,
          86400.000001, 90000.5, 3 * 86400 + 0.123457, -3.000001, 1_000_000.000007, 0.000002, 12.345678]
ACTIONS = [0.000001, 2.5, 0.000001, 3600.000001, 17.1, 86400.5, 0.75, 0.000004, 9.999999, 2 * 86400 + 1.000003,
           0.25, 0.3, 5.5, 1.0, 44.444444, 0.5, 7.0]


def _native(fraction, end, start, where, params):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXTRACT(EPOCH FROM percentile_cont(%s) WITHIN GROUP (ORDER BY {end} - {start}))::double precision"
            f" FROM escalations_handoff WHERE {where}", [fraction, *params])
        return cursor.fetchone()[0]


def test_same_figures_as_percentile_cont_for_every_sample_size_and_fraction(acme, acme_tech, acme_senior):
    for i, (claim, action) in enumerate(zip(CLAIMS, ACTIONS, strict=True)):
        make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=T0 + timedelta(hours=i),
                     claim_after=claim, act_after=action)
    for n in range(1, len(CLAIMS) + 1):
        before = T0 + timedelta(hours=n - 1, minutes=30)
        rows = Handoff.objects.filter(account=acme, created_at__lt=before)
        ours = rows.aggregate(**{
            f"{name}_{f}": DurationPercentile(end, start, f, filter=Q(claimed_at__isnull=False))
            for name, end, start in (("ttc", "claimed_at", "created_at"), ("ttfa", "first_action_at", "claimed_at"))
            for f in FRACTIONS
        })
        for f in FRACTIONS:
            where, params = "account_id = %s AND created_at < %s AND claimed_at IS NOT NULL", [acme.pk, before]
            assert ours[f"ttc_{f}"] == _native(f, "claimed_at", "created_at", where, params), (n, f)
            assert ours[f"ttfa_{f}"] == _native(f, "first_action_at", "claimed_at", where, params), (n, f)


def test_no_rows_give_null_and_groups_get_their_own_figure(acme, globex, acme_tech, acme_senior, globex_tech,
                                                           globex_senior):
    assert Handoff.objects.filter(account=acme).aggregate(
        m=DurationPercentile("claimed_at", "created_at", 0.5))["m"] is None
    for i, claim in enumerate(CLAIMS[:5]):
        make_handoff(acme, requester=acme_tech, claimer=acme_senior, at=T0 + timedelta(hours=i), claim_after=claim)
    for i, claim in enumerate(CLAIMS[5:8]):
        make_handoff(globex, requester=globex_tech, claimer=globex_senior, at=T0 + timedelta(hours=i),
                     claim_after=claim)
    grouped = {
        row["account"]: row["p90"]
        for row in Handoff.objects.values("account").annotate(
            p90=DurationPercentile("claimed_at", "created_at", 0.9)).order_by()
    }
    for account in (acme, globex):
        assert grouped[account.pk] == _native(0.9, "claimed_at", "created_at", "account_id = %s", [account.pk])
