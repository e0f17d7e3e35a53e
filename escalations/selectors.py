"""Reads that need care: who may see which session and handoff. Everything is account-scoped;
anything outside what a user may see is a 404 (`Http404`), never a 403."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from escalations.models import Handoff, Message, PilotSession, Step


def _not_found():
    return Http404("Not found.")


def sessions_visible_to(user):
    """Staff see all of their account's sessions; a technician sees the ones they own, asked to
    hand off or escalate, or that were handed to them."""
    qs = PilotSession.objects.for_account(user.account)
    if user.is_staff_role:
        return qs
    involved = Handoff.objects.for_account(user.account).filter(
        Q(requested_by=user) | Q(target_user=user)
    ).values("session_id")
    return qs.filter(Q(owner=user) | Q(pk__in=involved))


def is_collaborator(*, session, user) -> bool:
    """Who may add steps and messages to a session: its owner, and whoever escalated or handed it
    off once someone claimed it (the requester stays on the session beside the new owner, so the
    technician can answer the engineer's questions). Resolving, escalating and handing off stay
    with the owner."""
    if session.owner_id == user.pk:
        return True
    return Handoff.objects.filter(session_id=session.pk, account_id=session.account_id, requested_by_id=user.pk,
                                  claimed_at__isnull=False).exists()


def open_handoffs_prefetch():
    return Prefetch(
        "handoffs",
        queryset=Handoff.objects.unclaimed().select_related("requested_by", "target_user"),
        to_attr="open_handoffs",
    )


def session_get(*, user, session_id) -> PilotSession:
    """The session, if `user` may see it (404 otherwise), with its owner and account."""
    qs = sessions_visible_to(user).select_related("owner", "account")
    try:
        return qs.get(pk=session_id)
    except (PilotSession.DoesNotExist, ValidationError, ValueError):
        raise _not_found() from None


def _session_to_hand_off_sql() -> str:
    """The statement behind `session_to_hand_off`: the session row by account and id, locked
    (where the database locks rows), with its open handoff — `Handoff.objects.unclaimed()`, the
    newest first as `Handoff.Meta.ordering` has it — in a subquery."""
    features = connection.features
    lock = " FOR UPDATE OF s" if features.has_select_for_update_of else (
        " FOR UPDATE" if features.has_select_for_update else "")
    return (
        f"SELECT s.*, (SELECT h.id FROM {Handoff._meta.db_table} h WHERE h.session_id = s.id"
        " AND h.claimed_at IS NULL AND h.cancelled_at IS NULL ORDER BY h.created_at DESC LIMIT 1)"
        f" AS open_handoff_id FROM {PilotSession._meta.db_table} s WHERE s.account_id = %s AND s.id = %s{lock}"
    )


def session_to_hand_off(*, user, session_id) -> PilotSession:
    """The session `user` escalates or hands off, locked (SELECT ... FOR UPDATE), with
    `open_handoff_id` (its unclaimed handoff, or None) read in the same statement.

    The escalate path's one read, kept cheap (issue #13, docs/performance.md): the row is found by
    account and id alone, in a fixed statement (compiling `session_get`'s queryset — its
    visibility filter, joins and the subquery annotation — was a sixth of an escalation's CPU in
    the web process), and its owner and account are the caller's own objects. Only the owner may
    escalate or hand off, and the owner always sees the session; anyone else gets what reading the
    session would give them: 404 when it is not visible to them, the caller's 403 when it is."""
    try:
        pk = uuid.UUID(str(session_id))
    except ValueError:
        raise _not_found() from None
    account = user.account
    if account is None:
        raise _not_found()
    params = [PilotSession._meta.get_field("account").get_db_prep_value(account.pk, connection),
              PilotSession._meta.pk.get_db_prep_value(pk, connection)]
    found = list(PilotSession.objects.raw(_session_to_hand_off_sql(), params))
    if not found:
        raise _not_found()
    session = found[0]
    if session.open_handoff_id is not None:  # SQLite returns the uuid as its hex text
        session.open_handoff_id = uuid.UUID(str(session.open_handoff_id))
    if session.owner_id == user.pk:
        session.owner = user
    elif not sessions_visible_to(user).filter(pk=session.pk).exists():
        raise _not_found()
    session.account = account
    return session


def _total(model):
    """How many rows of `model` the session has (a subquery: no join of steps × messages)."""
    counted = (model.objects.filter(session=OuterRef("pk")).order_by().values("session")
               .annotate(n=Count("pk")).values("n")[:1])
    return Coalesce(Subquery(counted), 0)


def _most_recent(model, related: str, limit: int, to_attr: str) -> Prefetch:
    return Prefetch(related, to_attr=to_attr,
                    queryset=model.objects.select_related("author").order_by("-created_at", "-pk")[:limit])


def session_detail(*, user, session_id) -> PilotSession:
    """The session with its most recent steps and messages (at most SESSION_MAX_STEPS and
    SESSION_MAX_MESSAGES, oldest first, in `recent_steps` / `recent_messages`) and how many it has
    in all (`steps_total`, `messages_total`): the detail stays bounded whatever a session holds."""
    qs = (
        sessions_visible_to(user)
        .select_related("owner")
        .annotate(steps_total=_total(Step), messages_total=_total(Message))
        .prefetch_related(
            _most_recent(Step, "steps", settings.SESSION_MAX_STEPS, "recent_steps"),
            _most_recent(Message, "messages", settings.SESSION_MAX_MESSAGES, "recent_messages"),
            open_handoffs_prefetch(),
        )
    )
    try:
        session = qs.get(pk=session_id)
    except (PilotSession.DoesNotExist, ValidationError, ValueError):
        raise _not_found() from None
    session.recent_steps.reverse()
    session.recent_messages.reverse()
    return session


def new_session_detail(session: PilotSession) -> PilotSession:
    """A session just created in this request, shaped as `session_detail` returns one: it has no
    steps, messages or handoffs yet, so nothing needs reading back (the create answers with one
    INSERT, not the detail's four reads)."""
    session.recent_steps, session.recent_messages, session.open_handoffs = [], [], []
    session.steps_total = session.messages_total = 0
    return session


def handoffs_visible_to(user):
    """Staff see the account's handoffs; other members only the ones they requested or received."""
    qs = Handoff.objects.for_account(user.account)
    if user.is_staff_role:
        return qs
    return qs.filter(Q(requested_by=user) | Q(target_user=user))


def handoff_get(*, user, handoff_id) -> Handoff:
    qs = handoffs_visible_to(user).select_related("requested_by", "target_user", "claimed_by", "session")
    try:
        return qs.get(pk=handoff_id)
    except (Handoff.DoesNotExist, ValidationError, ValueError):
        raise _not_found() from None


def handoff_queue(*, account, state="unclaimed"):
    """The account's queue, newest first, in a fixed number of queries whatever its length."""
    qs = Handoff.objects.for_account(account).select_related(
        "requested_by", "target_user", "claimed_by", "session"
    )
    if state == "unclaimed":
        qs = qs.unclaimed()
    elif state == "claimed":
        qs = qs.claimed()
    return qs.order_by("-created_at")


def latest_handoff_for_session(*, session):
    return (
        Handoff.objects.filter(session=session, account_id=session.account_id)
        .select_related("requested_by", "target_user", "claimed_by")
        .order_by("-created_at")
        .first()
    )
