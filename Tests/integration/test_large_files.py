"""Large files (issue 10): bodies of several MiB leave by sendfile in pieces, in order, to fast, parallel and
slow readers, as whole files and as byte ranges, and the access log counts the body bytes that reached the kernel."""

import random
import re
import threading
import time

from httpdkit import wait_lines

SIZE = 12 * 1024 * 1024 + 12345  # not a multiple of any chunk size
DATA = random.Random(10).randbytes(SIZE)
SMALL = b"small\n"
MID = 3 * 1024 * 1024 + 1
LOG_LINE = re.compile(rb'^\S+ - - \[[^]]+\] "([^"]*)" (\d{3}) (\d+|-) ')


def req(path: bytes, extra: bytes = b"") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"\r\n"


def start(server, setup=None):
    """A server with big.bin (DATA), mid.bin (its first MID bytes), small.txt and an access log in its folder."""
    return server(files={"big.bin": DATA, "mid.bin": DATA[:MID], "small.txt": SMALL}, setup=setup,
                  args=["AccessLog access.log combined", "SendTimeout 10"])


def logged(srv, n: int) -> list[tuple[str, int, int]]:
    """The first N access log lines as (request line, status, body bytes)."""
    lines = wait_lines(srv.dir / "access.log", n, 3.0)
    assert len(lines) >= n, lines
    out = []
    for line in lines[:n]:
        m = LOG_LINE.match(line)
        assert m, line
        out.append((m.group(1).decode(), int(m.group(2)), int(m.group(3)) if m.group(3) != b"-" else 0))
    return out


def test_large_file_exact_bytes_then_keepalive_and_logged(server):
    """A 12 MiB body arrives byte for byte, the pipelined request after it is answered on the same
    connection, and the access log counts every body byte."""
    srv = start(server)
    with srv.client() as c:
        c.send(req(b"/big.bin") + req(b"/small.txt") + req(b"/big.bin"))
        first = c.read_response()
        assert first.status == 200 and first["Content-Length"] == str(SIZE)
        assert first.body == DATA
        assert c.read_response().body == SMALL
        assert c.read_response().body == DATA
    assert logged(srv, 3) == [
        ("GET /big.bin HTTP/1.1", 200, SIZE), ("GET /small.txt HTTP/1.1", 200, len(SMALL)),
        ("GET /big.bin HTTP/1.1", 200, SIZE)]


def test_large_file_to_parallel_readers(server):
    """Four connections downloading the file at once each get all of it, in order."""
    srv = start(server)
    results: list[bool] = []

    def download():
        with srv.client(timeout=30) as c:
            results.append(c.get("/big.bin").body == DATA)

    threads = [threading.Thread(target=download) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [True] * 4
    assert logged(srv, 4) == [("GET /big.bin HTTP/1.1", 200, SIZE)] * 4


def test_large_file_to_slow_reader(server):
    """A reader with a small receive buffer taking 64 KiB at a time, with pauses, gets every byte
    (the server waits for the socket many times), and the log counts them all."""
    srv = start(server)
    size = MID
    c = srv.client(rcvbuf=16384, timeout=30)
    try:
        c.send(req(b"/mid.bin", b"Connection: close\r\n"))
        head = c.read_head()
        assert head.status == 200 and head["Content-Length"] == str(size)
        body = bytearray(c.buf)
        c.buf = b""
        reads = 0
        while len(body) < size:
            chunk = c.sock.recv(65536)
            assert chunk, f"closed after {len(body)} of {size} bytes"
            body += chunk
            reads += 1
            if reads % 8 == 0:
                time.sleep(0.005)
        assert bytes(body) == DATA[:size]
        assert c.sock.recv(1) == b""
    finally:
        c.close()
    assert logged(srv, 1) == [("GET /mid.bin HTTP/1.1", 200, size)]


def test_large_ranges_multipart(server):
    """Several MiB-sized ranges in one multipart body: each part's bytes between its own head and the
    next boundary (file regions and byte parts queued together in one response)."""
    srv = start(server)
    ranges = [(1, 2_500_000), (4_000_000, 6_999_999), (SIZE - 2_000_000, SIZE - 1)]
    spec = ",".join(f"{a}-{b}" for a, b in ranges)
    with srv.client(timeout=30) as c:
        resp = c.get("/big.bin", headers=f"Range: bytes={spec}\r\n")
    assert resp.status == 206
    m = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", resp["Content-Type"])
    assert m, resp["Content-Type"]
    boundary = m.group(1).encode()
    expected = b"".join(
        b"\r\n--" + boundary + b"\r\nContent-Type: application/octet-stream\r\n"
        + f"Content-Range: bytes {a}-{b}/{SIZE}\r\n\r\n".encode() + DATA[a:b + 1]
        for a, b in ranges) + b"\r\n--" + boundary + b"--\r\n"
    assert resp.body == expected
    assert logged(srv, 1) == [("GET /big.bin HTTP/1.1", 206, len(expected))]


def test_large_single_range_from_the_middle(server):
    """One range of several MiB starting at an odd offset: exactly those bytes."""
    srv = start(server)
    first, last = 777_777, 7_777_776
    with srv.client(timeout=30) as c:
        resp = c.get("/big.bin", headers=f"Range: bytes={first}-{last}\r\n")
    assert resp.status == 206
    assert resp["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert resp.body == DATA[first:last + 1]
    assert logged(srv, 1) == [("GET /big.bin HTTP/1.1", 206, last - first + 1)]


def test_reader_leaving_early_is_logged_with_what_reached_the_kernel(server):
    """A client that reads 1 MiB of a 64 MiB file and closes: the log counts at least what it read and
    less than the whole body (what the kernel took before the connection ended)."""
    size = 64 * 1024 * 1024

    def setup(root):
        with open(root / "huge.bin", "wb") as f:
            f.truncate(size)
    srv = start(server, setup=setup)
    c = srv.client()
    try:
        c.send(req(b"/huge.bin"))
        head = c.read_head()
        assert head.status == 200
        got = c.discard(1 << 20)
        assert got == 1 << 20
    finally:
        c.close()
    (line, status, body_bytes), = logged(srv, 1)
    assert (line, status) == ("GET /huge.bin HTTP/1.1", 200)
    assert 1 << 20 <= body_bytes < size
    assert srv.get("/small.txt").body == SMALL
