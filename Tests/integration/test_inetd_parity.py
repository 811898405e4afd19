"""Same binary, same config, same bytes (issue 5): inetd mode answers exactly like stand-alone mode.

Each request is sent once to a stand-alone httpd (-F, Listen 127.0.0.1:0) and once to httpd --inetd
(socketpair on fd 0, and through a real xinetd); the complete byte streams up to the server's close
must be identical except for the Date header's value. Helpers live in httpdkit.py.
"""

from __future__ import annotations


import pytest

from httpdkit import (
    HOST,
    Client,
    Procs,
    Xinetd,
    exchange,
    exit_within,
    http_date,
    make_site,
    socketpair_child,
    spawn_standalone,
    without_date,
)

FILES = {
    "index.html": "<!DOCTYPE html>\n<p>parity</p>\n",
    "a.txt": "alpha\n",
    "b.txt": "bravo bravo\n",
    "blob.bin": bytes(range(256)) * 40,
    "style.css": "p { color: red }\n",
    "dir/index.html": "<p>dir</p>\n",
    ".hidden": "secret\n",
    "404.html": "<p>custom 404</p>\n",
}
CONF = ["ErrorDocument 404 /404.html", "KeepAliveTimeout 2"]


def h(lines: str) -> bytes:
    return lines.replace("\n", "\r\n").encode("latin-1")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """One site and one stand-alone httpd shared by the module's comparisons."""
    base = tmp_path_factory.mktemp("parity")
    site = make_site(base, files=FILES, conf_lines=CONF)
    standalone = spawn_standalone(site)
    yield site, standalone.port, standalone
    rc = standalone.stop(5)
    assert rc == 0, f"stand-alone httpd exited with {rc}"


def requests_for(site) -> dict[str, bytes]:
    mtime = http_date((site.root / "a.txt").stat().st_mtime)
    return {
        "get-text": h("GET /a.txt HTTP/1.1\nHost: t\n\n"),
        "get-binary": h("GET /blob.bin HTTP/1.1\nHost: t\n\n"),
        "get-index": h("GET / HTTP/1.1\nHost: t\n\n"),
        "head": h("HEAD /index.html HTTP/1.1\nHost: t\n\n"),
        "css": h("GET /style.css HTTP/1.1\nHost: t\nAccept-Encoding: gzip\n\n"),
        "not-found-error-document": h("GET /missing HTTP/1.1\nHost: t\n\n"),
        "dotfile": h("GET /.hidden HTTP/1.1\nHost: t\n\n"),
        "dir-redirect": h("GET /dir?x=1 HTTP/1.1\nHost: example.test\n\n"),
        "dir-index": h("GET /dir/ HTTP/1.1\nHost: t\n\n"),
        "range": h("GET /blob.bin HTTP/1.1\nHost: t\nRange: bytes=10-19\n\n"),
        "range-unsatisfiable": h("GET /a.txt HTTP/1.1\nHost: t\nRange: bytes=100-200\n\n"),
        "if-modified-since": h(f"GET /a.txt HTTP/1.1\nHost: t\nIf-Modified-Since: {mtime}\n\n"),
        "if-none-match-star": h("GET /a.txt HTTP/1.1\nHost: t\nIf-None-Match: *\n\n"),
        "http10": h("GET /a.txt HTTP/1.0\n\n"),
        "http10-keepalive": h("GET /a.txt HTTP/1.0\nConnection: keep-alive\n\nGET /b.txt HTTP/1.0\n\n"),
        "connection-close": h("GET /a.txt HTTP/1.1\nHost: t\nConnection: close\n\nGET /b.txt HTTP/1.1\nHost: t\n\n"),
        "post-with-body": h("POST /a.txt HTTP/1.1\nHost: t\nContent-Length: 5\n\nhello"),
        "unknown-method": h("BREW /a.txt HTTP/1.1\nHost: t\n\n"),
        "bad-request-line": b"GARBAGE\r\n\r\n",
        "missing-host": h("GET /a.txt HTTP/1.1\n\n"),
        "bad-version": h("GET /a.txt HTTP/3.7\nHost: t\n\n"),
        "traversal": h("GET /../../etc/passwd HTTP/1.1\nHost: t\n\n"),
        "bad-escape": h("GET /%zz HTTP/1.1\nHost: t\n\n"),
        "health": h("GET /healthz HTTP/1.1\nHost: t\n\n"),
        "pipelined": h("GET /a.txt HTTP/1.1\nHost: t\n\nHEAD /b.txt HTTP/1.1\nHost: t\n\n"
                       "GET /nope HTTP/1.1\nHost: t\n\nGET /blob.bin HTTP/1.1\nHost: t\nRange: bytes=-5\n\n"
                       "GET /index.html HTTP/1.1\nHost: t\n\n"),
    }


NAMES = [
    "get-text", "get-binary", "get-index", "head", "css", "not-found-error-document", "dotfile",
    "dir-redirect", "dir-index", "range", "range-unsatisfiable", "if-modified-since",
    "if-none-match-star", "http10", "http10-keepalive", "connection-close", "post-with-body",
    "unknown-method", "bad-request-line", "missing-host", "bad-version", "traversal", "bad-escape",
    "health", "pipelined",
]


@pytest.mark.parametrize("name", NAMES)
def test_socketpair_matches_standalone(env, name, tmp_path):
    """The request gives byte-identical responses (but Date) stand-alone and via --inetd on a socketpair."""
    site, port, _ = env
    reqs = requests_for(site)
    assert list(reqs) == NAMES
    raw = reqs[name]
    with Client(HOST, port) as c:
        expected = exchange(c, raw)
    assert expected.startswith(b"HTTP/1."), expected
    procs = Procs()
    try:
        conn, proc = socketpair_child(procs, site)
        with conn:
            got = exchange(conn, raw)
        assert exit_within(proc, 3) == 0
    finally:
        procs.cleanup()
    assert without_date(got) == without_date(expected)
    assert got.count(b"\r\nDate: ") == expected.count(b"\r\nDate: ") >= 1


def test_xinetd_matches_standalone(env, tmp_path):
    """Every request above, each on its own connection through xinetd, matches stand-alone byte for byte (but Date)."""
    site, port, _ = env
    reqs = requests_for(site)
    x = Xinetd(tmp_path / "xinetd", conf=site.conf)
    try:
        x.start()
        for name in NAMES:
            with Client(HOST, port) as c:
                expected = exchange(c, reqs[name])
            with x.connect() as c:
                got = exchange(c, reqs[name])
            assert without_date(got) == without_date(expected), name
        assert x.wait_no_children(5), x.children()
    finally:
        x.stop()
