"""Keep-alive, pipelining, half-close, timeouts, SendTimeout and MaxConnections."""

import socket
import threading
import time

import pytest

from httpdkit import Client, assert_error, has_ipv6_loopback

FILES = {"a.txt": "AAA\n", "b.txt": "BBBB\n", "c.txt": "CCCCC\n"}


def req(path, extra=b""):
    return b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"\r\n"


def test_pipelined_in_one_send(server):
    """Several requests in one send() are answered in order."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(req(b"/a.txt") + req(b"/b.txt") + b"HEAD /c.txt HTTP/1.1\r\nHost: t\r\n\r\n"
               + req(b"/missing") + req(b"/c.txt"))
        r = [c.read_response(m) for m in ("GET", "GET", "HEAD", "GET", "GET")]
        assert [x.status for x in r] == [200, 200, 200, 404, 200]
        assert [x.body for x in r] == [b"AAA\n", b"BBBB\n", b"", r[3].body, b"CCCCC\n"]
        assert r[2]["Content-Length"] == "6"
        c.expect_open(0.2)


def test_many_pipelined(server):
    """100 pipelined requests get 100 responses in order."""
    srv = server(files=FILES)
    names = [b"/a.txt", b"/b.txt", b"/c.txt"]
    with srv.client() as c:
        c.send(b"".join(req(names[i % 3]) for i in range(100)))
        for i in range(100):
            body = c.read_response().body
            assert body == {0: b"AAA\n", 1: b"BBBB\n", 2: b"CCCCC\n"}[i % 3], i


def test_byte_by_byte(server):
    """Two requests split byte by byte over many sends are both answered."""
    srv = server(files=FILES)
    raw = req(b"/a.txt", b"X-Some: value\r\n") + req(b"/b.txt")
    with srv.client() as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(raw)):
            c.send(raw[i:i + 1])
            if i % 7 == 0:
                time.sleep(0.002)
        assert c.read_response().body == b"AAA\n"
        assert c.read_response().body == b"BBBB\n"


def test_pipelined_with_close_last(server):
    """A pipelined 'Connection: close' request is answered, then the connection closes."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(req(b"/a.txt") + req(b"/b.txt", b"Connection: close\r\n") + req(b"/c.txt"))
        assert c.read_response().body == b"AAA\n"
        r = c.read_response()
        assert r.body == b"BBBB\n" and r["Connection"] == "close"
        c.expect_closed()


def test_half_close_after_request(server):
    """A client that half-closes after its request still gets the full response, then EOF."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(req(b"/a.txt") + req(b"/b.txt"))
        c.shutdown_write()
        assert c.read_response().body == b"AAA\n"
        assert c.read_response().body == b"BBBB\n"
        c.expect_closed()


def test_half_close_mid_request(server):
    """A half-close in the middle of a request head closes the connection (no response)."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHo")
        c.shutdown_write()
        try:
            data = c.read_to_eof(3)
        except socket.timeout:
            raise AssertionError("connection not closed")
        assert data == b"" or data.startswith(b"HTTP/1.1 400 Bad Request\r\n"), data


def test_max_keepalive_requests(server):
    """MaxKeepAliveRequests 2: the second response carries 'Connection: close', then close."""
    srv = server(files=FILES, args=["MaxKeepAliveRequests 2"])
    with srv.client() as c:
        c.send(req(b"/a.txt") + req(b"/b.txt") + req(b"/c.txt"))
        r1 = c.read_response()
        assert not r1.has("Connection")
        r2 = c.read_response()
        assert r2.body == b"BBBB\n"
        assert r2["Connection"] == "close"
        c.expect_closed()


def test_keepalive_timeout_closes_idle(server):
    """KeepAliveTimeout 1: an idle connection is closed after about 1 s."""
    srv = server(files=FILES, args=["KeepAliveTimeout 1"])
    with srv.client() as c:
        assert c.get("/a.txt").status == 200
        t0 = time.monotonic()
        c.expect_open(0.6)
        c.expect_closed(timeout=2.5)
        elapsed = time.monotonic() - t0
    assert 0.8 <= elapsed <= 2.6, elapsed


def test_keepalive_timeout_reset_by_request(server):
    """Each request restarts the idle timer: requests every 0.6 s keep a 1 s connection alive."""
    srv = server(files=FILES, args=["KeepAliveTimeout 1"])
    with srv.client() as c:
        for _ in range(4):
            assert c.get("/a.txt").status == 200
            time.sleep(0.6)
        assert c.get("/b.txt").body == b"BBBB\n"


def test_request_header_timeout_partial_head(server):
    """RequestHeaderTimeout 1: a partial head then silence → 408 and close within ~1-2 s."""
    srv = server(files=FILES, args=["RequestHeaderTimeout 1"])
    with srv.client() as c:
        t0 = time.monotonic()
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n")
        resp = c.read_response(timeout=4)
        elapsed = time.monotonic() - t0
        assert_error(resp, 408)
        c.expect_closed()
    assert 0.8 <= elapsed <= 2.5, elapsed


def test_request_header_timeout_is_total(server):
    """The head deadline is total: trickling a byte every 0.3 s still gets 408 within ~1-2 s."""
    srv = server(files=FILES, args=["RequestHeaderTimeout 1"])
    with srv.client() as c:
        t0 = time.monotonic()
        payload = b"GET /a.txt HTTP/1.1\r\nX-Slow: " + b"a" * 100
        got = b""
        for i in range(len(payload)):
            try:
                c.send(payload[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.3)
            c.sock.setblocking(False)
            try:
                chunk = c.sock.recv(65536)
                if not chunk:
                    break
                got += chunk
            except BlockingIOError:
                pass
            except ConnectionResetError:
                break
            finally:
                c.sock.setblocking(True)
            if b"\r\n\r\n" in got or time.monotonic() - t0 > 5:
                break
        elapsed = time.monotonic() - t0
        assert got.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), got
        assert elapsed <= 2.8, elapsed


def test_silent_connection_closed_without_response(server):
    """A connection that sends nothing is closed silently (no bytes) within a few seconds."""
    srv = server(files=FILES, args=["RequestHeaderTimeout 1", "KeepAliveTimeout 1"])
    with srv.client() as c:
        t0 = time.monotonic()
        c.expect_closed(timeout=3.5)
    assert time.monotonic() - t0 >= 0.8


def test_server_serves_others_during_slow_client(server):
    """While one client stalls mid-head, others are served at once."""
    srv = server(files=FILES, args=["RequestHeaderTimeout 5"])
    with srv.client() as slow:
        slow.send(b"GET /a.txt HTTP/1.1\r\nHo")
        t0 = time.monotonic()
        assert srv.get("/b.txt").body == b"BBBB\n"
        assert time.monotonic() - t0 < 1.0


def test_send_timeout_drops_non_reading_client(server):
    """SendTimeout 1: a client that never reads a 64 MiB file is dropped; others are still served."""
    size = 64 * 1024 * 1024

    def setup(root):
        with open(root / "big.bin", "wb") as f:
            f.truncate(size)
    srv = server(files=FILES, setup=setup, args=["SendTimeout 1"])
    c = srv.client(rcvbuf=4096)
    try:
        c.send(req(b"/big.bin"))
        # Meanwhile another client is served promptly.
        t0 = time.monotonic()
        assert srv.get("/a.txt").body == b"AAA\n"
        assert time.monotonic() - t0 < 1.0
        time.sleep(4.0)
        # Now read: if the server dropped us, we get what was buffered, then EOF/RST.
        total = 0
        c.sock.settimeout(3)
        try:
            while True:
                chunk = c.sock.recv(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError(f"connection still open after SendTimeout ({total} bytes read)")
        assert total < size, "the whole file arrived: the slow client was never dropped"
    finally:
        c.close()
    assert srv.alive()
    assert srv.get("/b.txt").body == b"BBBB\n"


def test_max_connections_backlog(server):
    """MaxConnections 2: a third connection waits (not served) until one of the first closes."""
    srv = server(files=FILES, args=["MaxConnections 2", "KeepAliveTimeout 10"])
    c1, c2 = srv.client(), srv.client()
    c3 = None
    try:
        assert c1.get("/a.txt").status == 200
        assert c2.get("/a.txt").status == 200
        c3 = srv.client()  # connect() succeeds: the kernel backlog accepts it
        c3.send(req(b"/c.txt"))
        time.sleep(0.5)
        c3.expect_open(0.3)  # no response yet
        c1.close()
        resp = c3.read_response(timeout=3)
        assert resp.body == b"CCCCC\n"
        assert c2.get("/b.txt").body == b"BBBB\n"
    finally:
        for c in (c1, c2, c3):
            if c:
                c.close()


def test_concurrent_clients(server):
    """50 concurrent connections, each with 5 keep-alive requests, all get correct responses."""
    srv = server(files=FILES)
    errors = []

    def worker(n):
        try:
            with srv.client() as c:
                for _ in range(5):
                    r = c.get("/b.txt")
                    if r.body != b"BBBB\n":
                        errors.append((n, r.status_line))
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append((n, repr(e)))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == []


def test_keepalive_after_large_response(server):
    """After a 2 MiB response on a connection, the next request on it is answered."""
    big = bytes(range(256)) * 8192
    srv = server(files={"big.bin": big, "a.txt": "AAA\n"})
    with srv.client() as c:
        c.send(req(b"/big.bin") + req(b"/a.txt"))
        r = c.read_response()
        assert r.body == big
        assert c.read_response().body == b"AAA\n"


def test_ipv6_and_ipv4_listen_together(server):
    """Two Listen directives (IPv4 and IPv6) both serve."""
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    srv = server(files=FILES, args=["Listen 127.0.0.1:0", "Listen [::1]:0"], listen=None,
                 expect_listens=2)
    hosts = {h for h, _ in srv.addresses}
    assert hosts == {"127.0.0.1", "::1"}
    for host, port in srv.addresses:
        with Client(host, port) as c:
            assert c.get("/a.txt").body == b"AAA\n"
