"""inetd "nowait" mode without a super-server (issue 5): httpd --inetd with a connected socket on fd 0.

The socket is one end of an AF_UNIX socketpair, or a real TCP connection accepted on 127.0.0.1 and
handed to the child, exactly as inetd does. Helpers live in httpdkit.py.
"""

from __future__ import annotations

import os
import socket
import time

from httpdkit import (
    Client,
    assert_common_head,
    assert_error,
    assert_file_response,
    exit_within,
    make_site,
    run_httpd,
    socketpair_child,
    spawn_inetd,
    tcp_child,
)

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


def test_socketpair_get_exact_response(tmp_path, procs):
    """GET over a socketpair on fd 0 gives the exact 200 head and body bytes."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site)
    with conn:
        assert_file_response(conn.get("/index.html"), site.root / "index.html", HTML)
        assert_file_response(conn.get("/blob.bin"), site.root / "blob.bin", "application/octet-stream")
    assert exit_within(proc, 3) == 0


def test_socketpair_head_same_headers_no_body(tmp_path, procs):
    """HEAD gives GET's headers (but Date) and no body; the next response follows at once."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site)
    with conn:
        get = conn.get("/a.txt")
        head = conn.get("/a.txt", method="HEAD")
        assert_file_response(head, site.root / "a.txt", TEXT, head=True)
        assert head.headers[1:] == get.headers[1:]
        # No body bytes after the HEAD head: the next thing on the wire is the next status line.
        assert_file_response(conn.get("/b.txt"), site.root / "b.txt", TEXT)
    assert exit_within(proc, 3) == 0


def test_socketpair_404_built_in_page(tmp_path, procs):
    """A missing file gives the exact built-in 404 page and the connection stays open."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site)
    with conn:
        assert_error(conn.get("/missing.html"), 404)
        assert_file_response(conn.get("/a.txt"), site.root / "a.txt", TEXT)
    assert exit_within(proc, 3) == 0


def test_socketpair_keepalive_one_process(tmp_path, procs):
    """Six requests on one connection are all answered by the same still-running process."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site)
    with conn:
        for name in ["a.txt", "b.txt", "c.txt", "a.txt", "index.html", "b.txt"]:
            ctype = HTML if name.endswith(".html") else TEXT
            assert_file_response(conn.get("/" + name), site.root / name, ctype)
            assert proc.poll() is None
    assert exit_within(proc, 3) == 0


def test_socketpair_pipelining_in_order(tmp_path, procs):
    """Five requests in one send are answered in order (a 404 in the middle keeps the order)."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site)
    names = ["a.txt", "nothing-here", "b.txt", "blob.bin", "c.txt"]
    with conn:
        conn.send(b"".join(f"GET /{n} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for n in names))
        for n in names:
            resp = conn.read_response()
            if n == "nothing-here":
                assert_error(resp, 404)
            else:
                ctype = "application/octet-stream" if n.endswith(".bin") else TEXT
                assert_file_response(resp, site.root / n, ctype)
        conn.expect_open(0.2)
    assert exit_within(proc, 3) == 0


def test_connection_close_closes_and_exits_0(tmp_path, procs):
    """`Connection: close`: the response says so, the socket closes, httpd exits 0 on its own."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site)
    with conn:
        resp = conn.get("/a.txt", "Connection: close\r\n")
        assert_common_head(resp, 200)
        assert resp["Connection"] == "close"
        assert resp.names[-1] == "Connection"
        assert resp.body == b"alpha\n"
        conn.expect_closed(3)
        assert exit_within(proc, 3) == 0


def test_client_close_exit_status_0(tmp_path, procs):
    """When the client closes an idle keep-alive connection, httpd exits 0 at once (well before KeepAliveTimeout)."""
    site = make_site(tmp_path, conf_lines=["KeepAliveTimeout 30"])
    conn, proc = socketpair_child(procs, site)
    assert_file_response(conn.get("/a.txt"), site.root / "a.txt", TEXT)
    conn.close()
    assert exit_within(proc, 3) == 0


def test_idle_exits_after_keepalive_timeout(tmp_path, procs):
    """Idle after a response, the connection closes and httpd exits 0 about KeepAliveTimeout (1 s) later."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site, args=["KeepAliveTimeout 1"])
    with conn:
        assert_file_response(conn.get("/a.txt"), site.root / "a.txt", TEXT)
        t0 = time.monotonic()
        conn.expect_closed(5)
        closed_after = time.monotonic() - t0
        assert exit_within(proc, 3) == 0
        exited_after = time.monotonic() - t0
    assert 0.8 <= closed_after <= 2.5, closed_after
    assert exited_after <= 3.0, exited_after


def test_no_pid_file_in_inetd_mode(tmp_path, procs):
    """A PidFile in the config is not created in inetd mode, neither while serving nor after."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site)
    with conn:
        assert_file_response(conn.get("/a.txt"), site.root / "a.txt", TEXT)
        assert not site.pid_file.exists()
    assert exit_within(proc, 3) == 0
    assert not site.pid_file.exists()
    assert set(os.listdir(site.dir / "logs")) <= {"access.log", "error.log"}


def test_access_log_unix_peer(tmp_path, procs):
    """Over a socketpair the access log's client field is `unix`, one combined line per request."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site)
    with conn:
        conn.get("/a.txt", "User-Agent: inetd-test/1\r\nReferer: http://r/\r\n")
        conn.get("/missing")
    assert exit_within(proc, 3) == 0
    lines = site.access_lines()
    assert [(m["client"], m["request"], m["status"], m["bytes"], m["referer"], m["agent"])
            for m in lines] == [
        ("unix", "GET /a.txt HTTP/1.1", "200", "6", "http://r/", "inetd-test/1"),
        ("unix", "GET /missing HTTP/1.1", "404", "107", "-", "-"),
    ]


def test_tcp_fd0_access_log_peer_and_status(tmp_path, procs):
    """A TCP connection on fd 0: the access log records 127.0.0.1 and the status page says mode inetd."""
    site = make_site(tmp_path)
    conn, proc = tcp_child(procs, site)
    with conn:
        assert_file_response(conn.get("/a.txt"), site.root / "a.txt", TEXT)
        status = conn.get("/server-status?format=json")
        assert status.status == 200, status.raw
        info = status.json()
        assert info["mode"] == "inetd"
        assert info["pid"] == proc.pid
        assert info["ppid"] == os.getpid()
    assert exit_within(proc, 3) == 0
    assert [(m["client"], m["request"], m["status"]) for m in site.access_lines()] == [
        ("127.0.0.1", "GET /a.txt HTTP/1.1", "200"),
        ("127.0.0.1", "GET /server-status?format=json HTTP/1.1", "200"),
    ]


def test_status_allow_all_admits_unix_peer(tmp_path, procs):
    """With `StatusAllow all`, the status page answers a socketpair (unix) client, mode inetd."""
    site = make_site(tmp_path, conf_lines=["StatusAllow all"])
    conn, proc = socketpair_child(procs, site)
    with conn:
        status = conn.get("/server-status?format=json")
        assert status.status == 200, status.raw
        assert status.json()["mode"] == "inetd"
        assert status.json()["pid"] == proc.pid
    assert exit_within(proc, 3) == 0


def test_short_option_i(tmp_path, procs):
    """`-i` is the same as `--inetd`."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site, flag="-i")
    with conn:
        assert_file_response(conn.get("/c.txt"), site.root / "c.txt", TEXT)
    assert exit_within(proc, 3) == 0


def test_large_file_over_socketpair(tmp_path, procs):
    """A 3 MiB file arrives intact through the fd-0 socket, then a second request on the same connection."""
    big = os.urandom(3 * 1024 * 1024)
    site = make_site(tmp_path, files={"big.bin": big, "a.txt": "alpha\n"})
    conn, proc = socketpair_child(procs, site)
    with conn:
        conn.timeout = 10
        resp = conn.get("/big.bin")
        assert_file_response(resp, site.root / "big.bin", "application/octet-stream")
        assert_file_response(conn.get("/a.txt"), site.root / "a.txt", TEXT)
    assert exit_within(proc, 3) == 0


def test_stderr_on_socket_gets_no_diagnostics(tmp_path, procs):
    """Socket on fds 0, 1 and 2 with `ErrorLog stderr` and LogLevel debug: the client gets only HTTP bytes."""
    site = make_site(tmp_path, conf_lines=["ErrorLog stderr", "LogLevel debug"])
    ours, theirs = socket.socketpair()
    proc = spawn_inetd(procs, site, theirs, stderr=theirs)
    theirs.close()
    with Client.on(ours) as conn:
        # a 200, a 404 and a 400 (which is logged at info level and closes the connection)
        conn.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
                  b"BAD\x01REQUEST\r\n\r\n")
        assert_file_response(conn.read_response(), site.root / "a.txt", TEXT)
        assert_error(conn.read_response(), 404)
        assert_error(conn.read_response(), 400, closes=True)
        conn.expect_closed(3)
    assert exit_within(proc, 3) == 0


def test_error_log_file_gets_diagnostics(tmp_path, procs):
    """Diagnostics go to the configured ErrorLog file; the stderr given to httpd stays empty."""
    site = make_site(tmp_path)
    err = site.dir / "stderr.out"
    with open(err, "wb") as f:
        conn, proc = socketpair_child(procs, site, stderr=f)
    with conn:
        conn.send(b"BAD\x01REQUEST\r\n\r\n")
        assert_error(conn.read_response(), 400, closes=True)
        conn.expect_closed(3)
    assert exit_within(proc, 3) == 0
    assert err.read_bytes() == b""
    log = site.error_log.read_text()
    assert "[client unix] 400" in log, log


def test_config_error_exit_1_nothing_on_socket(tmp_path, procs):
    """A config error in inetd mode: exit status 1, the socket closes with no byte written, stderr empty."""
    site = make_site(tmp_path, conf_lines=["NoSuchDirective on"])
    err = site.dir / "stderr.out"
    with open(err, "wb") as f:
        conn, proc = socketpair_child(procs, site, stderr=f)
    with conn:
        try:
            conn.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # httpd may have exited before the request is sent: it starts in about 2 ms
        assert exit_within(proc, 3) == 1
        assert conn.read_to_eof(3) == b""
    assert err.read_bytes() == b""
    assert not site.pid_file.exists()


def test_missing_document_root_exit_1_nothing_on_socket(tmp_path, procs):
    """A DocumentRoot that does not exist: exit status 1 and nothing written to the socket."""
    site = make_site(tmp_path)
    conn, proc = socketpair_child(procs, site, args=[f"DocumentRoot {tmp_path}/no/such/dir"])
    with conn:
        assert exit_within(proc, 3) == 1
        assert conn.read_to_eof(3) == b""


def test_stdin_devnull_is_refused(tmp_path):
    """fd 0 = /dev/null: one error line on stderr, nothing on stdout, exit status 1."""
    site = make_site(tmp_path)
    r = run_httpd("--inetd", "-f", site.conf, cwd=str(site.dir))
    assert r.returncode == 1
    assert r.stdout == b""
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("httpd: error: --inetd needs a socket on standard input"), lines


def test_stdin_terminal_is_refused(tmp_path):
    """fd 0 = a terminal (pty): the same error line and exit status 1."""
    site = make_site(tmp_path)
    master, slave = os.openpty()
    try:
        r = run_httpd("--inetd", "-f", site.conf, cwd=str(site.dir), stdin=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert r.returncode == 1
    assert r.stdout == b""
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("httpd: error: --inetd needs a socket on standard input"), lines
    assert not site.pid_file.exists()
