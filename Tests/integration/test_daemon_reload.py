"""Daemon reload (SIGHUP / -s reload, issue 3): new config for new requests, no dropped connection,
bad configs rejected while the old one keeps serving, Listen changes open and close listeners."""

from __future__ import annotations

import os
import re
import signal
import socket
import time

import pytest

from httpdkit import (
    children_of,
    HOST,
    Client,
    Load,
    connection_refused,
    fetch,
    free_port,
    run_httpd,
    wait_until,
)

RELOADED = r"configuration reloaded \(generation (\d+)\)"
FAILED = r"reload failed, keeping the running configuration:"


def reload(site):
    r = site.run("-s", "reload")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr


def test_reload_under_load_changes_root_without_a_failed_request(sites):
    """-s reload to a new DocumentRoot while keep-alive and new-connection requests run: every response is a complete 200, and new requests see the new root."""
    site = sites(extra=["MaxKeepAliveRequests 0"])
    site.file("../www2/a.txt", "second\n")
    pid = site.start()
    # An idle keep-alive connection opened before the reload must survive it.
    idle = Client(HOST, site.port)
    assert idle.get("/a.txt").body == b"hello\n"
    with Load(site.port, "/a.txt", threads=3) as load:
        assert wait_until(lambda: load.count >= 50, 5), "the load did not start"
        site.write_conf(["MaxKeepAliveRequests 0", "DocumentRoot www2"])
        reload(site)
        assert site.wait_error_log(RELOADED), site.error_text()
        # New requests see the new root (the keep-alive loop and the new connections alike).
        before = load.count
        assert wait_until(lambda: load.count >= before + 50, 5)
        assert load.last_body == b"second\n"
    assert load.errors == [], load.errors[:10]
    assert set(load.bodies) == {b"hello\n", b"second\n"}, load.bodies
    r = idle.get("/a.txt")
    assert (r.status, r.body) == (200, b"second\n")
    idle.close()
    assert fetch(site.port, "/a.txt").body == b"second\n"
    assert site.pid() == pid


def test_reload_changes_autoindex_and_error_document(sites):
    """A reload that turns Autoindex on and sets an ErrorDocument changes the answers."""
    site = sites(files={"dir/x.txt": "x", "404.html": "custom not found\n"})
    site.start()
    assert fetch(site.port, "/dir/").status == 404
    missing = fetch(site.port, "/missing")
    assert missing.status == 404 and b"custom" not in missing.body
    site.write_conf(["Autoindex on", "ErrorDocument 404 /404.html"])
    reload(site)
    assert site.wait_error_log(RELOADED), site.error_text()
    listing = fetch(site.port, "/dir/")
    assert listing.status == 200 and b"x.txt" in listing.body
    missing = fetch(site.port, "/missing")
    assert (missing.status, missing.body) == (404, b"custom not found\n")


def test_broken_config_on_reload_keeps_the_old_one(sites):
    """SIGHUP with a syntax error in the file logs FILE:LINE and the daemon keeps serving the old configuration."""
    site = sites()
    site.file("../www2/a.txt", "second\n")
    pid = site.start()
    lines = site.base_lines() + ["DocumentRoot www2", "NoSuchDirective 1"]
    site.write_conf(lines=lines)
    os.kill(pid, signal.SIGHUP)  # as systemd's ExecReload=kill -HUP does (-s reload checks the file first)
    m = site.wait_error_log(FAILED + r"\s*" + re.escape(f"{site.conf}:{len(lines)}:") + r" \S.*$")
    assert m, site.error_text()
    assert "configuration reloaded" not in site.error_text()
    r = fetch(site.port, "/a.txt")
    assert (r.status, r.body) == (200, b"hello\n")
    assert site.pid() == pid
    # Fixing the file and reloading again works.
    site.write_conf(["DocumentRoot www2"])
    reload(site)
    assert site.wait_error_log(RELOADED), site.error_text()
    assert fetch(site.port, "/a.txt").body == b"second\n"


def test_reload_with_missing_document_root_keeps_the_old_one(sites):
    """A reload whose DocumentRoot does not exist is refused and logged; the old root keeps serving."""
    site = sites()
    site.start()
    site.write_conf(["DocumentRoot gone"])
    reload(site)
    assert site.wait_error_log(FAILED + r"[\s\S]*DocumentRoot .*gone"), site.error_text()
    assert fetch(site.port, "/a.txt").body == b"hello\n"


def test_reload_adds_and_removes_a_listener(sites):
    """Adding a Listen on reload opens it; removing it closes it; the first port serves throughout."""
    site = sites()
    site.start()
    second = free_port()
    site.write_conf([f"Listen {HOST}:{second}"])
    reload(site)
    assert site.wait_error_log(re.escape(f"listening on http://{HOST}:{second}/")), site.error_text()
    assert site.wait_error_log(RELOADED), site.error_text()
    assert fetch(second, "/a.txt").status == 200
    assert fetch(site.port, "/a.txt").status == 200
    site.write_conf()
    reload(site)
    assert site.wait_error_log(RELOADED, count=2), site.error_text()
    assert connection_refused(second), "the removed listener still accepts"
    assert fetch(site.port, "/a.txt").status == 200


def test_reload_to_a_busy_port_keeps_the_old_configuration(sites):
    """A reload adding a Listen on a port in use fails and logs why; the daemon keeps serving."""
    site = sites()
    site.file("../www2/a.txt", "second\n")
    site.start()
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind((HOST, 0))
    holder.listen(1)
    busy = holder.getsockname()[1]
    try:
        site.write_conf([f"Listen {HOST}:{busy}", "DocumentRoot www2"])
        reload(site)
        assert site.wait_error_log(FAILED + r".*" + str(busy)), site.error_text()
        assert fetch(site.port, "/a.txt").body == b"hello\n"
    finally:
        holder.close()


def test_reload_with_a_relative_config_path(sites):
    """Started as `httpd -f httpd.conf` from the config's folder, SIGHUP still rereads that file (the daemon's cwd is /)."""
    site = sites()
    site.file("../www2/a.txt", "second\n")
    r = run_httpd("-f", "httpd.conf", cwd=str(site.dir), timeout=15, text=True)
    assert r.returncode == 0, r.stderr
    pid = site.pid()
    site.extra_pids.append(pid)  # its command line names "httpd.conf", not the absolute path
    site.write_conf(["DocumentRoot www2"])
    os.kill(pid, signal.SIGHUP)
    assert site.wait_error_log(RELOADED + "|" + FAILED), site.error_text()
    assert "reload failed" not in site.error_text(), site.error_text()
    assert fetch(site.port, "/a.txt").body == b"second\n"


def test_reload_switches_access_log_format(sites):
    """A reload from combined to common format applies to the next requests' log lines."""
    site = sites()
    site.start()
    fetch(site.port, "/a.txt", headers={"User-Agent": "ua1"})
    site.write_conf(["AccessLog logs/access.log common"])
    reload(site)
    assert site.wait_error_log(RELOADED), site.error_text()
    fetch(site.port, "/a.txt", headers={"User-Agent": "ua2"})
    lines = wait_until(lambda: (t := site.access_log.read_text()).count("\n") >= 2 and t.splitlines(), 3)
    assert lines and len(lines) == 2, lines
    assert lines[0].endswith('"GET /a.txt HTTP/1.1" 200 6 "-" "ua1"'), lines
    assert lines[1].endswith('"GET /a.txt HTTP/1.1" 200 6'), lines


def test_reload_does_not_cut_a_download_in_flight(sites):
    """A 200 MiB download running across a reload (new DocumentRoot) completes with every byte."""
    size = 200 * 1024 * 1024
    site = sites()
    with open(site.root / "big.bin", "wb") as f:
        f.truncate(size)
    site.file("../www2/a.txt", "second\n")
    site.start()
    with Client(HOST, site.port, rcvbuf=64 * 1024) as c:
        c.send("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        resp = c.read_head()
        assert resp.status == 200 and int(resp["Content-Length"]) == size
        site.write_conf(["DocumentRoot www2"])
        reload(site)
        assert site.wait_error_log(RELOADED), site.error_text()
        assert fetch(site.port, "/a.txt").body == b"second\n"
        assert c.discard(size, timeout=20) == size


def test_reload_moves_the_error_log(sites):
    """A reload naming another ErrorLog file sends the following messages there."""
    site = sites()
    site.start()
    site.write_conf(["ErrorLog logs/other-error.log"])
    reload(site)
    other = site.logs / "other-error.log"
    assert wait_until(lambda: other.exists() and "configuration reloaded" in other.read_text(), 3), \
        site.error_text()
    site.run("-s", "reopen")
    assert wait_until(lambda: "log files reopened" in other.read_text(), 3)
    assert "log files reopened" not in site.error_text()


def test_sighup_during_a_graceful_stop_opens_no_listener(sites):
    """SIGHUP while SIGTERM's drain runs does not bind listeners again: old and new ports refuse connections."""
    size = 200 * 1024 * 1024
    site = sites(extra=["ShutdownTimeout 10"])
    with open(site.root / "big.bin", "wb") as f:
        f.truncate(size)
    pid = site.start()
    with Client(HOST, site.port, rcvbuf=64 * 1024) as c:
        c.send("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        assert c.read_head().status == 200
        os.kill(pid, signal.SIGTERM)
        assert site.wait_error_log(r"\] stopping: "), site.error_text()
        second = free_port()
        site.write_conf(["ShutdownTimeout 10", f"Listen {HOST}:{second}"])
        os.kill(pid, signal.SIGHUP)
        time.sleep(0.5)
        assert connection_refused(site.port, timeout=1), "the stopping daemon listens again on its port"
        assert connection_refused(second, timeout=1), "the stopping daemon opened a new listener"
        assert c.discard(size, timeout=20) == size


def free_low_port() -> int:
    """A loopback port below 1024 that is free now (only root may bind it)."""
    for port in range(1023, 900, -1):
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
                return port
            except OSError:
                continue
    pytest.skip("no free port below 1024")


def test_reload_adds_a_privileged_port_after_the_privilege_drop(sites):
    """With `User nobody`, the worker cannot bind a port below 1024, but the master (root) binds it: a reload
    adding one serves on it (a Listen change is the master's to make), and the worker still runs as nobody."""
    import pwd
    try:
        nobody = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        pytest.skip("no user nobody")
    if os.geteuid() != 0:
        pytest.skip("needs root")
    site = sites(extra=["User nobody"])
    master = site.start()
    low = free_low_port()
    site.write_conf(["User nobody", f"Listen {HOST}:{low}"])
    reload(site)
    assert site.wait_error_log(rf"\[pid {master}\] configuration reloaded \(generation 2\): worker pid \d+ serves; "
                               r"\d+ finishes its connections$"), site.error_text()
    # /healthz needs no file (the test's folders are root's own, 0700).
    r = fetch(low, "/healthz")
    assert (r.status, r.body) == (200, b"ok\n")
    [worker] = [p for p in children_of(master)]
    assert os.stat(f"/proc/{worker}").st_uid == nobody
