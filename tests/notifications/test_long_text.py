"""Text composed from user input always fits its column: a session title of the documented
maximum (200 characters) and a long display name escalate, get claimed and re-notify admins
without a 500, and every bell title reads whole up to an ellipsis."""

from datetime import timedelta

from django.utils import timezone

from escalations.models import Handoff
from notifications import renotify
from notifications.models import Notification
from notifications.services import TITLE_MAX, compose_title
from tests.helpers import escalate, make_session, run_fanouts

LONG_TITLE = "Spooler " + "x" * 192  # 200 characters, the documented maximum


def test_a_title_of_the_maximum_length_escalates_is_claimed_and_renotified(api, acme_tech, acme_senior,
                                                                            acme_admin):
    acme_senior.name = "S" * 150  # the longest display name a user can have
    acme_senior.save()
    tech = api(acme_tech)
    session = make_session(tech, title=LONG_TITLE)
    assert len(session["title"]) == 200
    response = escalate(tech, session["id"])
    assert response.status_code == 201, response.content
    handoff_id = response.json()["id"]
    Handoff.objects.filter(pk=handoff_id).update(created_at=timezone.now() - timedelta(hours=1))
    assert renotify.renotify_waiting_escalations() == 1
    assert api(acme_senior).post(f"/api/v1/handoffs/{handoff_id}/claim").status_code == 200
    assert run_fanouts() == 3  # created, waiting, claimed

    notes = list(Notification.objects.all())
    assert {n.kind for n in notes} == {"escalation", "waiting", "claimed"}
    for note in notes:
        assert len(note.title) <= TITLE_MAX
        assert note.title.endswith(("…”", "… to you", "unclaimed", "…")), note.title
    claimed = Notification.objects.get(kind="claimed")
    assert claimed.title.startswith("S" * 20) and "“Spooler" in claimed.title


def test_compose_title_keeps_the_words_around_the_session_title():
    title = compose_title("{who} escalated “{title}”", who="Tina Tech", title="y" * 400)
    assert len(title) == TITLE_MAX
    assert title.startswith("Tina Tech escalated “yyy") and title.endswith("…”")
    assert compose_title("{who} escalated “{title}”", who="Tina", title="Printer") == "Tina escalated “Printer”"
    # Even a name longer than the column gives a title that fits.
    assert len(compose_title("{who} picked up “{title}”", who="n" * 300, title="t" * 200)) == TITLE_MAX
