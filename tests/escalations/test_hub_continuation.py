"""The hub writes a frame to each local socket without waiting on any one of them
(escalations.broadcast.run_or_continue_in_task): a send that completes at once costs no task, and
a send that has to wait (a socket's write buffer is full) finishes later in a task of its own, in
order behind that socket's earlier frames."""

import asyncio

from asgiref.sync import sync_to_async

from escalations.broadcast import run_or_continue_in_task


class _Socket:
    """A socket whose writes wait while it is not writable, as uvicorn's do."""

    def __init__(self):
        self.writable = asyncio.Event()
        self.writable.set()
        self.written = []

    async def send(self, frame):
        await self.writable.wait()
        self.written.append(frame)


def test_a_send_that_does_not_wait_is_done_at_once_without_a_task():
    async def scenario():
        socket = _Socket()
        assert run_or_continue_in_task(socket.send("card"), "send") is None
        assert socket.written == ["card"]

    asyncio.run(scenario())


def test_a_send_that_waits_finishes_later_in_order_and_keeps_no_one_else_waiting():
    async def scenario():
        slow, fast = _Socket(), _Socket()
        slow.writable.clear()
        pending = [run_or_continue_in_task(slow.send(f"card {i}"), "send") for i in range(3)]
        assert run_or_continue_in_task(fast.send("card 0"), "send") is None
        assert fast.written == ["card 0"] and slow.written == []
        await asyncio.sleep(0.05)  # the continuations are waiting now
        assert slow.written == []
        slow.writable.set()
        await asyncio.wait_for(asyncio.gather(*pending), 2)
        assert slow.written == ["card 0", "card 1", "card 2"]

    asyncio.run(scenario())


def test_a_continued_coroutine_may_wait_on_a_thread():
    async def read_in_a_thread():
        return await sync_to_async(lambda: 42)()

    async def scenario():
        task = run_or_continue_in_task(read_in_a_thread(), "read")
        assert task is not None
        await asyncio.wait_for(task, 2)
        assert task.exception() is None

    asyncio.run(scenario())


def test_an_error_after_the_wait_is_logged_not_raised(caplog):
    async def fails_later(event):
        await event.wait()
        raise ConnectionResetError("the client went away")

    async def scenario():
        event = asyncio.Event()
        task = run_or_continue_in_task(fails_later(event), "event_frame")
        event.set()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 2)
        await asyncio.sleep(0)  # the done callbacks

    asyncio.run(scenario())
    assert "delivering event_frame failed for one socket" in caplog.text
    assert "the client went away" in caplog.text
