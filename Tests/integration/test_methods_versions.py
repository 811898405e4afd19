"""Methods, HTTP versions, Host handling and connection persistence per version."""

import pytest

from httpdkit import (IMF_FIXDATE, SERVER, assert_common_head, assert_error, bad_request,
                      error_body)

FILES = {"index.html": "<h1>home</h1>\n", "a.txt": "hello\n"}
ALLOW = "GET, HEAD, OPTIONS"


def test_get_full_head_exact(server):
    """GET of a file: exact status line, field order and values, exact body."""
    srv = server(files=FILES)
    resp = srv.get("/a.txt")
    assert_common_head(resp, 200)
    assert resp.names == ["Date", "Server", "Content-Type", "Last-Modified", "ETag",
                          "Accept-Ranges", "Content-Length"]
    assert resp["Content-Type"] == "text/plain; charset=utf-8"
    assert IMF_FIXDATE.match(resp["Last-Modified"])
    assert resp["Accept-Ranges"] == "bytes"
    assert resp["Content-Length"] == "6"
    assert resp.body == b"hello\n"


def test_head_same_headers_as_get_no_body(server):
    """HEAD carries exactly GET's fields and no body (the next response follows directly)."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        head = c.read_response("HEAD")
        get = c.read_response("GET")
        c.expect_open(0.2)
    assert head.status_line == "HTTP/1.1 200 OK"
    assert head.headers[1:] == get.headers[1:]
    assert get.body == b"hello\n"


def test_head_of_missing_file(server):
    """HEAD of a missing file: the 404 fields with Content-Length of the page, but no body."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        resp = c.read_response("HEAD")
        assert_error(resp, 404, head=True)
        assert c.read_response().body == b"hello\n"


@pytest.mark.parametrize("target", ["/a.txt", "*", "/"])
def test_options(server, target):
    """OPTIONS (also 'OPTIONS *') answers 200 with Allow and Content-Length: 0, no body."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.request(f"OPTIONS {target} HTTP/1.1\r\nHost: t\r\n\r\n")
        assert_common_head(resp, 200)
        assert resp.names[2:] == ["Allow", "Content-Length"]
        assert resp["Allow"] == ALLOW
        assert resp["Content-Length"] == "0"
        # Still usable afterwards: no stray body bytes.
        assert c.get("/a.txt").body == b"hello\n"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
def test_known_methods_405(server, method):
    """Other known methods get 405 with Allow and keep the connection open."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.request(f"{method} /a.txt HTTP/1.1\r\nHost: t\r\n\r\n", "GET")
        assert_error(resp, 405, fields=("Allow",))
        assert resp["Allow"] == ALLOW
        assert c.get("/a.txt").status == 200


def test_connect_405(server):
    """CONNECT (authority-form) gets 405 with Allow."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.request(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                         "GET")
        assert resp.status_line == "HTTP/1.1 405 Method Not Allowed"
        assert resp["Allow"] == ALLOW


def test_post_with_body_405_and_body_skipped(server):
    """POST with a small body: 405, then the body is skipped and the next request answered."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"POST /a.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nabcd"
               b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        resp = c.read_response()
        assert_error(resp, 405, fields=("Allow",))
        assert c.read_response().body == b"hello\n"


@pytest.mark.parametrize("method", ["FOO", "get", "BREW", "PROPFIND"])
def test_unknown_method_501(server, method):
    """An unknown method (methods are case-sensitive) gets 501 and the connection stays open."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.request(f"{method} /a.txt HTTP/1.1\r\nHost: t\r\n\r\n", "GET")
        assert_error(resp, 501)
        assert c.get("/a.txt").status == 200


def test_http11_keepalive_default(server):
    """HTTP/1.1 keeps the connection open by default (no Connection field)."""
    srv = server(files=FILES)
    with srv.client() as c:
        for _ in range(3):
            resp = c.get("/a.txt")
            assert resp.status == 200
            assert not resp.has("Connection")
            assert not resp.has("Keep-Alive")
        c.expect_open(0.2)


def test_http11_connection_close(server):
    """'Connection: close' is honoured: the response says so and the server closes."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.get("/a.txt", "Connection: close\r\n")
        assert resp.names[-2:] == ["Content-Length", "Connection"]
        assert resp["Connection"] == "close"
        assert resp.body == b"hello\n"
        c.expect_closed()


def test_connection_close_token_list(server):
    """'Connection: foo, Close' (case-insensitive token in a list) closes too."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.get("/a.txt", "Connection: foo, Close\r\n")
        assert resp["Connection"] == "close"
        c.expect_closed()


def test_http10_closes_by_default(server):
    """HTTP/1.0 without keep-alive: 'Connection: close', then the server closes."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.request(b"GET /a.txt HTTP/1.0\r\n\r\n")
        assert resp.status_line == "HTTP/1.1 200 OK"
        assert resp.names[-1] == "Connection"
        assert resp["Connection"] == "close"
        assert resp.body == b"hello\n"
        c.expect_closed()


def test_http10_keepalive(server):
    """HTTP/1.0 with 'Connection: keep-alive': 'Connection: keep-alive' + 'Keep-Alive: timeout=5'."""
    srv = server(files=FILES)
    with srv.client() as c:
        for _ in range(2):
            resp = c.request(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            assert resp.status == 200
            assert resp.names[-3:] == ["Content-Length", "Connection", "Keep-Alive"]
            assert resp["Connection"] == "keep-alive"
            assert resp["Keep-Alive"] == "timeout=5"
            assert resp.body == b"hello\n"
        c.expect_open(0.2)


def test_http10_keepalive_reports_configured_timeout(server):
    """The Keep-Alive field reports the configured KeepAliveTimeout."""
    srv = server(files=FILES, args=["KeepAliveTimeout 3"])
    resp = srv.request(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert resp["Keep-Alive"] == "timeout=3"


def test_http10_without_host_ok(server):
    """HTTP/1.0 does not need a Host field."""
    srv = server(files=FILES)
    resp = srv.request(b"GET / HTTP/1.0\r\n\r\n")
    assert resp.status == 200
    assert resp.body == b"<h1>home</h1>\n"


def test_keepalive_off(server):
    """KeepAlive off: every response carries 'Connection: close' and the server closes."""
    srv = server(files=FILES, args=["KeepAlive off"])
    with srv.client() as c:
        resp = c.get("/a.txt")
        assert resp["Connection"] == "close"
        c.expect_closed()


@pytest.mark.parametrize("version", ["HTTP/2.0", "HTTP/3.0", "HTTP/0.9"])
def test_unsupported_version_505(server, version):
    """HTTP/2.0, HTTP/3.0 and HTTP/0.9 get 505 and the connection closes."""
    srv = server(files=FILES)
    bad_request(srv, f"GET /a.txt {version}\r\nHost: t\r\n\r\n", 505)


@pytest.mark.parametrize("line", [
    "GET /a.txt HTTP/1", "GET /a.txt http/1.1", "GET /a.txt HTTP/1.1x", "GET /a.txt",
    "GET /a.txt HTTP/11", "GET /a.txt HTTP/a.b", "GET /a.txt HTTP/1.1/",
])
def test_malformed_request_line_400(server, line):
    """A malformed request line (bad or missing version, wrong spacing) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, f"{line}\r\nHost: t\r\n\r\n", 400)


def test_bare_lf_line_endings_accepted(server):
    """Lines ending in a bare LF are parsed (RFC 9112 §2.2 lets a recipient accept them)."""
    srv = server(files=FILES)
    resp = srv.request(b"GET /a.txt HTTP/1.1\nHost: t\n\n")
    assert (resp.status, resp.body) == (200, b"hello\n")


def test_leading_empty_lines_ignored(server):
    """An empty line before a request line is ignored (RFC 9112 §2.2)."""
    srv = server(files=FILES)
    resp = srv.request(b"\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
    assert resp.status == 200
    assert resp.body == b"hello\n"


def test_missing_host_400(server):
    """HTTP/1.1 without Host: 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, b"GET /a.txt HTTP/1.1\r\n\r\n")


def test_two_host_fields_400(server):
    """Two Host fields: 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, b"GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")


def test_two_identical_host_fields_400(server):
    """Two identical Host fields: still 400."""
    srv = server(files=FILES)
    bad_request(srv, b"GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")


@pytest.mark.parametrize("host", ["a b", "exa mple", "[::1", "a/b", "a@b", "x:y:z", "a:port"])
def test_invalid_host_400(server, host):
    """An invalid Host value gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, f"GET /a.txt HTTP/1.1\r\nHost: {host}\r\n\r\n")


@pytest.mark.parametrize("host", ["example.com", "example.com:8080", "[::1]", "[::1]:80",
                                  "127.0.0.1:1", "EXAMPLE.com."])
def test_valid_host_forms(server, host):
    """Valid Host forms (name, name:port, IPv6 literal, IPv4) are accepted."""
    srv = server(files=FILES)
    resp = srv.request(f"GET /a.txt HTTP/1.1\r\nHost: {host}\r\n\r\n")
    assert resp.status == 200
    assert resp.body == b"hello\n"


def test_empty_host_accepted(server):
    """An empty Host value is allowed (RFC 9112 §3.2 for authority without a host)."""
    srv = server(files=FILES)
    resp = srv.request(b"GET /a.txt HTTP/1.1\r\nHost:\r\n\r\n")
    assert resp.status == 200


def test_absolute_form_target(server):
    """An absolute-form target 'GET http://example.com/a.txt HTTP/1.1' is served."""
    srv = server(files=FILES)
    resp = srv.request(b"GET http://example.com/a.txt HTTP/1.1\r\nHost: example.com\r\n\r\n")
    assert resp.status == 200
    assert resp.body == b"hello\n"


def test_absolute_form_index(server):
    """'GET http://example.com/index.html HTTP/1.1' serves the index page."""
    srv = server(files=FILES)
    resp = srv.request(b"GET http://example.com/index.html HTTP/1.1\r\nHost: x\r\n\r\n")
    assert resp.status == 200
    assert resp.body == b"<h1>home</h1>\n"


def test_header_names_case_insensitive(server):
    """Field names are case-insensitive ('hOST', 'connection: CLOSE')."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.request(b"GET /a.txt HTTP/1.1\r\nhOST: t\r\nconnection: CLOSE\r\n\r\n")
        assert resp.status == 200
        assert resp["Connection"] == "close"
        c.expect_closed()


def test_date_and_server_on_errors(server):
    """Error responses also start with Date and Server."""
    srv = server(files=FILES)
    resp = srv.get("/missing")
    assert_error(resp, 404)
    assert resp.body == error_body(404)
    assert resp.headers[1] == ("Server", SERVER)
