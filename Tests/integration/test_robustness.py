"""Robustness: abrupt disconnects, resets, random garbage; the server survives and keeps serving."""

import os
import random
import socket
import struct
import time

from httpdkit import wait_until

FILES = {"a.txt": "AAA\n", "big.bin": bytes(range(256)) * 16384}


def rst_close(sock):
    """Close with an RST instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_abrupt_closes_mid_request(server):
    """200 connections closed abruptly mid-request (FIN or RST): the server keeps serving. (All from
    127.0.0.1, faster than the server sees them close: without the per-client limit, which has its own test.)"""
    srv = server(files=FILES, conf_lines=["MaxConnectionsPerClient 0"])
    partials = [b"GET /a.txt HTTP/1.1\r\nHo", b"GET /a.t", b"G", b"",
                b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc",
                b"GET /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"]
    for i in range(200):
        s = socket.create_connection((srv.host, srv.port))
        data = partials[i % len(partials)]
        if data:
            s.sendall(data)
        if i % 2:
            rst_close(s)
        else:
            s.close()
    assert srv.alive()
    resp = srv.get("/a.txt")
    assert (resp.status, resp.body) == (200, b"AAA\n")


def test_reset_during_large_response(server):
    """Clients that reset while a 4 MiB response is being sent do not hurt the server."""
    srv = server(files=FILES)
    for i in range(20):
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n" * 3)
        s.recv(1000 * (i + 1))
        rst_close(s)
    time.sleep(0.2)
    assert srv.alive()
    resp = srv.get("/big.bin")
    assert resp.body == FILES["big.bin"]


def test_random_garbage(server):
    """Seeded random garbage on 200 connections: the server survives and answers a normal GET."""
    # 200 connections from 127.0.0.1, some held for the 1 s head deadline: no per-client limit here.
    srv = server(files=FILES, args=["RequestHeaderTimeout 1", "MaxConnectionsPerClient 0"])
    rng = random.Random(20261125)
    for i in range(200):
        s = socket.create_connection((srv.host, srv.port))
        s.settimeout(2)
        n = rng.choice([1, 10, 100, 1000, 10000])
        kind = i % 4
        if kind == 0:
            data = bytes(rng.getrandbits(8) for _ in range(n))
        elif kind == 1:  # plausible prefix, garbage afterwards
            data = b"GET /" + bytes(rng.getrandbits(8) for _ in range(n)) + b"\r\n\r\n"
        elif kind == 2:  # valid request line, garbage header bytes
            data = (b"GET /a.txt HTTP/1.1\r\nHost: t\r\n"
                    + bytes(rng.choice(b"\r\n:; \t\x00abcXYZ\x7f\xff") for _ in range(n)) + b"\r\n\r\n")
        else:  # garbage chunked body
            data = (b"GET /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + bytes(rng.choice(b"0123456789abcdefABCDEF;=\r\n \"x") for _ in range(n)))
        try:
            s.sendall(data)
            if kind in (1, 2) and i % 3 == 0:
                s.recv(65536)  # these end in CRLFCRLF: read the answer (may be none)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            pass
        if i % 2:
            rst_close(s)
        else:
            s.close()
    assert srv.alive()
    resp = srv.get("/a.txt")
    assert (resp.status, resp.body) == (200, b"AAA\n")


def test_garbage_answers_are_http(server):
    """Any answer to garbage is a well-formed HTTP/1.1 4xx/5xx error (never 2xx), then close."""
    srv = server(files=FILES)
    rng = random.Random(7)
    for _ in range(30):
        data = bytes(rng.getrandbits(8) for _ in range(200)) + b"\r\n\r\n"
        with srv.client(timeout=3) as c:
            c.send(data)
            resp = c.read_response()
            assert 400 <= resp.status <= 505, resp.status_line
            assert resp["Connection"] == "close"
            c.expect_closed()


def test_many_open_idle_connections(server):
    """300 idle open connections do not stop a new client from being served (all from 127.0.0.1, so
    without the per-client limit, which test_crowd covers)."""
    srv = server(files=FILES, conf_lines=["MaxConnectionsPerClient 0"])
    socks = [socket.create_connection((srv.host, srv.port)) for _ in range(300)]
    try:
        resp = srv.get("/a.txt")
        assert resp.body == b"AAA\n"
    finally:
        for s in socks:
            s.close()
    assert srv.alive()


def test_open_file_limit_below_max_connections(server):
    """Started with an open-file limit far below MaxConnections: httpd warns at start, and when the
    descriptors run out it pauses accepting instead of crashing; once clients leave, an uncached file
    (the first job for the worker pool) is served."""
    import resource

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (48, 48))

    srv = server(conf_lines=["MaxConnections 1024"], files={"a.txt": "AAA\n"}, preexec=low_limit)
    port = srv.port
    assert port, srv.stderr()
    # The worker logs the warning just after "listening on", which the fixture waits for: wait for it too.
    assert wait_until(lambda: "open-file limit (48) is below what MaxConnections 1024" in srv.stderr(), 3), srv.stderr()
    # Far more connections than descriptors: the excess waits in the backlog.
    idle = []
    for _ in range(80):
        s = socket.socket()
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        idle.append(s)
    time.sleep(0.5)
    assert srv.alive(), srv.stderr()[-2000:]
    for s in idle:
        s.close()
    time.sleep(0.8)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = c.read_to_eof()
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"\r\n\r\nAAA\n"), data
    assert srv.alive()
    assert "accept failed: Too many open files" in srv.stderr()
    assert srv.stop() == 0, srv.stderr()[-2000:]


def test_full_worker_queue_answers_503_and_lookups_of_clients_that_left_are_skipped(server):
    """One worker, a queue of 4 and a directory listing slow enough to hold the worker: of 40 clients
    asking for it at once, those beyond the queue get 503 with Retry-After at once; the queued ones
    reset their connections, and their lookups are dropped unread (counted as skipped)."""
    from httpdkit import parse_exposition

    srv = server(conf_lines=["Workers 1", "WorkerQueueLimit 4", "Autoindex on", "FileCacheValidity 0"], files=FILES)
    big = srv.root / "big"
    big.mkdir()
    for i in range(50000):
        (big / f"f{i:05d}").touch()
    socks = []
    for _ in range(40):
        s = socket.create_connection((srv.host, srv.port))
        s.sendall(b"GET /big/ HTTP/1.1\r\nHost: t\r\n\r\n")
        socks.append(s)
    refused, served, waiting = [], [], []
    time.sleep(0.05)  # the refusals are immediate; each listing takes longer
    for s in socks:
        s.setblocking(False)
        try:
            data = s.recv(65536)
        except BlockingIOError:
            waiting.append(s)
            continue
        if data.startswith(b"HTTP/1.1 200 OK\r\n"):
            served.append(s)
            continue
        assert data.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), data[:200]
        assert b"\r\nRetry-After: 1\r\n" in data and b"\r\nConnection: close\r\n" in data
        refused.append(s)
    # One lookup runs and 4 wait (3 if the worker had not taken the first yet); everyone else is refused.
    accepted = len(served) + len(waiting)
    assert len(refused) + accepted == 40 and len(refused) >= 35, (len(refused), len(served), len(waiting))
    for s in socks:
        rst_close(s)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        m = parse_exposition(srv.get("/metrics").text)
        if m.value("httpd_worker_pool_busy") == 0 and m.value("httpd_worker_pool_queued") == 0:
            break
        time.sleep(0.05)
    assert m.value("httpd_worker_pool_rejected_total") == len(refused)
    # Every accepted lookup was either read (served, or under way when its client left) or skipped unread.
    completed, skipped = m.value("httpd_worker_pool_completed_total"), m.value("httpd_worker_pool_skipped_total")
    assert completed + skipped == accepted and completed >= len(served) + (1 if waiting else 0), (completed, skipped)
    assert srv.get("/a.txt").body == b"AAA\n"
    assert "worker queue full (" in srv.stderr()


def test_connections_past_the_per_client_limit_are_closed_at_once(server):
    """MaxConnectionsPerClient 8: a ninth connection from the same address is closed without a byte;
    another address is still served, and the refusal is counted."""
    from httpdkit import fetch, parse_exposition

    srv = server(files=FILES, conf_lines=["MaxConnectionsPerClient 8", "StatusAllow all"])
    held = [socket.create_connection((srv.host, srv.port)) for _ in range(8)]
    try:
        extra = socket.create_connection((srv.host, srv.port))
        extra.settimeout(5)
        assert extra.recv(1) == b""
        extra.close()
        assert fetch(srv.port, "/a.txt", source="127.0.0.2").body == b"AAA\n"
        m = parse_exposition(fetch(srv.port, "/metrics", source="127.0.0.2").text)
        assert m.value("httpd_connections_refused_total") == 1
    finally:
        for s in held:
            s.close()
    assert srv.get("/a.txt").body == b"AAA\n"


def test_directory_listings_are_capped_and_cached(server):
    """An automatic index reads at most 10,000 entries (the page says so) and is cached like a file:
    a file added to the folder shows within FileCacheValidity, not before."""
    srv = server(conf_lines=["Autoindex on", "FileCacheValidity 2"], files=FILES)
    big = srv.root / "big"
    big.mkdir()
    for i in range(10050):
        (big / f"f{i:05d}").touch()
    r = srv.get("/big/")
    assert r.status == 200
    # 10,000 directory entries read: `.` and `..` among them, so 9,998 files, plus the ../ row.
    assert r.body.count(b"<tr><td><a href=") == 9998 + 1
    assert r.body.endswith(b"</table>\n<p>Only the first 10000 entries of this folder were read.</p>\n</body></html>\n")
    small = srv.root / "small"
    small.mkdir()
    (small / "one.txt").write_bytes(b"1")
    first = srv.get("/small/").body
    assert b"one.txt" in first and b"two.txt" not in first
    (small / "two.txt").write_bytes(b"2")
    assert srv.get("/small/").body == first  # from the cache
    time.sleep(2.2)
    assert b"two.txt" in srv.get("/small/").body


def test_a_lookup_started_before_a_reload_never_enters_the_new_cache(server):
    """A slow directory listing under the old DocumentRoot finishes after a reload switched roots: its
    client gets it, but the next request (within FileCacheValidity) is answered from the new root."""
    import signal

    srv = server(conf_lines=["Autoindex on", "FileCacheValidity 30", "Workers 1"], files=FILES)
    old_dir = srv.root / "dir"
    old_dir.mkdir()
    for i in range(9000):
        os.symlink("../a.txt", old_dir / f"old{i:05d}")  # each entry costs an open, a readlink and an fstat
    new_root = srv.dir / "www2"
    (new_root / "dir").mkdir(parents=True)
    (new_root / "dir" / "new.txt").write_bytes(b"new\n")
    text = srv.conf.read_text()
    with socket.create_connection((srv.host, srv.port)) as c:
        c.sendall(b"GET /dir/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        time.sleep(0.01)
        srv.conf.write_text(text.replace("DocumentRoot www", f"DocumentRoot {new_root}"))
        os.kill(srv.pid, signal.SIGHUP)
        c.settimeout(20)
        data = b""
        while chunk := c.recv(65536):
            data += chunk
    assert b"old00000" in data  # the request made before the reload got the old listing
    assert wait_for_log(srv, "configuration reloaded")
    body = srv.get("/dir/").body
    assert b"new.txt" in body and b"old00000" not in body


def wait_for_log(srv, text: str, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in srv.stderr():
            return True
        time.sleep(0.05)
    return False
