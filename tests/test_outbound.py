"""The one outbound HTTP client (resolutionflow.outbound) against real servers on loopback: the SSRF
guard, the connection going to the checked address (plain and TLS), no redirects, the byte cap,
the total budget, and failure messages that quote at most a short, printable excerpt."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time

import httpcore
import pytest

from resolutionflow import outbound
from resolutionflow.outbound import client as outbound_client
from resolutionflow.outbound import guard
from tests.escalations.loopback import LoopbackServer

CAP = 64 * 1024


@pytest.fixture
def server():
    srv = LoopbackServer()
    yield srv
    srv.stop()


@pytest.fixture
def private_off(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = False
    return settings


@pytest.fixture
def private_on(settings):
    settings.OUTBOUND_ALLOW_PRIVATE_NETWORKS = True
    return settings


class Resolver:
    """Stands in for DNS (`guard.resolve`): what each name resolves to, and every lookup made.
    The system resolver is made to fail, so a second, uncontrolled lookup would show."""

    def __init__(self, monkeypatch, answers: dict[str, list[list[str]]]):
        self.answers = {name: list(seq) for name, seq in answers.items()}
        self.lookups: list[str] = []
        monkeypatch.setattr(guard, "resolve", self)

        real_getaddrinfo = socket.getaddrinfo

        def no_dns(host, *args, **kwargs):
            try:  # socket.create_connection "resolves" the literal address it is given: fine
                ipaddress.ip_address(host)
            except ValueError:
                raise AssertionError(f"a DNS lookup outside the guard: {host}") from None
            return real_getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", no_dns)

    def __call__(self, host, port):
        self.lookups.append(host)
        seq = self.answers[host]
        return seq.pop(0) if len(seq) > 1 else seq[0]


class RawServer:
    """A TCP server on 127.0.0.1 that answers every connection with `respond(conn)` and counts
    the bytes it managed to send."""

    def __init__(self, respond):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.sent = 0
        self.finished = False
        self.connections = 0
        self._respond = respond
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                try:
                    self._respond(self, conn)
                    self.finished = True
                except OSError:
                    pass

    def send(self, conn, data: bytes):
        conn.sendall(data)
        self.sent += len(data)

    def stop(self):
        self._stop.set()
        self.thread.join(2)
        self.sock.close()


# --- The guard on the client's path --------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://localhost:{port}/hook", "http://127.0.0.1:{port}/hook",
                                 "http://[::1]:{port}/hook", "http://169.254.169.254/latest/meta-data/",
                                 "http://10.0.0.5/hook", "http://[::ffff:127.0.0.1]:{port}/hook"])
def test_an_internal_address_is_refused_before_any_connection(private_off, server, url):
    port = server.url.rsplit(":", 1)[1]
    with pytest.raises(outbound.TransportError) as caught:
        outbound.request("POST", url.format(port=port), content=b"{}")
    assert caught.value.retryable is False and "not allowed" in str(caught.value)
    assert server.requests == []


def test_every_resolved_address_is_checked_not_only_the_first(private_off, monkeypatch):
    resolver = Resolver(monkeypatch, {"mixed.test": [["93.184.215.14", "127.0.0.1"]]})
    with pytest.raises(outbound.TransportError, match="127.0.0.1"):
        outbound.request("GET", "https://mixed.test/")
    assert resolver.lookups == ["mixed.test"]


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://user:pw@example.com/",
                                 "gopher://example.com/"])
def test_only_http_urls_without_credentials(private_on, url):
    with pytest.raises(outbound.TransportError) as caught:
        outbound.request("GET", url)
    assert caught.value.retryable is False


def test_a_name_that_does_not_resolve_is_retryable(private_off, monkeypatch):
    def nxdomain(host, port):
        raise guard.UnresolvableHost(f"The host {host!r} could not be resolved (test).")

    monkeypatch.setattr(guard, "resolve", nxdomain)
    with pytest.raises(outbound.TransportError) as caught:
        outbound.request("GET", "https://gone.test/")
    assert caught.value.retryable is True


# --- The connection goes to the checked address ---------------------------------------------------

def test_the_client_dials_the_address_the_guard_checked_with_the_original_host_header(
        private_on, server, monkeypatch):
    """One lookup (through the resolver the test controls); the request reaches the loopback
    server although `service.test` resolves nowhere else, and says `Host: service.test`. A later
    answer of the resolver (a rebinding to 10.0.0.1) is never asked for."""
    port = int(server.url.rsplit(":", 1)[1])
    resolver = Resolver(monkeypatch, {"service.test": [["127.0.0.1"], ["10.0.0.1"]]})
    server.answer(200, {"ok": True})
    response = outbound.request("POST", f"http://service.test:{port}/path?q=1", json={"a": 1})
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert resolver.lookups == ["service.test"]
    [request] = server.requests
    assert request.headers["host"] == f"service.test:{port}"
    assert (request.path, request.query) == ("/path", {"q": "1"})


def test_the_next_checked_address_is_tried_when_the_first_refuses(private_on, server, monkeypatch):
    port = int(server.url.rsplit(":", 1)[1])
    Resolver(monkeypatch, {"two.test": [["127.0.0.2", "127.0.0.1"]]})
    server.answer(200, {"ok": True})
    backend_dials = []
    original = outbound_client.PinnedBackend.connect_tcp

    def spy(self, **kwargs):
        try:
            return original(self, **kwargs)
        finally:
            backend_dials.extend(self.dialed)

    monkeypatch.setattr(outbound_client.PinnedBackend, "connect_tcp", spy)
    # 127.0.0.2 is loopback too on Linux and the server listens on 127.0.0.1 only: refused.
    assert outbound.request("GET", f"http://two.test:{port}/").status_code == 200
    assert backend_dials == ["127.0.0.2", "127.0.0.1"]


def test_the_backend_refuses_a_host_it_did_not_check():
    target = guard.PinnedURL(url="http://a.test/", scheme="http", host="a.test", port=80, addresses=("127.0.0.1",))
    backend = outbound_client.PinnedBackend(target, "a.test", outbound_client._Budget(5))
    with pytest.raises(httpcore.ConnectError, match="not checked"):
        backend.connect_tcp("b.test", 80)
    with pytest.raises(httpcore.ConnectError, match="not checked"):
        backend.connect_tcp("a.test", 8080)
    assert backend.dialed == []


def _certificate(hostname: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert_pem, key_pem


class TLSServer:
    """HTTPS on 127.0.0.1 with a certificate for `hostname`; records the SNI names it was asked for."""

    def __init__(self, tmp_path, hostname: str):
        cert_pem, key_pem = _certificate(hostname)
        (tmp_path / "cert.pem").write_bytes(cert_pem)
        (tmp_path / "key.pem").write_bytes(key_pem)
        self.cert_file = str(tmp_path / "cert.pem")
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(self.cert_file, str(tmp_path / "key.pem"))
        self.server_names: list[str | None] = []
        self.context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self.hosts: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(5)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += tls.recv(4096)
                    for line in data.split(b"\r\n"):
                        if line.lower().startswith(b"host:"):
                            self.hosts.append(line.split(b":", 1)[1].strip().decode())
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except (ssl.SSLError, OSError):
                conn.close()

    def stop(self):
        self._stop.set()
        self.sock.close()


def test_tls_to_the_checked_address_keeps_the_server_name_and_verifies_its_certificate(
        private_on, tmp_path, monkeypatch):
    tls = TLSServer(tmp_path, "service.test")
    try:
        trusted = ssl.create_default_context(cafile=tls.cert_file)
        monkeypatch.setattr(outbound_client, "ssl_context", lambda: trusted)
        resolver = Resolver(monkeypatch, {"service.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
        response = outbound.request("GET", f"https://service.test:{tls.port}/")
        assert response.status_code == 200 and response.content == b"ok"
        assert tls.server_names == ["service.test"] and tls.hosts == [f"service.test:{tls.port}"]
        # The same address under a name the certificate is not for: refused by verification.
        with pytest.raises(outbound.TransportError, match="other.test"):
            outbound.request("GET", f"https://other.test:{tls.port}/")
        assert resolver.lookups == ["service.test", "other.test"]
        assert tls.hosts == [f"service.test:{tls.port}"]
    finally:
        tls.stop()


# --- Redirects, size, time -----------------------------------------------------------------------

def test_a_redirect_is_a_failure_and_its_location_is_never_fetched(private_on, server):
    elsewhere = LoopbackServer()
    try:
        server.answer(302, "moved", headers={"Location": f"{elsewhere.url}/secret"})
        with pytest.raises(outbound.TransportError) as caught:
            outbound.request("POST", f"{server.url}/hook", content=b"{}")
        assert (caught.value.retryable, caught.value.status_code) == (False, 302)
        assert "HTTP 302 from 127.0.0.1" in str(caught.value) and "not followed" in str(caught.value)
        assert elsewhere.requests == [] and len(server.requests) == 1
    finally:
        elsewhere.stop()


def _endless(raw, conn):
    """200 without Content-Length, then 8 MiB of body: the client must stop and hang up."""
    raw.send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    chunk = b"x" * 65536
    for _ in range(128):
        raw.send(conn, chunk)


def test_a_larger_answer_than_the_cap_stops_reading_and_fails_with_a_summary(private_on, settings):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = CAP
    raw = RawServer(_endless)
    try:
        started = time.monotonic()
        with pytest.raises(outbound.TransportError) as caught:
            outbound.request("GET", f"{raw.url}/big")
        assert time.monotonic() - started < 3
        assert caught.value.retryable is False
        assert str(caught.value) == f"The answer from 127.0.0.1:{raw.port} is larger than {CAP} bytes; stopped reading"
        raw.thread.join(5)
        assert raw.finished is False, "the client read the whole 8 MiB"
        assert raw.sent < 8 * 1024 * 1024
    finally:
        raw.stop()


def test_a_declared_length_over_the_cap_fails_before_reading(private_on, server, settings):
    settings.OUTBOUND_MAX_RESPONSE_BYTES = CAP
    server.answer(200, b"y" * (CAP + 1))
    with pytest.raises(outbound.TransportError, match="larger than"):
        outbound.request("GET", f"{server.url}/")


def test_an_answer_at_the_cap_is_read_whole(private_on, server):
    server.answer(200, b"z" * CAP)
    assert outbound.request("GET", f"{server.url}/", max_bytes=CAP).content == b"z" * CAP


def test_a_compressed_answer_sent_anyway_is_inflated_within_the_cap(private_on, server, settings):
    import gzip

    settings.OUTBOUND_MAX_RESPONSE_BYTES = CAP
    server.answer(200, gzip.compress(b'{"ok": true}'), headers={"Content-Encoding": "gzip"})
    assert outbound.request("GET", f"{server.url}/").json() == {"ok": True}
    assert server.last.headers["accept-encoding"] == "identity"
    server.answer(200, gzip.compress(b"0" * (CAP * 50)), headers={"Content-Encoding": "gzip"})  # a bomb
    with pytest.raises(outbound.TransportError, match="larger than"):
        outbound.request("GET", f"{server.url}/")


def test_the_total_budget_cuts_off_a_trickling_server(private_on, server, settings):
    settings.OUTBOUND_HTTP_READ_TIMEOUT_SECONDS = 5  # no single read is slow...
    server.answer(200, b"a" * 200, trickle=0.05)  # ...but the whole answer takes 10 s
    started = time.monotonic()
    with pytest.raises(outbound.TransportError) as caught:
        outbound.request("GET", f"{server.url}/", timeout=0.6)
    assert time.monotonic() - started < 2
    assert caught.value.retryable is True and caught.value.timed_out is True
    assert str(caught.value).startswith("Timed out")


def test_a_server_that_never_answers_is_cut_at_the_read_timeout(private_on, settings):
    from tests.notifications.loopback import Blackhole

    settings.OUTBOUND_HTTP_READ_TIMEOUT_SECONDS = 0.3
    hole = Blackhole()
    try:
        started = time.monotonic()
        with pytest.raises(outbound.TransportError) as caught:
            outbound.request("POST", hole.url(), content=b"{}", timeout=5)
        assert time.monotonic() - started < 2 and caught.value.timed_out
    finally:
        hole.stop()


# --- What a failure says --------------------------------------------------------------------------

def test_an_error_answer_is_summarised_with_a_short_printable_excerpt(private_on, server):
    body = "\x1b[31mboom\x1b[0m\r\nTraceback:\n" + "\u202e" + "secret-internal-detail " * 5000
    server.answer(500, body)
    with pytest.raises(outbound.TransportError) as caught:
        outbound.request("POST", f"{server.url}/services/T000/B000/SECRETPATH?token=abc", content=b"{}")
    message = str(caught.value)
    assert message.startswith(f"HTTP 500 from 127.0.0.1:{server.url.rsplit(':', 1)[1]}: ")
    assert len(message) <= len("HTTP 500 from 127.0.0.1:65535: ") + outbound.EXCERPT_CHARS
    assert message.isprintable() and "\x1b" not in message and "\u202e" not in message
    assert "SECRETPATH" not in message and "token" not in message  # never the URL's path or query
    assert caught.value.retryable is True and caught.value.status_code == 500


def test_a_network_error_names_the_host_not_the_url(private_on):
    from tests.notifications.loopback import dead_port_url

    url = dead_port_url("/services/T0/B0/SECRETPATH")
    with pytest.raises(outbound.TransportError) as caught:
        outbound.request("POST", url, content=b"{}")
    assert caught.value.retryable is True
    assert str(caught.value).startswith("ConnectError calling 127.0.0.1:") and "SECRETPATH" not in str(caught.value)


def test_a_label_prefixes_the_message(private_on, server):
    server.answer(404, {"code": "NotFound"})
    with pytest.raises(outbound.TransportError, match=r"^HaloPSA: HTTP 404 from 127\.0\.0\.1:\d+: "):
        outbound.request("GET", f"{server.url}/", label="HaloPSA")


@pytest.mark.parametrize("raw, expected", [
    (b"plain", "plain"),
    (b"line one\nline two\r\n\tthree", "line one line two three"),
    ("\u202eevil\x00\x07".encode(), "evil"),
    (b"\xff\xfe broken utf-8", "\ufffd\ufffd broken utf-8"),
])
def test_excerpt_is_printable(raw, expected):
    assert outbound.excerpt(raw) == expected


def test_excerpt_is_capped():
    quoted = outbound.excerpt(b"a" * 10_000)
    assert len(quoted) == outbound.EXCERPT_CHARS and quoted.endswith("…")
