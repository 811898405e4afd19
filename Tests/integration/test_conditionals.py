"""Conditional requests (RFC 9110 §13): If-None-Match, If-Modified-Since, If-Match,
If-Unmodified-Since and their precedence."""

import os

import pytest

from httpdkit import assert_common_head, assert_error, http_date

BODY = b"conditional body\n"
MTIME = 1700000000


def make(server, **kw):
    def setup(root):
        (root / "f.txt").write_bytes(BODY)
        os.utime(root / "f.txt", (MTIME, MTIME))
    srv = server(setup=setup, **kw)
    etag = srv.get("/f.txt")["ETag"]
    return srv, etag


def assert_304(resp, etag):
    assert_common_head(resp, 304)
    assert resp["ETag"] == etag
    assert resp["Last-Modified"] == http_date(MTIME)
    assert not resp.has("Content-Type")
    assert not resp.has("Content-Length")
    assert not resp.has("Connection")


def cond(srv, headers, method="GET"):
    """Send a conditional request and a plain GET on one connection: proves a 304 has no body."""
    with srv.client() as c:
        c.send(f"{method} /f.txt HTTP/1.1\r\nHost: t\r\n{headers}\r\n"
               f"GET /f.txt HTTP/1.1\r\nHost: t\r\n\r\n".encode())
        resp = c.read_response(method)
        follow = c.read_response()
        assert follow.status == 200 and follow.body == BODY
    return resp


def test_if_none_match_exact(server):
    """If-None-Match with the current ETag → 304 (Last-Modified, ETag; no type, length, body)."""
    srv, etag = make(server)
    assert_304(cond(srv, f"If-None-Match: {etag}\r\n"), etag)


def test_if_none_match_list(server):
    """If-None-Match with a list containing the ETag → 304."""
    srv, etag = make(server)
    assert_304(cond(srv, f'If-None-Match: "nope", {etag} , "other"\r\n'), etag)


def test_if_none_match_weak(server):
    """If-None-Match uses weak comparison: W/"etag" matches → 304."""
    srv, etag = make(server)
    assert_304(cond(srv, f"If-None-Match: W/{etag}\r\n"), etag)


def test_if_none_match_star(server):
    """If-None-Match: * on an existing file → 304."""
    srv, etag = make(server)
    assert_304(cond(srv, "If-None-Match: *\r\n"), etag)


def test_if_none_match_two_fields(server):
    """If-None-Match split over two field lines is combined: a match in the second → 304."""
    srv, etag = make(server)
    assert_304(cond(srv, f'If-None-Match: "a"\r\nIf-None-Match: {etag}\r\n'), etag)


def test_if_none_match_nonmatching(server):
    """A non-matching If-None-Match → 200 with the full body."""
    srv, etag = make(server)
    resp = cond(srv, 'If-None-Match: "something-else"\r\n')
    assert resp.status == 200
    assert resp.body == BODY


def test_if_none_match_unquoted_does_not_match(server):
    """An unquoted entity-tag is not the ETag: 200."""
    srv, etag = make(server)
    resp = cond(srv, f"If-None-Match: {etag.strip(chr(34))}\r\n")
    assert resp.status == 200


def test_if_none_match_head(server):
    """HEAD with a matching If-None-Match → 304."""
    srv, etag = make(server)
    assert_304(cond(srv, f"If-None-Match: {etag}\r\n", "HEAD"), etag)


def test_304_with_cache_control(server):
    """A 304 carries the Cache-Control a 200 would carry."""
    srv, etag = make(server, args=['CacheControl "public, max-age=60"'])
    resp = cond(srv, f"If-None-Match: {etag}\r\n")
    assert resp.status == 304
    assert resp["Cache-Control"] == "public, max-age=60"


def test_if_modified_since_equal(server):
    """If-Modified-Since equal to Last-Modified → 304."""
    srv, etag = make(server)
    assert_304(cond(srv, f"If-Modified-Since: {http_date(MTIME)}\r\n"), etag)


def test_if_modified_since_later(server):
    """If-Modified-Since later than Last-Modified (but in the past) → 304."""
    srv, etag = make(server)
    assert_304(cond(srv, f"If-Modified-Since: {http_date(MTIME + 3600)}\r\n"), etag)


def test_if_modified_since_older(server):
    """If-Modified-Since older than the file → 200."""
    srv, etag = make(server)
    resp = cond(srv, f"If-Modified-Since: {http_date(MTIME - 1)}\r\n")
    assert resp.status == 200
    assert resp.body == BODY


@pytest.mark.parametrize("date", ["Tuesday, 14-Nov-23 22:13:20 GMT", "Tue Nov 14 22:13:20 2023"])
def test_if_modified_since_obsolete_formats(server, date):
    """If-Modified-Since in RFC 850 or asctime format is understood (RFC 9110 §5.6.7) → 304."""
    srv, etag = make(server)
    assert_304(cond(srv, f"If-Modified-Since: {date}\r\n"), etag)


def test_if_modified_since_invalid_ignored(server):
    """An invalid If-Modified-Since date is ignored → 200."""
    srv, etag = make(server)
    resp = cond(srv, "If-Modified-Since: not a date\r\n")
    assert resp.status == 200


def test_if_modified_since_ignored_with_if_none_match(server):
    """If-Modified-Since is ignored when If-None-Match is present (non-matching INM → 200)."""
    srv, etag = make(server)
    resp = cond(srv, f'If-None-Match: "other"\r\nIf-Modified-Since: {http_date(MTIME)}\r\n')
    assert resp.status == 200
    assert resp.body == BODY


def test_if_match_nonmatching_412(server):
    """If-Match that does not match → 412, connection kept."""
    srv, etag = make(server)
    with srv.client() as c:
        resp = c.get("/f.txt", 'If-Match: "nope"\r\n')
        assert_error(resp, 412)
        assert c.get("/f.txt").body == BODY


def test_if_match_matching(server):
    """If-Match with the current ETag (or within a list) → 200."""
    srv, etag = make(server)
    assert cond(srv, f"If-Match: {etag}\r\n").status == 200
    assert cond(srv, f'If-Match: "x", {etag}\r\n').status == 200


def test_if_match_star(server):
    """If-Match: * on an existing file → 200."""
    srv, etag = make(server)
    resp = cond(srv, "If-Match: *\r\n")
    assert resp.status == 200
    assert resp.body == BODY


def test_if_match_weak_is_strong_comparison(server):
    """If-Match uses strong comparison: W/"etag" does not match → 412."""
    srv, etag = make(server)
    assert_error(srv.get("/f.txt", f"If-Match: W/{etag}\r\n"), 412)


def test_if_unmodified_since_older_412(server):
    """If-Unmodified-Since older than the file → 412."""
    srv, etag = make(server)
    assert_error(srv.get("/f.txt", f"If-Unmodified-Since: {http_date(MTIME - 60)}\r\n"), 412)


def test_if_unmodified_since_equal_200(server):
    """If-Unmodified-Since equal to Last-Modified → 200."""
    srv, etag = make(server)
    assert cond(srv, f"If-Unmodified-Since: {http_date(MTIME)}\r\n").status == 200


def test_if_unmodified_since_ignored_with_if_match(server):
    """If-Unmodified-Since is ignored when If-Match is present (matching If-Match → 200)."""
    srv, etag = make(server)
    resp = cond(srv, f"If-Match: {etag}\r\nIf-Unmodified-Since: {http_date(MTIME - 60)}\r\n")
    assert resp.status == 200


def test_if_match_evaluated_before_if_none_match(server):
    """A failing If-Match wins over a matching If-None-Match: 412, not 304."""
    srv, etag = make(server)
    assert_error(srv.get("/f.txt", f'If-Match: "nope"\r\nIf-None-Match: {etag}\r\n'), 412)


def test_if_none_match_before_range(server):
    """A matching If-None-Match with a Range → 304 (conditionals before ranges)."""
    srv, etag = make(server)
    assert_304(cond(srv, f"If-None-Match: {etag}\r\nRange: bytes=0-3\r\n"), etag)


def test_if_match_failing_with_range_412(server):
    """A failing If-Match with a Range → 412."""
    srv, etag = make(server)
    assert_error(srv.get("/f.txt", 'If-Match: "nope"\r\nRange: bytes=0-3\r\n'), 412)


def test_if_none_match_missing_file_404(server):
    """If-None-Match: * on a missing file → 404 (no 304)."""
    srv, etag = make(server)
    assert_error(srv.get("/missing.txt", "If-None-Match: *\r\n"), 404)


def test_old_etag_after_change_200(server):
    """After the file changes, the old ETag no longer matches → 200 with the new body."""
    srv, etag = make(server, args=["FileCacheValidity 0"])
    p = srv.root / "f.txt"
    p.write_bytes(b"new body\n")
    os.utime(p, (MTIME + 100, MTIME + 100))
    resp = srv.get("/f.txt", f"If-None-Match: {etag}\r\n")
    assert resp.status == 200
    assert resp.body == b"new body\n"
