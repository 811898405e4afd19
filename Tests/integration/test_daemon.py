"""Daemon life cycle (issue 3): detaching, PID file, start-up errors, signals, -s control, graceful stop.

Real processes and real signals: each test starts the binary as a daemon (no -F) from a config in
tmp_path and stops it by PID at teardown (the `sites` fixture is in conftest.py, helpers in httpdkit.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest

from httpdkit import (
    HOST,
    HTTPD_BIN,
    Client,
    Sites,
    connection_refused,
    daemon_processes,
    exit_status,
    is_gone,
    proc_stat,
    proc_status,
    processes_with_arg,
    wait_gone,
    wait_until,
)

BIG = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """One daemon started for the read-only checks of its process state: (site, pid)."""
    factory = Sites(tmp_path_factory.mktemp("daemon"))
    site = factory("main")
    pid = site.start()
    yield site, pid
    factory.cleanup()


def assert_stopped_cleanly(site, pid, timeout=5.0):
    """The daemon exits (status 0 when observable), removes its PID file and logs `stopped`."""
    assert wait_gone(pid, timeout), f"httpd {pid} still running {timeout}s after the stop"
    status = exit_status(pid)
    assert status in (0, None), f"httpd exited with status {status}"
    assert wait_until(lambda: not site.pid_file.exists(), 1.0), "PID file left after a clean stop"
    assert site.wait_error_log(r"\] stopped$", 2.0), site.error_text()


# --------------------------------------------------------------------------------------------
# Detaching
# --------------------------------------------------------------------------------------------


def test_starter_exits_zero_only_once_the_daemon_answers(sites):
    """The starting process exits 0, silently, and only when the daemon already serves requests."""
    site = sites()
    for _ in range(3):
        r = site.run()
        assert r.returncode == 0, r.stderr
        assert (r.stdout, r.stderr) == ("", "")
        reply = site.fetch("/a.txt")  # no retry: it must answer at once
        assert (reply.status, reply.body) == (200, b"hello\n")
        pid = site.pid()
        r = site.run("-s", "stop")
        assert r.returncode == 0, r.stderr
        assert wait_gone(pid, 5)


def test_pid_file_holds_the_daemon_pid(daemon):
    """The PID file is exactly `PID\\n` and names a live httpd process."""
    site, pid = daemon
    assert site.pid_file.read_text() == f"{pid}\n"
    st = proc_stat(pid)
    assert st is not None and st.state != "Z"
    assert os.path.basename(os.readlink(f"/proc/{pid}/exe")) == os.path.basename(HTTPD_BIN)


def test_daemon_parent_is_init(daemon):
    """The daemon's parent is PID 1 (the starter and the intermediate child are gone)."""
    _, pid = daemon
    assert proc_stat(pid).ppid == 1


def test_daemon_has_its_own_session_but_is_not_its_leader(daemon):
    """setsid then a second fork: own session and group, different from the test's, pid != sid."""
    _, pid = daemon
    st = proc_stat(pid)
    assert st.session == st.pgrp, st
    assert st.session != os.getsid(0), "the daemon stayed in the starter's session"
    assert st.session != pid, "the daemon is a session leader (no second fork)"


def test_daemon_has_no_controlling_terminal(daemon):
    """tty_nr is 0 in /proc/PID/stat."""
    _, pid = daemon
    assert proc_stat(pid).tty_nr == 0


def test_daemon_cwd_is_root_and_umask_022(daemon):
    """chdir("/") and umask 022."""
    _, pid = daemon
    assert os.readlink(f"/proc/{pid}/cwd") == "/"
    assert proc_status(pid)["Umask"] == "0022"


def test_daemon_stdio_is_dev_null(daemon):
    """File descriptors 0, 1 and 2 point to /dev/null."""
    _, pid = daemon
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/null", fd


def test_daemon_answers_requests(daemon):
    """The detached daemon serves the document root."""
    site, _ = daemon
    reply = site.fetch("/a.txt")
    assert (reply.status, reply.body) == (200, b"hello\n")
    assert site.fetch("/nope").status == 404


def test_daemon_off_stays_in_the_foreground(sites):
    """`Daemon off` runs in the starting process (PID file names it) and SIGTERM exits it with 0."""
    site = sites(extra=["Daemon off"])
    proc = subprocess.Popen([HTTPD_BIN, "-f", str(site.conf)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: site.pid_file.exists() and site.pid_file.read_text().endswith("\n"), 5)
        assert site.pid() == proc.pid
        assert site.fetch("/a.txt").status == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
        assert not site.pid_file.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------------------------
# Start-up errors reach the terminal
# --------------------------------------------------------------------------------------------


def assert_start_fails(site, message):
    r = site.run()
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr == message + "\n"
    assert r.stdout == ""
    assert processes_with_arg(str(site.conf)) == [], "a process was left running after a failed start"


def test_second_start_is_refused_naming_the_pid(sites):
    """A second httpd with the same PID file exits 1 naming the running PID; the first keeps serving."""
    site = sites()
    pid = site.start()
    r = site.run()
    assert r.returncode == 1
    assert r.stderr == f"httpd: error: httpd is already running (pid {pid}): PidFile {site.pid_file} is locked\n"
    assert processes_with_arg(str(site.conf)) == daemon_processes(pid) and len(daemon_processes(pid)) == 2
    assert site.pid_file.read_text() == f"{pid}\n"
    assert site.fetch("/a.txt").status == 200


def test_start_on_busy_port_fails_with_message(sites):
    """A port in use: the starter exits 1 with the bind error; after the port frees, a start works."""
    site = sites()
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind((HOST, site.port))
    holder.listen(1)
    try:
        assert_start_fails(site, f"httpd: error: cannot listen on 127.0.0.1:{site.port}: Address already in use")
    finally:
        holder.close()
    site.start()
    assert site.fetch("/a.txt").status == 200


def test_start_with_missing_document_root_fails(sites):
    """A missing DocumentRoot is reported by the starter (exit 1)."""
    site = sites(extra=["DocumentRoot /nonexistent-httpd-test/www"])
    assert_start_fails(site, "httpd: error: DocumentRoot /nonexistent-httpd-test/www: No such file or directory")


def test_start_with_unwritable_error_log_fails(sites):
    """An error log that cannot be opened is reported by the starter (exit 1)."""
    site = sites(extra=["ErrorLog nodir/error.log"])
    assert_start_fails(site, f"httpd: error: cannot open log file {site.dir}/nodir/error.log: No such file or directory")


def test_start_with_unwritable_access_log_fails(sites):
    """An access log that cannot be opened is reported by the starter (exit 1)."""
    site = sites(extra=["AccessLog nodir/access.log"])
    assert_start_fails(site, f"httpd: error: cannot open log file {site.dir}/nodir/access.log: No such file or directory")


# --------------------------------------------------------------------------------------------
# Stopping
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_gracefully(sites, sig):
    """SIGTERM / SIGINT: the daemon exits 0, removes its PID file and logs `stopping` then `stopped`."""
    site = sites()
    pid = site.start()
    assert site.fetch("/a.txt").status == 200
    os.kill(pid, sig)
    assert_stopped_cleanly(site, pid)
    text = site.error_text()
    assert text.index("] stopping: ") < text.index("] stopped")
    assert connection_refused(site.port)


def test_sigterm_closes_idle_keepalive_connections_within_a_second(sites):
    """An idle keep-alive connection is closed 1 s after SIGTERM (a request already on its way would otherwise
    meet a reset); the daemon does not wait ShutdownTimeout or KeepAliveTimeout."""
    site = sites(extra=["ShutdownTimeout 30", "KeepAliveTimeout 30"])
    pid = site.start()
    with Client(HOST, site.port) as c:
        resp = c.get("/a.txt")
        assert resp.status == 200
        t0 = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        c.expect_closed(3)  # idle keep-alive connection: a close, no bytes
        assert 0.9 < time.monotonic() - t0 < 2
    assert_stopped_cleanly(site, pid, timeout=3)


def test_a_request_on_an_idle_connection_just_after_sigterm_is_answered(sites):
    """A client that sends its next request on a keep-alive connection just as the stop begins gets its
    response, with `Connection: close`, then the close: no reset."""
    site = sites(extra=["ShutdownTimeout 30", "KeepAliveTimeout 30"])
    pid = site.start()
    with Client(HOST, site.port) as c:
        assert c.get("/a.txt").status == 200
        os.kill(pid, signal.SIGTERM)
        time.sleep(0.3)
        resp = c.get("/a.txt")
        assert (resp.status, resp["Connection"], resp.body) == (200, "close", b"hello\n")
        c.expect_closed(2)
    assert_stopped_cleanly(site, pid, timeout=3)


def start_download(port: int, rcvbuf: int = 64 * 1024) -> Client:
    """A slow reader (small receive buffer) of GET /big.bin; nothing read yet."""
    c = Client(HOST, port, rcvbuf=rcvbuf)
    c.send("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
    return c


def test_sigterm_lets_a_large_download_finish(sites):
    """SIGTERM during a slow 200 MiB download: new connections are refused, the download completes, then exit 0."""
    site = sites(extra=["ShutdownTimeout 30"])
    with open(site.root / "big.bin", "wb") as f:
        f.truncate(BIG)
    pid = site.start()
    with start_download(site.port) as c:
        resp = c.read_head()
        assert resp.status == 200 and int(resp["Content-Length"]) == BIG
        received = c.discard(1024 * 1024, timeout=5)
        os.kill(pid, signal.SIGTERM)
        assert site.wait_error_log(r"\] stopping: "), site.error_text()
        assert connection_refused(site.port), "new connections still accepted after SIGTERM"
        time.sleep(0.5)  # the client is slow: nothing read for a while
        assert not is_gone(pid), "the daemon exited with a download in flight"
        received += c.discard(BIG - received, timeout=20)
        assert received == BIG
    assert_stopped_cleanly(site, pid)


def test_sigterm_closes_the_connection_once_its_response_is_done(sites):
    """A keep-alive connection whose in-flight response completes during a graceful stop is closed then, and the daemon exits without waiting for ShutdownTimeout."""
    site = sites(extra=["ShutdownTimeout 20", "KeepAliveTimeout 30"])
    with open(site.root / "big.bin", "wb") as f:
        f.truncate(BIG)
    pid = site.start()
    with start_download(site.port) as c:
        resp = c.read_head()
        assert resp.status == 200
        os.kill(pid, signal.SIGTERM)
        assert site.wait_error_log(r"\] stopping: "), site.error_text()
        received = c.discard(BIG, timeout=20)
        assert received == BIG
        t0 = time.monotonic()
        assert c.is_closed(5), f"connection not closed {time.monotonic() - t0:.1f}s after its response ended"
    assert_stopped_cleanly(site, pid, timeout=2)


def test_shutdown_timeout_cuts_a_download_that_does_not_finish(sites):
    """ShutdownTimeout 1: a download that stalls is cut about 1 s after SIGTERM and the daemon exits."""
    site = sites(extra=["ShutdownTimeout 1", "SendTimeout 60"])
    with open(site.root / "big.bin", "wb") as f:
        f.truncate(BIG)
    pid = site.start()
    with start_download(site.port) as c:
        resp = c.read_head()
        assert resp.status == 200
        t0 = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        assert wait_gone(pid, 5), "the daemon waited past ShutdownTimeout"
        elapsed = time.monotonic() - t0
        assert 0.8 <= elapsed < 3.5, elapsed
        received = c.discard(BIG, timeout=10)
        assert received < BIG
    assert "ShutdownTimeout passed" in site.error_text()
    assert_stopped_cleanly(site, pid)


def test_sigpipe_is_ignored(sites):
    """A client that resets the connection in the middle of a download does not kill the daemon."""
    site = sites()
    with open(site.root / "big.bin", "wb") as f:
        f.truncate(BIG)
    pid = site.start()
    for _ in range(3):
        c = start_download(site.port)
        c.read_head()
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()
    time.sleep(0.3)
    assert not is_gone(pid)
    assert site.fetch("/a.txt").status == 200
    assert proc_status(pid)["SigIgn"] and int(proc_status(pid)["SigIgn"], 16) & (1 << (signal.SIGPIPE - 1))


def test_kill_9_then_restart_works(sites):
    """After kill -9 the stale PID file does not block a new start, and -s stop reports no daemon."""
    site = sites()
    pid = site.start()
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid, 5)
    assert site.pid_file.read_text() == f"{pid}\n"  # left behind by the crash
    r = site.run("-s", "stop")
    assert r.returncode == 1
    assert r.stderr.startswith("httpd: error: no running httpd: "), r.stderr
    new = site.start()
    assert new != pid
    assert site.pid_file.read_text() == f"{new}\n"
    assert site.fetch("/a.txt").status == 200


def test_stale_pid_file_naming_another_live_process(sites):
    """A stale PID file naming an unrelated live process: -s stop does not signal it, start works."""
    site = sites()
    other = subprocess.Popen(["sleep", "30"])
    try:
        site.pid_file.write_text(f"{other.pid}\n")
        r = site.run("-s", "stop")
        assert r.returncode == 1
        assert r.stderr.startswith("httpd: error: no running httpd: "), r.stderr
        time.sleep(0.1)
        assert other.poll() is None, "httpd -s stop signalled a process that is not httpd"
        pid = site.start()
        assert pid != other.pid
        assert site.fetch("/a.txt").status == 200
    finally:
        other.kill()
        other.wait()


# --------------------------------------------------------------------------------------------
# httpd -s stop|reload|reopen
# --------------------------------------------------------------------------------------------


def test_control_commands_exit_status(sites):
    """-s reload / reopen / stop exit 0 and act; -s stop with no daemon exits 1 with a message."""
    site = sites()
    pid = site.start()
    r = site.run("-s", "reload")
    assert (r.returncode, r.stderr) == (0, "")
    assert site.wait_error_log(r"configuration reloaded \(generation \d+\)"), site.error_text()
    r = site.run("-s", "reopen")
    assert (r.returncode, r.stderr) == (0, "")
    assert site.wait_error_log(r"log files reopened"), site.error_text()
    assert site.fetch("/a.txt").status == 200
    r = site.run("-s", "stop")
    assert (r.returncode, r.stderr) == (0, "")
    assert_stopped_cleanly(site, pid)
    for command in ("stop", "reload", "reopen"):
        r = site.run("-s", command)
        assert r.returncode == 1, command
        assert r.stderr.startswith("httpd: error: no running httpd: "), r.stderr
        assert r.stderr.count("\n") == 1


def test_control_without_pid_file_fails(sites):
    """-s stop with a config that sets `PidFile off` exits 1 with a message."""
    site = sites(extra=["PidFile off"])
    r = site.run("-s", "stop")
    assert r.returncode == 1
    assert r.stderr.startswith("httpd: error: "), r.stderr
