"""Malformed requests: precise status codes, then close; limits on line, field size and count."""

import pytest

from httpdkit import assert_error, bad_request

FILES = {"a.txt": "hello\n"}


def req(head_lines: bytes) -> bytes:
    return b"GET /a.txt HTTP/1.1\r\nHost: t\r\n" + head_lines + b"\r\n"


@pytest.mark.parametrize("target", [b"/a.txt#x", b"/a.txt#", b"/a.txt?q#x", b"http://t/a.txt#x"])
def test_fragment_in_target_400(server, target):
    """A '#' in the request-target gets 400 and close: no form of request-target has a fragment (RFC 9112 §3.2)."""
    srv = server(files=FILES)
    bad_request(srv, b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")


def test_obs_fold_400(server):
    """A header line starting with a space (obs-fold) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"X-A: b\r\n c\r\n"))


def test_obs_fold_tab_400(server):
    """A header line starting with a tab (obs-fold) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"X-A: b\r\n\tc\r\n"))


def test_whitespace_before_colon_400(server):
    """'Host : x' (whitespace between name and colon) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, b"GET /a.txt HTTP/1.1\r\nHost : x\r\n\r\n")


def test_whitespace_before_colon_other_field_400(server):
    """Whitespace before the colon in any field gets 400."""
    srv = server(files=FILES)
    bad_request(srv, req(b"X-A\t: b\r\n"))


def test_bare_cr_in_header_value_400(server):
    """A bare CR inside a field value gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"X-A: b\rc\r\n"))


def test_bare_cr_line_end_400(server):
    """A field line ending in a bare CR (no LF) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"X-A: b\rX-B: c\r\n"))


def test_nul_in_header_value_400(server):
    """A NUL byte in a field value gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"X-A: b\x00c\r\n"))


@pytest.mark.parametrize("name", [b"X(A)", b"X A", b"X\x01A", b"X\xc3\xa9", b"", b"X/A", b"X\"A"])
def test_invalid_field_name_400(server, name):
    """A field name with characters outside tchar (or empty) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(name + b": v\r\n"))


def test_field_without_colon_400(server):
    """A field line without a colon gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"NoColonHere\r\n"))


@pytest.mark.parametrize("target", [b"/a\x01b", b"/a\x7fb", b"/a\x00b", b"/a\x1bb", b"/\x0c"])
def test_control_chars_in_target_400(server, target):
    """Control characters in the request target get 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n\r\n")


def test_control_char_in_value_400(server):
    """A control character (other than HTAB) in a field value gets 400."""
    srv = server(files=FILES)
    bad_request(srv, req(b"X-A: a\x01b\r\n"))


def test_tab_and_obs_text_in_value_ok(server):
    """HTAB and obs-text (bytes >= 0x80) are allowed inside a field value."""
    srv = server(files=FILES)
    resp = srv.request(req(b"X-A: a\tb\xe9c\r\n"))
    assert resp.status == 200
    assert resp.body == b"hello\n"


def test_target_too_long_414(server):
    """A request target longer than LimitRequestLine (8190) gets 414 and close."""
    srv = server(files=FILES)
    bad_request(srv, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414)


def test_target_too_long_414_without_line_end(server):
    """An over-long target is refused with 414 before the line is even complete."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /" + b"a" * 20000)
        resp = c.read_response()
        assert_error(resp, 414)
        c.expect_closed()


def test_target_under_limit_ok(server):
    """A long target (8000 bytes in short segments) within LimitRequestLine gets a normal 404."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.request(b"GET " + b"/aaaaaaa" * 1000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert_error(resp, 404)
        assert c.get("/a.txt").status == 200


def test_long_segment_under_limit_404(server):
    """A 1000-byte path segment (within LimitRequestLine) names no file: 404, not 414."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.request(b"GET /" + b"a" * 1000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert_error(resp, 404)


def test_limit_request_line_configurable(server):
    """LimitRequestLine is configurable: a 200-byte target over a limit of 100 gets 414."""
    srv = server(files=FILES, args=["LimitRequestLine 100"])
    bad_request(srv, b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414)
    resp = srv.request(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    assert resp.status == 200


def test_field_too_long_431(server):
    """A field line longer than LimitRequestFieldSize (8190) gets 431 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"X-Long: " + b"v" * 9000 + b"\r\n"), 431)


def test_field_under_limit_ok(server):
    """A field line of 8000 bytes is accepted."""
    srv = server(files=FILES)
    resp = srv.request(req(b"X-Long: " + b"v" * 8000 + b"\r\n"))
    assert resp.status == 200
    assert resp.body == b"hello\n"


def test_field_too_long_configurable(server):
    """LimitRequestFieldSize is configurable: 300 bytes over a limit of 200 gets 431."""
    srv = server(files=FILES, args=["LimitRequestFieldSize 200"])
    bad_request(srv, req(b"X-Long: " + b"v" * 300 + b"\r\n"), 431)


def test_too_many_fields_431(server):
    """More than LimitRequestFields (100) fields gets 431 and close."""
    srv = server(files=FILES)
    fields = b"".join(b"X-F%d: v\r\n" % i for i in range(100))  # + Host = 101
    bad_request(srv, req(fields), 431)


def test_exactly_limit_fields_ok(server):
    """Exactly LimitRequestFields (100) fields, Host included, are accepted."""
    srv = server(files=FILES)
    fields = b"".join(b"X-F%d: v\r\n" % i for i in range(99))  # + Host = 100
    resp = srv.request(req(fields))
    assert resp.status == 200


def test_too_many_fields_configurable(server):
    """LimitRequestFields 5: six fields get 431."""
    srv = server(files=FILES, args=["LimitRequestFields 5"])
    fields = b"".join(b"X-F%d: v\r\n" % i for i in range(5))  # + Host = 6
    bad_request(srv, req(fields), 431)


def test_content_length_and_transfer_encoding_400(server):
    """Both Content-Length and Transfer-Encoding gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + b"0\r\n\r\n")


def test_transfer_encoding_and_content_length_400(server):
    """Transfer-Encoding before Content-Length is refused too."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + b"0\r\n\r\n")


def test_two_different_content_lengths_400(server):
    """Two different Content-Length fields get 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Content-Length: 5\r\nContent-Length: 6\r\n") + b"abcdef")


@pytest.mark.parametrize("value", [b"5, 5", b"-1", b"abc", b"+5", b"5 5", b"0x5", b"5.0",
                                   b""])
def test_invalid_content_length_400(server, value):
    """An invalid Content-Length value gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Content-Length: " + value + b"\r\n") + b"abcde")


def test_transfer_encoding_not_chunked_400(server):
    """'Transfer-Encoding: gzip' (not ending in chunked) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Transfer-Encoding: gzip\r\n"))


def test_transfer_encoding_chunked_then_gzip_400(server):
    """'Transfer-Encoding: chunked, gzip' (chunked not last) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Transfer-Encoding: chunked, gzip\r\n"))


def test_transfer_encoding_gzip_chunked_501(server):
    """'Transfer-Encoding: gzip, chunked' gets 501."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(req(b"Transfer-Encoding: gzip, chunked\r\n") + b"0\r\n\r\n")
        resp = c.read_response()
    assert resp.status_line == "HTTP/1.1 501 Not Implemented"
    assert resp["Content-Type"] == "text/html; charset=utf-8"


def test_expect_unknown_417(server):
    """'Expect: something-else' gets 417 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Expect: something-else\r\n"), 417)


def test_invalid_chunk_size_400(server):
    """A chunked body with a non-hex chunk size gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Transfer-Encoding: chunked\r\n") + b"zz\r\nhello\r\n0\r\n\r\n")


def refused_and_closed(srv, raw, status):
    with srv.client() as c:
        c.send(raw)
        resp = c.read_response()
        assert_error(resp, status)
        c.expect_closed()


def test_content_length_overflow_refused(server):
    """A Content-Length too large to represent is an invalid Content-Length: 400 and close."""
    srv = server(files=FILES)
    refused_and_closed(srv, req(b"Content-Length: 99999999999999999999999999\r\n") + b"abc", 400)


def test_chunk_size_overflow_refused(server):
    """A chunk size too large to represent is a body over any limit: 413 and close."""
    srv = server(files=FILES)
    refused_and_closed(srv, req(b"Transfer-Encoding: chunked\r\n")
                       + b"ffffffffffffffffffffffff\r\nx\r\n0\r\n\r\n", 413)


def test_chunk_missing_crlf_400(server):
    """Chunk data not followed by CRLF gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, req(b"Transfer-Encoding: chunked\r\n") + b"5\r\nhelloXX0\r\n\r\n")


def test_bad_request_does_not_answer_pipelined_followers(server):
    """After a 400, the pipelined request that follows is not answered (connection closed)."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost : x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        assert_error(c.read_response(), 400)
        c.expect_closed()


def test_only_garbage_line_400(server):
    """A line of garbage gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
