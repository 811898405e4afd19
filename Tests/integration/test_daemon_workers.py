"""Several worker processes (`WorkerProcesses n|auto`, issue 13): the master forks n workers that accept on
the same listening sockets, replaces each that dies in its slot, and reloads by starting a new generation of
workers on the new configuration while the old ones finish their connections (a reload that fails keeps the
running workers). Real processes on loopback; every wait is bounded.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from httpdkit import get_closing as get
from httpdkit import program
from httpdkit import HOST, children_of, free_port, proc_stat, wait_gone, wait_until


def live_children(pid: int) -> list[int]:
    return sorted(p for p in children_of(pid) if (st := proc_stat(p)) and st.state != "Z")


def workers_of(master: int, n: int, timeout: float = 3.0, other_than: set[int] = frozenset()) -> list[int]:
    """The master's N live workers (none of OTHER_THAN)."""
    found = wait_until(lambda: (w := [p for p in live_children(master) if p not in other_than]) and len(w) == n and w,
                       timeout)
    assert found, f"master {master} has workers {live_children(master)}, wanted {n}"
    return found


def serving_pid(port: int) -> int:
    """The PID of the worker that answered (status JSON `pid`)."""
    import json
    status, body = get(port, "/server-status?format=json")
    assert status == 200
    return json.loads(body)["pid"]


def test_two_workers_share_the_listener_and_both_serve(sites):
    site = sites(extra=["WorkerProcesses 2"])
    master = site.start()
    workers = workers_of(master, 2)
    for w in workers:
        assert proc_stat(w).ppid == master
    assert site.wait_error_log(
        rf"\[notice\] \[pid {master}\] master \(pid {master}\) started workers pid {workers[0]}, {workers[1]}$", 2), \
        site.error_text()
    # Both accept on the one socket: with the other stopped (SIGSTOP), each alone answers (which one accepts when
    # both run is a race the same one may keep winning).
    for worker in workers:
        [other] = [w for w in workers if w != worker]
        os.kill(other, signal.SIGSTOP)
        try:
            assert serving_pid(site.port) == worker
        finally:
            os.kill(other, signal.SIGCONT)


def test_auto_starts_one_worker_per_cpu(sites):
    site = sites(extra=["WorkerProcesses auto"])
    master = site.start()
    workers_of(master, os.cpu_count())


def test_a_dead_worker_is_replaced_and_the_other_serves_on(sites):
    site = sites(extra=["WorkerProcesses 2"])
    master = site.start()
    a, b = workers_of(master, 2)
    os.kill(a, signal.SIGKILL)
    assert site.wait_error_log(rf"\] worker pid {a} killed by signal SIGKILL; starting a new worker$", 2)
    new = workers_of(master, 2, other_than={a})
    assert b in new
    assert get(site.port) == (200, b"hello\n")


@pytest.mark.parametrize("value, message", [
    ("0", "WorkerProcesses: wants a whole number from 1 to 64, got '0'"),
    ("65", "WorkerProcesses: wants a whole number from 1 to 64, got '65'"),
    ("many", "WorkerProcesses: wants a whole number from 1 to 64, got 'many'"),
])
def test_bad_worker_counts_are_refused(sites, value, message):
    site = sites(extra=[f"WorkerProcesses {value}"])
    r = site.run("-t")
    assert r.returncode == 1
    assert r.stderr == f"{site.conf}:7: {message}\n", r.stderr


def test_reload_under_load_starts_new_workers_without_an_error(sites):
    """SIGHUP with two workers under wrk keep-alive load: a new generation serves the new root, the old
    workers finish and exit; wrk sees 0 socket errors and 0 non-2xx."""
    site = sites(extra=["WorkerProcesses 2"])
    other = site.dir / "www2"
    other.mkdir()
    (other / "a.txt").write_text("world\n")
    master = site.start()
    old = workers_of(master, 2)
    load = subprocess.Popen([program("wrk"), "-t2", "-c16", "-d5s", f"http://{HOST}:{site.port}/a.txt"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1)
        site.write_conf(extra=["WorkerProcesses 2"], lines=[
            line if not line.startswith("DocumentRoot") else "DocumentRoot www2" for line in site.base_lines()])
        os.kill(master, signal.SIGHUP)
        assert site.wait_error_log(
            r"\[notice\] \[pid \d+\] configuration reloaded \(generation 2\): workers pid \d+, \d+ serve; "
            rf"{old[0]}, {old[1]} finish their connections$", 5), site.error_text()
        out, _ = load.communicate(timeout=30)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
    assert re.search(r"^\s*\d+ requests in ", out, re.M), out
    assert "Socket errors" not in out and "Non-2xx" not in out, out
    for pid in old:
        assert wait_gone(pid, 5)
    new = workers_of(master, 2)
    assert not set(new) & set(old)
    assert get(site.port) == (200, b"world\n")
    status, body = get(site.port, "/server-status?format=json")
    import json
    assert json.loads(body)["config"]["generation"] == 2


def test_reload_that_cannot_bind_keeps_the_running_workers(sites):
    site = sites(extra=["WorkerProcesses 2"])
    master = site.start()
    old = workers_of(master, 2)
    busy = socket.socket()
    busy.bind((HOST, 0))
    busy.listen()
    try:
        site.write_conf(extra=["WorkerProcesses 2", f"Listen {HOST}:{busy.getsockname()[1]}"])
        os.kill(master, signal.SIGHUP)
        assert site.wait_error_log(
            rf"\[error\] \[pid {master}\] reload failed, keeping the running configuration: cannot listen on "
            rf"{HOST}:{busy.getsockname()[1]}: Address already in use$", 3), site.error_text()
    finally:
        busy.close()
    assert workers_of(master, 2) == old
    assert get(site.port) == (200, b"hello\n")


def test_reload_with_a_broken_file_keeps_the_running_workers(sites):
    site = sites(extra=["WorkerProcesses 2"])
    master = site.start()
    old = workers_of(master, 2)
    site.write_conf(extra=["WorkerProcesses 2", "Bogus on"])
    os.kill(master, signal.SIGHUP)
    assert site.wait_error_log(rf"\[error\] \[pid {master}\] reload failed, keeping the running configuration:$", 3)
    assert site.wait_error_log(rf"^  {re.escape(str(site.conf))}:8: unknown directive 'Bogus'$", 1), site.error_text()
    time.sleep(0.2)
    assert workers_of(master, 2) == old


def test_reload_drops_a_listener(sites):
    """A Listen removed by a reload: once the old workers are gone, connecting is refused (the master closed
    its copy, so connections do not queue for nobody)."""
    site = sites(extra=["WorkerProcesses 2"])
    extra_port = free_port()
    site.write_conf(extra=["WorkerProcesses 2", f"Listen {HOST}:{extra_port}"])
    master = site.start()
    old = workers_of(master, 2)
    assert get(extra_port) == (200, b"hello\n")
    site.write_conf(extra=["WorkerProcesses 2"])
    os.kill(master, signal.SIGHUP)
    assert site.wait_error_log(rf"\[notice\] \[pid {master}\] no longer listening on {HOST}:{extra_port}$", 3), \
        site.error_text()
    for pid in old:
        assert wait_gone(pid, 5)
    with pytest.raises(ConnectionRefusedError):
        get(extra_port)
    assert get(site.port) == (200, b"hello\n")


def test_stop_ends_every_worker(sites):
    site = sites(extra=["WorkerProcesses 3"])
    master = site.start()
    workers = workers_of(master, 3)
    r = site.run("-s", "stop")
    assert r.returncode == 0
    for pid in [master, *workers]:
        assert wait_gone(pid, 5)
    assert not site.pid_file.exists()
