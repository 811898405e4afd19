"""Request bodies: read and discarded exactly (no request smuggling), limits, Expect: 100-continue."""

import time

from httpdkit import assert_common_head, assert_error

FILES = {"a.txt": "AAA\n", "b.txt": "BBB\n", "c.txt": "CCC\n", "secret.txt": "SECRET\n"}
GET_C = b"GET /c.txt HTTP/1.1\r\nHost: t\r\n\r\n"
SMUGGLED = b"GET /secret.txt HTTP/1.1\r\nHost: t\r\n\r\n"


def expect_two(c, first=b"AAA\n", second=b"CCC\n"):
    r1 = c.read_response()
    r2 = c.read_response()
    assert (r1.status, r1.body) == (200, first)
    assert (r2.status, r2.body) == (200, second)
    # Nothing else was answered (e.g. a request hidden in the body).
    c.expect_open(0.3)


def test_content_length_body_discarded(server):
    """GET with Content-Length: 5 and 5 body bytes, pipelined with another GET: two responses."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" + GET_C)
        expect_two(c)


def test_content_length_body_with_request_inside(server):
    """A Content-Length body that looks like a request is never answered as one."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED)
               + SMUGGLED + GET_C)
        expect_two(c)


def test_content_length_zero(server):
    """Content-Length: 0 means no body; the next request follows directly."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n" + GET_C)
        expect_two(c)


def test_content_length_body_split_over_sends(server):
    """A body arriving in pieces, after the head, is still discarded exactly."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n")
        time.sleep(0.05)
        for piece in (b"GET ", b"/sec", b"re"):
            c.send(piece)
            time.sleep(0.05)
        c.send(GET_C)
        expect_two(c)


def test_chunked_body_discarded(server):
    """A chunked body with chunk extensions and a trailer is discarded exactly."""
    srv = server(files=FILES)
    body = (b"5;ext=1;name=\"q\"\r\nhello\r\n"
            b"A\r\n0123456789\r\n"
            b"0;last\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n")
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body + GET_C)
        expect_two(c)


def test_chunked_body_with_request_inside(server):
    """A chunk whose data looks like a request is never answered as one."""
    srv = server(files=FILES)
    body = b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n"
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body + GET_C)
        expect_two(c)


def test_chunked_case_insensitive(server):
    """'Transfer-Encoding: Chunked' and upper-case hex sizes are accepted."""
    srv = server(files=FILES)
    body = b"1A\r\n" + b"z" * 26 + b"\r\n0\r\n\r\n"
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n" + body + GET_C)
        expect_two(c)


def test_chunked_byte_by_byte(server):
    """A chunked request sent one byte at a time is parsed correctly."""
    srv = server(files=FILES)
    raw = (b"GET /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n" + GET_C)
    with srv.client() as c:
        for i in range(len(raw)):
            c.send(raw[i:i + 1])
        expect_two(c)


def test_head_with_body(server):
    """HEAD with a body: the body is discarded and the next request is answered."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz" + GET_C)
        r1 = c.read_response("HEAD")
        r2 = c.read_response()
        assert r1.status == 200 and r1["Content-Length"] == "4"
        assert r2.body == b"CCC\n"


def test_404_with_body_keeps_framing(server):
    """A 404 for a request with a body still skips the body; the next request is answered."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /nope HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(SMUGGLED)
               + SMUGGLED + GET_C)
        assert_error(c.read_response(), 404)
        r2 = c.read_response()
        assert r2.body == b"CCC\n"
        c.expect_open(0.3)


def test_large_body_under_limit(server):
    """A 512 KiB body under the 1 MiB default limit is read and discarded."""
    srv = server(files=FILES)
    body = b"x" * (512 * 1024)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(body)
               + body + GET_C)
        expect_two(c)


def test_body_over_limit_413(server):
    """Content-Length above LimitRequestBody → 413 and close (without waiting for the body)."""
    srv = server(files=FILES, args=["LimitRequestBody 10"])
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n")
        resp = c.read_response(timeout=3)
        assert_error(resp, 413)
        c.expect_closed()


def test_body_at_limit_ok(server):
    """A body of exactly LimitRequestBody bytes is accepted."""
    srv = server(files=FILES, args=["LimitRequestBody 10"])
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789" + GET_C)
        expect_two(c)


def test_default_body_limit_1mib(server):
    """The default LimitRequestBody is 1 MiB: Content-Length 1048577 → 413."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n")
        assert_error(c.read_response(timeout=3), 413)
        c.expect_closed()


def test_chunked_body_over_limit_413(server):
    """A chunked body growing past LimitRequestBody → 413 and close."""
    srv = server(files=FILES, args=["LimitRequestBody 10"])
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n")
        assert_error(c.read_response(), 413)
        c.expect_closed()


def test_expect_100_continue(server):
    """Expect: 100-continue with a body: '100 Continue' first, then after the body the 200."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        interim = c.read_until(b"\r\n\r\n", timeout=3)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        c.send(b"hello" + GET_C)
        expect_two(c)


def test_expect_100_continue_case_insensitive(server):
    """'Expect: 100-Continue' (any case) is the same expectation."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n")
        assert c.read_until(b"\r\n\r\n", timeout=3) == b"HTTP/1.1 100 Continue\r\n\r\n"
        c.send(b"hi")
        r = c.read_response()
        assert (r.status, r.body) == (200, b"AAA\n")


def test_expect_100_continue_post_405_no_100(server):
    """POST with Expect: 100-continue → 405 at once (no 100), then the connection closes."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"POST /a.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        resp = c.read_response(timeout=3)
        assert_common_head(resp, 405)
        assert resp["Allow"] == "GET, HEAD, OPTIONS"
        assert resp["Connection"] == "close"
        c.expect_closed()


def test_expect_100_continue_over_limit_413_no_100(server):
    """Expect: 100-continue with a body above the limit → 413 at once (no 100), close."""
    srv = server(files=FILES, args=["LimitRequestBody 10"])
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n")
        assert_error(c.read_response(timeout=3), 413)
        c.expect_closed()


def test_expect_100_continue_http10_ignored(server):
    """An HTTP/1.0 client never gets a 100 (RFC 9110 §10.1.1): just the 200 after the body."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")
        r = c.read_response(timeout=3)
        assert r.status_line == "HTTP/1.1 200 OK"
        assert r.body == b"AAA\n"


def test_body_timeout(server):
    """A body that stalls is dropped after RequestBodyTimeout 1: the connection closes in ~1-3 s."""
    srv = server(files=FILES, args=["RequestBodyTimeout 1"])
    with srv.client() as c:
        t0 = time.monotonic()
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        c.sock.settimeout(4)
        data = b""
        while True:
            chunk = c.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        elapsed = time.monotonic() - t0
    assert 0.8 <= elapsed <= 3.0, elapsed
    # Either silence, a 408, or the 200 for /a.txt (the server may answer before the body ends).
    if data:
        head = data.split(b"\r\n", 1)[0]
        assert head in (b"HTTP/1.1 408 Request Timeout", b"HTTP/1.1 200 OK"), data
        if head == b"HTTP/1.1 200 OK":
            assert data.endswith(b"\r\n\r\nAAA\n"), data
    assert srv.get("/b.txt").body == b"BBB\n"


def test_expect_continue_refused_body_never_parsed_as_a_request(server):
    """Expect: 100-continue on a request answered without its body (health, OPTIONS, 405, a refused
    status page): the body stays unread, so the connection closes instead of parsing it as a request."""
    srv = server(files=FILES, conf_lines=["StatusAllow 10.0.0.0/8"])
    for head, status in ((b"GET /healthz HTTP/1.1", 200), (b"GET /readyz HTTP/1.1", 200), (b"OPTIONS / HTTP/1.1", 200),
                         (b"POST /a.txt HTTP/1.1", 405), (b"GET /server-status HTTP/1.1", 403)):
        with srv.client() as c:
            c.send(head + b"\r\nHost: t\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n" % len(SMUGGLED) + SMUGGLED)
            r = c.read_response()
            assert r.status == status, head
            assert r.get("connection") == "close", head
            c.expect_closed()


def test_two_expect_fields_must_all_be_met(server):
    """Expect sent on two lines forms one list: an unknown member among them gets 417."""
    srv = server(files=FILES)
    with srv.client() as c:
        r = c.request(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nExpect: foo\r\nExpect: 100-continue\r\n"
                      b"Content-Length: 3\r\n\r\nabc")
        assert_error(r, 417)
