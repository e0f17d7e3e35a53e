"""One week of Acme escalations with known timings (2025-03-01 … 2025-03-07), plus noise that
must not count: escalations just outside the range and another account's.

Expected figures for Acme over the week, worked out by hand:
- escalations 7 (H1–H7); claimed 4 (H1, H2, H3, H7: H6 is a self-claim, H4 open, H5 cancelled);
- resolved after claim 2 (H1, H7) → conversion 0.5;
- time to claim 60, 120, 300, 900 → median 210, p90 300 + 0.7 × 600 = 720;
- time to first action 30, 60, 240 (H3's claimer never acted) → median 60, p90 60 + 0.8 × 180 = 204.
"""

from datetime import UTC, date, datetime

from analytics.models import BaselineSample
from tests.analytics.builders import make_handoff

FIRST_DAY, LAST_DAY = date(2025, 3, 1), date(2025, 3, 7)
RANGE = "start=2025-03-01&end=2025-03-07"


def at(day, hour, minute=0, second=0):
    return datetime(2025, 3, day, hour, minute, second, tzinfo=UTC)


def build_week(*, acme, globex, tech, senior, senior2, admin, globex_tech, globex_senior):
    make_handoff(acme, requester=tech, at=at(1, 10), claimer=senior, claim_after=120, act_after=60,
                 resolve_after=600)  # H1
    make_handoff(acme, requester=tech, at=at(1, 11), claimer=senior2, claim_after=300, act_after=30)  # H2
    make_handoff(acme, requester=tech, at=at(3, 9), claimer=senior, claim_after=60)  # H3: never acts
    make_handoff(acme, requester=tech, at=at(3, 12))  # H4: still waiting
    make_handoff(acme, requester=tech, at=at(4, 8), cancel_after=200)  # H5: resolved before any claim
    make_handoff(acme, requester=senior, at=at(5, 15), claimer=senior, claim_after=10, act_after=5,
                 resolve_after=50)  # H6: self-claim
    make_handoff(acme, requester=tech, at=at(6, 10), claimer=admin, claim_after=900, act_after=240,
                 resolve_after=1000)  # H7
    # Outside the range, one second either side.
    make_handoff(acme, requester=tech, at=datetime(2025, 2, 28, 23, 59, 59, tzinfo=UTC), claimer=senior,
                 claim_after=1, act_after=1, resolve_after=2)
    make_handoff(acme, requester=tech, at=datetime(2025, 3, 8, 0, 0, 0, tzinfo=UTC), claimer=senior,
                 claim_after=1, act_after=1, resolve_after=2)
    # Another account, inside the range: fast, and must not count.
    for _ in range(3):
        make_handoff(globex, requester=globex_tech, at=at(2, 9), claimer=globex_senior, claim_after=1, act_after=1,
                     resolve_after=2)


def add_baseline(account, seconds_list, *, measured_by_name="Stopwatch Steve"):
    for seconds in seconds_list:
        BaselineSample.objects.create(account=account, seconds=seconds, measured_on=date(2025, 2, 1),
                                      measured_by_name=measured_by_name)
