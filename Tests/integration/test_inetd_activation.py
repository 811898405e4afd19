"""Inherited listening sockets (issue 5): systemd socket activation (LISTEN_FDS/LISTEN_PID, fds 3..)
and inetd "wait" style (a listening socket on fd 0, exit after IdleExit seconds without a connection).

Helpers live in httpdkit.py; every process is stopped by its PID.
"""

from __future__ import annotations

import socket
import subprocess
import time

from httpdkit import (
    HOST,
    HTTPD_BIN,
    Client,
    assert_file_response,
    connection_refused,
    exit_within,
    listener,
    make_site,
    spawn_activated,
    spawn_inetd,
    stop,
    wait_for_log,
)

TEXT = "text/plain; charset=utf-8"
ACTIVATION_LINE = "socket activation: serving on {n} inherited listening socket(s)"


def test_listen_fds_one_socket_served(tmp_path, procs):
    """LISTEN_FDS=1 with LISTEN_PID = httpd's PID: fd 3 is served, the log says so, mode standalone."""
    site = make_site(tmp_path)
    ls = listener()
    log = site.dir / "stderr.log"
    proc = spawn_activated(procs, site, [ls], log=log)
    wait_for_log(log, ACTIVATION_LINE.format(n=1), proc)
    with Client(HOST, ls.getsockname()[1]) as c:
        assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)
        info = c.get("/server-status?format=json").json()
        assert info["mode"] == "standalone"
        assert info["pid"] == proc.pid
        # One process, no master (systemd supervises it): no master_pid, no restart.
        assert "master_pid" not in info and info["worker_restarts"] == 0
        assert [w["pid"] for w in info["worker_processes"]] == [proc.pid]
        metrics = c.get("/metrics").text
        assert "httpd_worker_restarts_total 0\n" in metrics and "httpd_master_process_id" not in metrics
        assert "\nWorkerRestarts: 0\n" in c.get("/server-status?auto").text
    ls.close()
    assert stop(proc) == 0


def test_listen_fds_two_sockets_both_served(tmp_path, procs):
    """LISTEN_FDS=2: the sockets on fds 3 and 4 are both served, by the same process."""
    site = make_site(tmp_path)
    ls1, ls2 = listener(), listener()
    log = site.dir / "stderr.log"
    proc = spawn_activated(procs, site, [ls1, ls2], log=log)
    wait_for_log(log, ACTIVATION_LINE.format(n=2), proc)
    pids = []
    for ls, name in [(ls1, "a.txt"), (ls2, "b.txt"), (ls1, "c.txt")]:
        with Client(HOST, ls.getsockname()[1]) as c:
            assert_file_response(c.get("/" + name), site.root / name, TEXT)
            pids.append(c.get("/server-status?format=json").json()["pid"])
    assert pids == [proc.pid] * 3
    ls1.close()
    ls2.close()
    assert stop(proc) == 0


def test_listen_fds_config_listen_not_bound(tmp_path, procs):
    """With inherited sockets the config's Listen port is not bound (connections to it are refused)."""
    site = make_site(tmp_path)
    port = site.port  # the config's Listen port
    ls = listener()
    log = site.dir / "stderr.log"
    proc = spawn_activated(procs, site, [ls], log=log)
    wait_for_log(log, ACTIVATION_LINE.format(n=1), proc)
    with Client(HOST, ls.getsockname()[1]) as c:
        assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)
    assert connection_refused(port)
    probe = socket.socket()
    probe.bind((HOST, port))  # the port is free
    probe.close()
    assert f":{port}/" not in log.read_text()
    ls.close()
    assert stop(proc) == 0


def test_listen_pid_of_other_process_ignored(tmp_path, procs):
    """LISTEN_PID naming another process: the variables are ignored and the config's Listen is bound."""
    site = make_site(tmp_path)
    port = site.port  # the config's Listen port
    ls = listener()
    log = site.dir / "stderr.log"
    proc = spawn_activated(procs, site, [ls], listen_pid="1", log=log)
    wait_for_log(log, f"listening on http://{HOST}:{port}/", proc)
    with Client(HOST, port) as c:
        assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)
    assert "socket activation" not in log.read_text()
    assert f":{ls.getsockname()[1]}/" not in log.read_text()
    ls.close()
    assert stop(proc) == 0


def test_wait_style_serves_sequential_connections_then_idle_exit(tmp_path, procs):
    """Listening socket on fd 0 with IdleExit 1: two connections served by one process, exit 0 ~1 s after the last."""
    site = make_site(tmp_path)
    ls = listener()
    port = ls.getsockname()[1]
    proc = spawn_inetd(procs, site, ls, args=["IdleExit 1"], stdout=subprocess.DEVNULL)
    ls.close()  # the child holds the only copy now
    pids = []
    for name in ["a.txt", "b.txt"]:
        time.sleep(0.5)  # idle, but less than IdleExit
        assert proc.poll() is None
        with Client(HOST, port) as c:
            assert_file_response(c.get("/" + name), site.root / name, TEXT)
            info = c.get("/server-status?format=json", "Connection: close\r\n").json()
            assert info["mode"] == "inetd"
            pids.append(info["pid"])
            c.expect_closed(3)
        last_close = time.monotonic()
    assert pids == [proc.pid, proc.pid]
    assert exit_within(proc, 5) == 0
    idle = time.monotonic() - last_close
    assert 0.7 <= idle <= 2.5, idle
    assert [(m["client"], m["request"]) for m in site.access_lines()] == [
        ("127.0.0.1", "GET /a.txt HTTP/1.1"),
        ("127.0.0.1", "GET /server-status?format=json HTTP/1.1"),
        ("127.0.0.1", "GET /b.txt HTTP/1.1"),
        ("127.0.0.1", "GET /server-status?format=json HTTP/1.1"),
    ]
    assert not site.pid_file.exists()


def test_wait_style_exits_when_never_used(tmp_path, procs):
    """Listening socket on fd 0 with IdleExit 1 and no connection at all: exit 0 after about 1 s."""
    site = make_site(tmp_path)
    ls = listener()
    t0 = time.monotonic()
    proc = spawn_inetd(procs, site, ls, args=["IdleExit 1"], stdout=subprocess.DEVNULL)
    assert exit_within(proc, 5) == 0
    elapsed = time.monotonic() - t0
    assert 0.8 <= elapsed <= 2.5, elapsed
    ls.close()


def test_wait_style_open_connection_is_not_idle(tmp_path, procs):
    """IdleExit counts only time without connections: an open keep-alive connection keeps httpd running."""
    site = make_site(tmp_path)
    ls = listener()
    port = ls.getsockname()[1]
    proc = spawn_inetd(procs, site, ls, args=["IdleExit 1", "KeepAliveTimeout 5"],
                        stdout=subprocess.DEVNULL)
    ls.close()
    with Client(HOST, port) as c:
        assert_file_response(c.get("/a.txt"), site.root / "a.txt", TEXT)
        time.sleep(1.6)
        assert proc.poll() is None
        assert_file_response(c.get("/b.txt"), site.root / "b.txt", TEXT)
    assert exit_within(proc, 5) == 0



def test_socket_activation_cannot_upgrade_and_survives_sigusr2(tmp_path, procs):
    """One process (no master): `-s upgrade` says it cannot and exits 1 without signalling; a SIGUSR2 sent
    anyway is logged and ignored (its default action would end the process)."""
    import os
    import signal

    site = make_site(tmp_path)
    ls = listener()
    log = site.dir / "stderr.log"
    proc = spawn_activated(procs, site, [ls], log=log)
    wait_for_log(log, ACTIVATION_LINE.format(n=1), proc)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not (site.pid_file.exists() and site.pid_file.read_text().strip()):
        time.sleep(0.02)
    assert site.pid_file.read_text() == f"{proc.pid}\n"
    r = subprocess.run([HTTPD_BIN, "-f", str(site.conf), "-s", "upgrade"], capture_output=True,
                       text=True, timeout=10)
    assert (r.returncode, r.stdout) == (1, ""), r
    assert r.stderr == (f"httpd: error: httpd (pid {proc.pid}) runs as one process (socket activation) with no master "
                        "to start a new binary: restart it instead\n")
    os.kill(proc.pid, signal.SIGUSR2)
    wait_for_log(log, "SIGUSR2 ignored: one process (socket activation) has no master to upgrade; restart it", proc)
    assert proc.poll() is None
    with Client(HOST, ls.getsockname()[1]) as c:
        assert c.get("/a.txt").status == 200
    ls.close()
    assert stop(proc) == 0
