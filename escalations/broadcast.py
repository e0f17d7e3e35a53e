"""Process-level fan-out of websocket groups (issue #9: the same cost for 5 engineers or 500).

With one channel per socket in `account.<id>.queue`, a queue card for 500 engineers is 500 copies
in Redis, popped one by one by the process's single receive loop, each waking its consumer's task:
at 500 sockets the last card landed 0.7 s after the first (docs/performance.md). Here every group a
socket is in (the account's queue and members groups, the user's own group, the sessions it
follows) has one member per *web process* instead: that process's hub. The hub joins a group when
the first local socket needs it, receives each message once, and writes it to its local sockets in
one pass, calling the consumer's handler directly (`event_frame`, `event_bells`,
`session_revoke`), with no per-socket Redis round trip or task switch. A socket has no channel of
its own (escalations.consumers): nothing waits on the channel layer per socket, so an idle socket
costs the process one waiting read of its client and nothing else.

Kept from the channel layer, so nothing is lost that the layer would have kept: the hub's channel
is an ordinary layer channel (capacity, expiry, and the same transport across processes; the
in-memory layer in embedded mode). A group's membership is re-added every
`REALTIME_REJOIN_SECONDS`, well inside channels-redis' `group_expiry`, and after the receive loop
recovers from an error (Redis restarted empty forgets every group). Joining waits until the hub is
in the group, so a socket that has said `ready` gets every frame sent after that. Messages reach a
process in the order Redis received them, whatever their groups, and each socket in that order.

One hub per event loop (a web process runs one; tests run several, one after another).
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

# After a failed receive (Redis away), wait this long before the next, at most.
MAX_BACKOFF_SECONDS = 2.0

_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (made on first use)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub(get_channel_layer())
    return found


class _Group:
    """The hub's state for one group: its local sockets and whether the hub is in it."""

    __slots__ = ("members", "lock", "joined")

    def __init__(self):
        # id(consumer) -> consumer; weak, so a socket that died without leaving is dropped.
        self.members: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.lock = asyncio.Lock()
        self.joined = False


class Hub:
    """One process's member of its sockets' groups; see the module docstring."""

    def __init__(self, layer):
        self.layer = layer
        self.channel: str | None = None
        self.groups: dict[str, _Group] = {}
        self.task: asyncio.Task | None = None
        self.ticker: asyncio.Task | None = None

    async def _start(self):
        if self.channel is None:
            # The default prefix on purpose: channels-redis reads all of a process's channels from one
            # Redis key ("specific.<process>!"); another prefix would be another key, polled in turn.
            self.channel = await self.layer.new_channel()
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._receive_loop())
            self.ticker = asyncio.ensure_future(self._rejoin_periodically())

    async def join(self, group: str, consumer) -> None:
        """Deliver `group`'s messages to `consumer` from now on; returns once the hub is a member."""
        await self._start()
        state = self.groups.get(group)
        if state is None:
            state = self.groups[group] = _Group()
        state.members[id(consumer)] = consumer
        async with state.lock:
            if not state.joined and state.members:
                await self.layer.group_add(group, self.channel)
                state.joined = True

    async def leave(self, group: str, consumer) -> None:
        """Stop delivering to `consumer`; the last local socket of a group takes the hub out of it."""
        state = self.groups.get(group)
        if state is None or state.members.pop(id(consumer), None) is None:
            return
        try:
            async with state.lock:
                if state.joined and not state.members:
                    state.joined = False
                    await self.layer.group_discard(group, self.channel)
        finally:
            # Forgotten once nobody is in it or waiting for it (sessions come and go: their groups
            # must not pile up in a long-lived process). A join in between has added its member.
            if not state.members and not state.lock.locked() and self.groups.get(group) is state:
                del self.groups[group]

    async def _rejoin_all(self):
        for group in [group for group, state in self.groups.items() if state.joined]:
            await self.layer.group_add(group, self.channel)

    async def _rejoin_periodically(self):
        """Re-add every group every REALTIME_REJOIN_SECONDS, far inside channels-redis'
        group_expiry (a day), so a queue page open for days keeps receiving."""
        while True:
            await asyncio.sleep(settings.REALTIME_REJOIN_SECONDS)
            try:
                await self._rejoin_all()
            except Exception as exc:  # Redis away: the receive loop re-joins once it is back
                logger.warning("realtime hub: re-joining groups failed (%r)", exc)

    async def _receive_loop(self):
        backoff = 0.05
        failed = False
        while True:
            try:
                if failed:  # e.g. Redis restarted: it may have forgotten every group
                    await self._rejoin_all()
                    failed, backoff = False, 0.05
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("realtime hub: receive failed (%r); retrying in %.2f s", exc, backoff)
                failed = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            await self.deliver(message)

    async def deliver(self, message: dict) -> None:
        """Hand one group message to each local socket of its group, in one pass."""
        group = message.get("group")
        handler_name = message.get("type", "").replace(".", "_")
        state = self.groups.get(group)
        if state is None:
            return
        for consumer in list(state.members.values()):
            handler = getattr(consumer, handler_name, None)
            if handler is None:
                continue
            try:
                run_or_continue_in_task(handler(message), handler_name)
            except Exception:  # one broken socket never keeps the frame from the others
                logger.warning("realtime hub: delivering %s failed for one socket", handler_name, exc_info=True)


_continuing: set[asyncio.Task] = set()


def run_or_continue_in_task(coro, what: str) -> asyncio.Task | None:
    """Run `coro` now, up to its first suspension; if it suspends, finish it in a task of its own.

    A websocket send normally completes without suspending: the server writes the frame to the
    socket's transport at once. Some servers (uvicorn) suspend it while that socket's write buffer
    is full (a client that does not read); awaiting it in the hub's pass would hold the frame from
    every later socket of the process. So a send that suspends continues in its own task, in order
    behind that socket's earlier frames (they wait on the same "writable" signal), while the pass
    goes on; a client that never reads stops answering the server's pings and is closed, which
    ends its waits. A task per send would cost every frame a task switch; this costs one only to
    the slow socket (what Python 3.12's eager tasks do; this project runs 3.11). An error before
    the suspension raises here; one after it is logged.
    Unlike an eager task, the part after the suspension runs in another task (and contextvars
    context), so `asyncio.current_task()` changes across the suspension."""
    try:
        awaited = coro.send(None)
    except StopIteration:
        return None
    task = asyncio.ensure_future(_continue(coro, awaited))
    _continuing.add(task)  # referenced until it ends
    task.add_done_callback(_continuing.discard)
    task.add_done_callback(lambda done: _log_failure(done, what))
    return task


async def _continue(coro, awaited):
    """Drive a coroutine that suspended on `awaited` (a future, or None for a bare yield) to its
    end, as a Task would: wait, then resume it; an exception (a cancellation too) is thrown in."""
    while True:
        try:
            if awaited is None:
                await asyncio.sleep(0)
            else:
                # The future was yielded to us, not to a Task: clear its "blocking" mark as a Task's
                # step does, or awaiting it again raises "await wasn't used with future".
                awaited._asyncio_future_blocking = False
                await awaited
        except BaseException as exc:
            try:
                awaited = coro.throw(exc)
            except StopIteration:
                return
            continue
        try:
            awaited = coro.send(None)
        except StopIteration:
            return


def _log_failure(task: asyncio.Task, what: str) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("realtime hub: delivering %s failed for one socket", what, exc_info=task.exception())
