"""Each web process is ONE member of its account's groups, however many sockets it holds
(escalations/broadcast.py): a queue card costs one channel-layer message per process, and the
process writes it to its sockets. The real web process, real channels-redis."""

import json
import threading
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.services import api_token_create
from escalations import events
from tests.helpers import LiveAsgiServer, recv_json, recv_types, ws_connect

pytestmark = pytest.mark.django_db(transaction=True)


def _members(group: str) -> int:
    layer = get_channel_layer()

    async def count():
        async with layer.connection(layer.consistent_hash(group)) as conn:
            return await conn.zcard(layer._group_key(group))

    return async_to_sync(count)()


def _listen(server, user):
    ws = ws_connect(server, token=api_token_create(user=user))
    assert recv_json(ws) == {"type": "ready"}
    return ws


def _wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_many_sockets_of_one_process_are_one_group_member_and_all_get_the_card(
        live_asgi, acme_senior, acme_senior2, acme_admin, acme_tech):
    queue = events.queue_group(acme_senior.account_id)
    sockets = [_listen(live_asgi, u) for u in (acme_senior, acme_senior2, acme_admin, acme_senior, acme_admin)]
    assert _members(queue) == 1

    events.send_now(queue, {"type": "handoff.created", "handoff": {"id": "h-1"}})
    for ws in sockets:
        assert recv_types(ws, {"handoff.created"})["handoff.created"]["handoff"] == {"id": "h-1"}

    # A technician's socket is in the members group (bells), never the queue group.
    tech = _listen(live_asgi, acme_tech)
    assert _members(queue) == 1
    for ws in sockets + [tech]:
        ws.close()
    # The last socket gone, the process leaves the group: nothing is sent to it any more.
    _wait_until(lambda: _members(queue) == 0)
    _wait_until(lambda: _members(events.members_group(acme_senior.account_id)) == 0)


def test_bells_for_many_members_reach_only_their_recipients(live_asgi, acme_senior, acme_senior2, acme_tech):
    a, b, tech = (_listen(live_asgi, u) for u in (acme_senior, acme_senior2, acme_tech))
    group = events.members_group(acme_senior.account_id)
    message = {"type": "event.bells",
               "frame": {"type": "notification.created", "notification": {"kind": "escalation", "title": "T",
                                                                         "link": "/x", "created_at": None}},
               "ids": {str(acme_senior.pk): "n-a", str(acme_senior2.pk): "n-b"}}
    async_to_sync(events.group_send)(get_channel_layer(), group, message)
    assert recv_types(a, {"notification.created"})["notification.created"]["notification"]["id"] == "n-a"
    assert recv_types(b, {"notification.created"})["notification.created"]["notification"]["id"] == "n-b"
    with pytest.raises(TimeoutError):
        tech.recv(timeout=0.5)


def test_a_group_membership_redis_forgot_is_rejoined(transactional_db, acme_senior):
    """channels-redis forgets a membership after group_expiry (or a Redis restarted empty):
    the hub re-adds its groups every REALTIME_REJOIN_SECONDS, so a queue page left open for
    days keeps receiving."""
    server = LiveAsgiServer(extra_env={"REALTIME_REJOIN_SECONDS": "0.3"})
    try:
        ws = _listen(server, acme_senior)
        queue = events.queue_group(acme_senior.account_id)
        layer = get_channel_layer()

        async def forget():
            async with layer.connection(layer.consistent_hash(queue)) as conn:
                await conn.delete(layer._group_key(queue))

        async_to_sync(forget)()
        assert _members(queue) == 0
        _wait_until(lambda: _members(queue) == 1)
        events.send_now(queue, {"type": "handoff.created", "handoff": {"id": "h-2"}})
        assert recv_types(ws, {"handoff.created"})["handoff.created"]["handoff"] == {"id": "h-2"}
        ws.close()
    finally:
        server.stop()


def _socket_that_never_reads(server, token: str):
    """A websocket opened by hand with a tiny receive buffer, never read after the handshake: a
    client that stopped reading (a frozen tab, or a hostile one)."""
    import socket

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall((f"GET /ws/escalations/ HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  f"Sec-WebSocket-Version: 13\r\nAuthorization: Token {token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _handoff_ids_read_from(sock, wanted: int, timeout: float = 30) -> list[str]:
    """Read the raw socket as a websocket client would (the server's frames are unmasked and
    whole) until `wanted` handoff.created frames have come; their handoff ids, in order."""
    sock.settimeout(timeout)
    buffer = bytearray()

    def take(n: int) -> bytes:
        while len(buffer) < n:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("the server closed the socket")
            buffer.extend(chunk)
        out = bytes(buffer[:n])
        del buffer[:n]
        return out

    ids = []
    while len(ids) < wanted:
        first, second = take(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(take(2), "big")
        elif length == 127:
            length = int.from_bytes(take(8), "big")
        payload = take(length)
        if first & 0x0F == 0x1:  # a text frame
            frame = json.loads(payload)
            if frame["type"] == "handoff.created":
                ids.append(frame["handoff"]["id"])
    return ids


def test_a_socket_that_stopped_reading_never_holds_the_frames_of_the_others(live_asgi, acme_senior, acme_senior2):
    stalled = _socket_that_never_reads(live_asgi, api_token_create(user=acme_senior))
    reader = _listen(live_asgi, acme_senior2)
    queue = events.queue_group(acme_senior.account_id)
    _wait_until(lambda: _members(queue) == 1)
    # ~10 MB: far more than the stalled socket's kernel buffers and the server's write buffer hold,
    # so the server must wait for it to drain before each further frame to it.
    problem = "x" * 16_000
    frames = 600
    received = []

    def read():  # as a browser does, while the frames are sent
        while len(received) < frames:
            received.append(recv_types(reader, {"handoff.created"}, timeout=10)["handoff.created"]["handoff"]["id"])

    reading = threading.Thread(target=read, daemon=True)
    reading.start()
    try:
        for i in range(frames):
            events.send_now(queue, {"type": "handoff.created", "handoff": {"id": f"h-{i}", "problem": problem}})
        reading.join(30)
        assert received == [f"h-{i}" for i in range(frames)]
        # The frozen tab comes back: the frames the server held for it arrive, all, in order.
        assert _handoff_ids_read_from(stalled, frames) == [f"h-{i}" for i in range(frames)]
    finally:
        stalled.close()
        reader.close()
