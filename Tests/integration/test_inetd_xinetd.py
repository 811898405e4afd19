"""httpd behind a real super-server (issue 5): Debian's xinetd starts `httpd --inetd` per connection.

Each test runs its own xinetd (-dontfork, its own config file, a free port on 127.0.0.1) and stops it
by its PID; no httpd child may be left behind (the xinetd fixture is in conftest.py, helpers in httpdkit.py).
"""

from __future__ import annotations

import os
import pwd
import shlex
import socket

from httpdkit import (
    HOST,
    HTTPD_BIN,
    REPO,
    Xinetd,
    assert_common_head,
    assert_error,
    assert_file_response,
    free_port,
    make_site,
)

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

def test_xinetd_get_exact(tmp_path, xinetd):
    """GET through xinetd: the exact 200 head fields and body bytes, text and binary."""
    site = make_site(tmp_path)
    x = xinetd(site)
    with x.connect() as c:
        assert_file_response(c.get("/index.html"), site.root / "index.html", HTML)
        assert_file_response(c.get("/blob.bin"), site.root / "blob.bin", "application/octet-stream")
    with x.connect() as c:
        assert_file_response(c.get("/dir/"), site.root / "dir" / "index.html", HTML)


def test_xinetd_head(tmp_path, xinetd):
    """HEAD through xinetd: GET's header fields (but Date), no body, next response follows."""
    site = make_site(tmp_path)
    x = xinetd(site)
    with x.connect() as c:
        get = c.get("/blob.bin")
        head = c.get("/blob.bin", method="HEAD")
        assert_file_response(head, site.root / "blob.bin", "application/octet-stream", head=True)
        assert head.headers[1:] == get.headers[1:]
        assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)


def test_xinetd_404_built_in(tmp_path, xinetd):
    """A missing file through xinetd: the exact built-in 404 page, connection kept open."""
    site = make_site(tmp_path)
    x = xinetd(site)
    with x.connect() as c:
        assert_error(c.get("/no/such/file.html"), 404)
        c.expect_open(0.2)
        assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)


def test_xinetd_404_error_document(tmp_path, xinetd):
    """With `ErrorDocument 404 /404.html`, the 404 through xinetd carries that file's bytes."""
    page = b"<!DOCTYPE html><p>not here (inetd)</p>\n"
    site = make_site(tmp_path, conf_lines=["ErrorDocument 404 /404.html"],
                     files={"404.html": page, "a.txt": "alpha\n"})
    x = xinetd(site)
    with x.connect() as c:
        resp = c.get("/missing")
        assert_common_head(resp, 404)
        assert resp.names == ["Date", "Server", "Content-Type", "Content-Length"], resp.headers
        assert resp["Content-Type"] == HTML
        assert resp["Content-Length"] == str(len(page))
        assert resp.body == page
        assert c.get("/a.txt").body == b"alpha\n"


def test_xinetd_keepalive_one_process_per_connection(tmp_path, xinetd):
    """Several requests on one connection are served by one httpd process, a child of xinetd."""
    site = make_site(tmp_path)
    x = xinetd(site)
    with x.connect() as c:
        first = c.get("/server-status?format=json")
        assert first.status == 200, first.raw
        for name in ["a.txt", "b.txt", "c.txt", "a.txt"]:
            assert_file_response(c.get("/" + name), site.root / name, TEXT)
        last = c.get("/server-status?format=json")
        assert last.status == 200, last.raw
        assert first.json()["pid"] == last.json()["pid"]
        assert x.children() == [first.json()["pid"]]
        assert last.json()["requests"]["total"] >= 5


def test_xinetd_pipelining(tmp_path, xinetd):
    """Requests sent in one write through xinetd come back complete and in order."""
    site = make_site(tmp_path)
    x = xinetd(site)
    names = ["c.txt", "a.txt", "missing.txt", "blob.bin", "b.txt", "index.html"]
    raw = b"".join(f"GET /{n} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for n in names)
    raw += b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
    with x.connect() as c:
        c.send(raw)
        for n in names:
            resp = c.read_response()
            if n == "missing.txt":
                assert_error(resp, 404)
            else:
                ctype = {"bin": "application/octet-stream", "html": HTML}.get(n.rsplit(".", 1)[1], TEXT)
                assert_file_response(resp, site.root / n, ctype)
        assert_file_response(c.read_response("HEAD"), site.root / "a.txt", TEXT, head=True)
        c.expect_open(0.2)


def test_xinetd_connection_close(tmp_path, xinetd):
    """`Connection: close` through xinetd: the response says close, the socket closes, the child exits."""
    site = make_site(tmp_path)
    x = xinetd(site)
    with x.connect() as c:
        assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)
        resp = c.get("/b.txt", "Connection: close\r\n")
        assert_common_head(resp, 200)
        assert resp["Connection"] == "close"
        assert resp.body == b"bravo bravo\n"
        c.expect_closed(3)
    assert x.wait_no_children(3), x.children()


def test_xinetd_access_log_records_peer(tmp_path, xinetd):
    """Every request through xinetd gets one combined access-log line with the peer 127.0.0.1."""
    site = make_site(tmp_path)
    x = xinetd(site)
    with x.connect() as c:
        c.get("/a.txt", "User-Agent: via-xinetd\r\n")
        c.get("/missing")
    with x.connect() as c:
        c.get("/b.txt", "Connection: close\r\n")
        c.expect_closed(3)
    assert x.wait_no_children(5), x.children()
    got = [(m["client"], m["request"], m["status"], m["bytes"], m["agent"]) for m in site.access_lines()]
    assert got == [
        ("127.0.0.1", "GET /a.txt HTTP/1.1", "200", "6", "via-xinetd"),
        ("127.0.0.1", "GET /missing HTTP/1.1", "404", "107", "-"),
        ("127.0.0.1", "GET /b.txt HTTP/1.1", "200", "12", "-"),
    ]


def test_xinetd_new_process_per_connection(tmp_path, xinetd):
    """Each connection gets a new httpd process (the status pid differs), mode inetd, parent xinetd."""
    site = make_site(tmp_path)
    x = xinetd(site)
    pids = []
    for _ in range(3):
        with x.connect() as c:
            resp = c.get("/server-status?format=json", "Connection: close\r\n")
            assert resp.status == 200, resp.raw
            info = resp.json()
            assert info["mode"] == "inetd"
            assert info["ppid"] == x.proc.pid
            assert info["connections"]["accepted"] == 1
            pids.append(info["pid"])
            c.expect_closed(3)
    assert len(set(pids)) == 3, pids
    assert x.proc.pid not in pids
    assert x.wait_no_children(5), x.children()


def test_xinetd_two_concurrent_connections(tmp_path, xinetd):
    """Two connections open at once are served by two live httpd processes, interleaved."""
    site = make_site(tmp_path)
    x = xinetd(site)
    with x.connect() as c1, x.connect() as c2:
        s1 = c1.get("/server-status?format=json").json()
        s2 = c2.get("/server-status?format=json").json()
        assert s1["pid"] != s2["pid"]
        assert sorted(x.children()) == sorted([s1["pid"], s2["pid"]])
        assert_file_response(c2.get("/a.txt"), site.root / "a.txt", TEXT)
        assert_file_response(c1.get("/b.txt"), site.root / "b.txt", TEXT)
    assert x.wait_no_children(5), x.children()


def test_xinetd_no_pid_file_and_listen_not_bound(tmp_path, xinetd):
    """Under xinetd httpd creates no PID file and never binds the config's Listen port."""
    site = make_site(tmp_path)
    listen_port = site.port  # the config's Listen port
    x = xinetd(site)
    with x.connect() as c:
        assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)
        probe = socket.socket()
        try:
            probe.bind((HOST, listen_port))  # free: nobody bound it
        finally:
            probe.close()
        assert not site.pid_file.exists()
    assert x.wait_no_children(5), x.children()
    assert not site.pid_file.exists()


def test_shipped_xinetd_service_file_works(tmp_path, xinetd):
    """etc/xinetd.d-httpd, with only its paths, user and port substituted, is accepted by xinetd and serves."""
    text = (REPO / "etc" / "xinetd.d-httpd").read_text()
    site = make_site(tmp_path)
    port = free_port()
    user = pwd.getpwuid(os.geteuid()).pw_name
    substitutions = [
        ("= www-data", f"= {user}"),
        ("= /usr/local/bin/httpd", f"= {HTTPD_BIN}"),
        ("-f /srv/httpd/httpd.conf", f"-f {site.conf}"),
        ("= 8081", f"= {port}"),
    ]
    for old, new in substitutions:
        assert text.count(old) == 1, f"{old!r} expected once in etc/xinetd.d-httpd"
        text = text.replace(old, new)
    x = Xinetd(tmp_path / "shipped", config_text=text, port=port)
    try:
        x.start()
        with x.connect() as c:
            assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)
            info = c.get("/server-status?format=json", "Connection: close\r\n").json()
            assert info["mode"] == "inetd"
            assert info["ppid"] == x.proc.pid
            c.expect_closed(3)
        assert x.wait_no_children(5), x.children()
    finally:
        x.stop()


def test_shipped_inetd_conf_line():
    """etc/inetd.conf-httpd has one inetd.conf line: stream tcp nowait, argv `httpd --inetd -f CONF`."""
    lines = [line for line in (REPO / "etc" / "inetd.conf-httpd").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert len(lines) == 1, lines
    fields = shlex.split(lines[0])
    assert fields[1:3] == ["stream", "tcp"], fields
    assert fields[3].split(".")[0] == "nowait", fields
    assert os.path.isabs(fields[5]), fields
    assert fields[6] == os.path.basename(fields[5]) == "httpd", fields
    assert fields[7:9] == ["--inetd", "-f"] and os.path.isabs(fields[9]), fields
    assert len(fields) == 10, fields
