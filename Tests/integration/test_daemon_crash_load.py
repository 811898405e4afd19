"""Crashes under load (issue 13): while wrk loads the daemon (keep-alive connections, or a new connection per
request with `Connection: close`), the worker is killed twice (SIGSEGV, or SIGKILL), or traps once on the
HTTPD_TEST_TRAP_PATH request. Each time a new worker answers within 1 s; wrk sees no refused connect, no
timeout and no error status (read and write errors only for the requests in flight on a dead worker: at most
one per wrk connection per death), and its load reaches the new worker; the master's PID and its listening
socket (its inode, from `ss`, among the descriptors in /proc/PID/fd of the master and of the new worker) stay
the same; status JSON, `?auto` and /metrics count the restarts 0, 1, 2. With `WorkerProcesses 2`, each worker
describes itself: the replacement of the one killed takes its slot and knows of the restart, the other serves on.

Real binary, loopback only, every wait bounded: wrk runs 4 s with 2 threads and 16 connections (a missing wrk
fails the test: `make test` installs it); the trap test needs a debug build (a release build has no hook).
"""

from __future__ import annotations

import os
import platform
import signal
import time
from pathlib import Path

import pytest

from httpdkit import (
    HOST,
    HTTPD_BIN,
    Client,
    Wrk,
    first_answer_from_new_worker,
    listening_inode,
    live_children,
    socket_inodes_of,
    wait_until,
)

CONNECTIONS = 16
RESPAWN_LIMIT = 1.0  # seconds from the death to the new worker's first answer
TRAP_PATH = "/__trap"
# fatalError traps with ud2 on x86-64 (SIGILL) and brk on arm64 (SIGTRAP).
TRAP_SIGNAL = {"x86_64": "SIGILL", "aarch64": "SIGTRAP"}.get(platform.machine(), "SIG(ILL|TRAP)")


def check_worker(site, master: int, inode: int, worker: int, restarts: int):
    """WORKER is the master's one worker, forked after RESTARTS replaced ones, serving on the master's listening
    socket INODE; status JSON, `?auto` and /metrics say so."""
    assert site.pid() == master and live_children(master) == [worker]
    assert listening_inode(site.port) == inode
    assert inode in socket_inodes_of(master) and inode in socket_inodes_of(worker)
    j = site.fetch("/server-status?format=json").json()
    assert (j["pid"], j["ppid"], j["master_pid"], j["worker_restarts"]) == (worker, master, master, restarts)
    assert j["worker_processes"] == [{"slot": 0, "pid": worker, "start_time": j["start_time"], "restarts": restarts}]
    auto = site.fetch("/server-status?auto").text
    assert auto.endswith(f"\nMasterPID: {master}\nWorkerRestarts: {restarts}\n"), auto[-200:]
    metrics = site.fetch("/metrics").text
    for sample in (f"httpd_process_id {worker}", f"httpd_master_process_id {master}",
                   f"httpd_worker_restarts_total {restarts}", f'httpd_worker_start_time_seconds{{slot="0"}} {j["start_time"]}'):
        assert f"\n{sample}\n" in metrics, sample


def replaced(site, dead: int, signal_name: str, since: float, serving: set[int] = frozenset()) -> tuple[float, int]:
    """(seconds, new PID): the first answer of the worker that replaced DEAD (not one of SERVING, the workers
    that serve on), asserted within RESPAWN_LIMIT of SINCE, and the master's log line naming SIGNAL_NAME (a
    pattern) and the new worker."""
    answer = first_answer_from_new_worker(site.port, {dead, *serving}, since, 3.0)
    assert answer is not None, f"no new worker answered within 3 s: {site.error_text()}"
    seconds, j = answer
    assert seconds < RESPAWN_LIMIT, f"the new worker first answered after {seconds:.3f} s"
    new = j["pid"]
    assert site.wait_error_log(
        rf"\] worker pid {dead} killed by signal {signal_name}( \(core dumped\))?; starting a new worker$", 2), \
        site.error_text()
    assert site.wait_error_log(rf"\] started worker pid {new}$", 2), site.error_text()
    return seconds, new


def answered_200(site) -> int:
    """The 200 responses of the worker that serves now, counted before this request's own."""
    return site.fetch("/server-status?format=json").json()["requests"]["by_code"].get("200", 0)


def others_answered(site, seconds: float) -> int:
    """The requests of other clients (wrk) the serving worker answered 200 within SECONDS: the 200s counted
    between two status requests, less the first of them."""
    before = answered_200(site)
    time.sleep(seconds)
    return answered_200(site) - before - 1


def check_wrk_load_on(site, wrk: Wrk, worker: int):
    """wrk's load reaches WORKER while wrk still runs: 20 of its requests answered within 0.1 s, within 2 s."""
    t0 = time.monotonic()
    answered = wait_until(lambda: others_answered(site, 0.1) >= 20, 2.0)
    assert answered, f"wrk's load did not reach worker {worker} within 2 s (wrk still running: {wrk.running()})"
    assert wrk.running(), f"wrk ended before the check, {wrk.elapsed():.2f} s after it started"
    print(f"  wrk's load on worker {worker} within {(time.monotonic() - t0) * 1000:.0f} ms, {wrk.elapsed():.2f} s into wrk")


def check_load(site, wrk: Wrk, deaths: int, worker: int | None):
    """wrk's summary: no refused connect, no timeout, no error status, at most one read or write error per
    connection per death, 1,000 requests or more; the last WORKER (when one) still the one serving."""
    result = wrk.result()
    print(f"\nwrk: {result.requests} requests, socket errors connect {result.connect}, read {result.read}, "
          f"write {result.write}, timeout {result.timeout}; non-2xx {result.non_2xx}")
    assert (result.connect, result.timeout, result.non_2xx) == (0, 0, 0), result.text
    assert result.read + result.write <= deaths * wrk.connections, result.text
    assert result.requests >= 1000, result.text
    if worker is not None:
        assert site.fetch("/server-status?format=json").json()["pid"] == worker
    assert site.error_text().count("; starting a new worker\n") == deaths, site.error_text()


@pytest.mark.parametrize("close", [False, True], ids=["keep-alive", "connection-close"])
@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL], ids=["SIGSEGV", "SIGKILL"])
def test_a_killed_worker_is_replaced_under_wrk(sites, sig, close):
    """kill -SEGV (or -9) the worker twice while wrk runs: each time a new worker answers within 1 s on the same
    listening socket under the same master, and the restarts count 1, then 2; wrk sees no refused connect."""
    site = sites()
    master = site.start()
    inode = listening_inode(site.port)
    [worker] = live_children(master)
    check_worker(site, master, inode, worker, 0)
    took = []
    with Wrk(site.port, connections=CONNECTIONS, close=close) as wrk:
        check_wrk_load_on(site, wrk, worker)
        for restarts in (1, 2):
            since = time.monotonic()
            os.kill(worker, sig)
            seconds, worker = replaced(site, worker, signal.Signals(sig).name, since)
            took.append(seconds)
            check_worker(site, master, inode, worker, restarts)
            check_wrk_load_on(site, wrk, worker)
        print(f"\nrespawn ({signal.Signals(sig).name}, {'close' if close else 'keep-alive'}): "
              + ", ".join(f"{t * 1000:.1f} ms" for t in took))
        check_load(site, wrk, 2, worker)
    check_worker(site, master, inode, worker, 2)


@pytest.mark.parametrize("close", [False, True], ids=["keep-alive", "connection-close"])
def test_a_trap_in_the_worker_is_replaced_under_wrk(sites, monkeypatch, close):
    """With HTTPD_TEST_TRAP_PATH, one request for that path under wrk makes the worker trap (fatalError): the
    request gets no answer, the master logs the signal, a new worker answers within 1 s, the restart is counted."""
    if b"HTTPD_TEST_TRAP_PATH" not in Path(HTTPD_BIN).read_bytes():
        pytest.skip("the trap hook is only in debug builds")
    monkeypatch.setenv("HTTPD_TEST_TRAP_PATH", TRAP_PATH)
    site = sites()
    master = site.start()
    inode = listening_inode(site.port)
    [worker] = live_children(master)
    check_worker(site, master, inode, worker, 0)
    with Wrk(site.port, connections=CONNECTIONS, close=close) as wrk:
        check_wrk_load_on(site, wrk, worker)
        since = time.monotonic()
        with Client(HOST, site.port, timeout=3.0) as c:
            c.send(f"GET {TRAP_PATH} HTTP/1.1\r\nHost: t\r\n\r\n")
            assert c.read_to_eof() == b"", "the trap request was answered"
        seconds, worker = replaced(site, worker, TRAP_SIGNAL, since)
        print(f"\nrespawn (trap, {'close' if close else 'keep-alive'}): {seconds * 1000:.1f} ms")
        check_worker(site, master, inode, worker, 1)
        check_wrk_load_on(site, wrk, worker)
        check_load(site, wrk, 1, worker)


def statuses_by_pid(site, pids: set[int], ok=lambda j: True) -> dict[int, dict]:
    """The status JSON of each worker in PIDS, asked on new connections until each has answered one that is OK
    (3 s at most)."""
    found: dict[int, dict] = {}

    def all_answered():
        j = site.fetch("/server-status?format=json").json()
        if ok(j):
            found[j["pid"]] = j
        return set(found) >= pids

    assert wait_until(all_answered, 3.0, 0.005), f"answered: {sorted(found)}, workers {sorted(pids)}"
    return {pid: found[pid] for pid in pids}


def load_answered(j: dict) -> int:
    """The requests of wrk (for the site `load`) the worker whose status is J answered."""
    [load] = [s for s in j["sites"] if s["name"] == "load"]
    return load["requests"]["total"]


def test_one_of_two_workers_killed_under_wrk(sites):
    """WorkerProcesses 2: whichever worker answers lists both (slots 0 and 1, restarts 0: the status board).
    kill -9 the worker in slot 1 while wrk runs (a connection per request, so both workers take its load; the
    site `load` counts only wrk's requests): its replacement answers within 1 s in slot 1 with 1 restart, both
    workers list the survivor unchanged and the replacement, the totals of `load` never go backwards (the dead
    worker's counts stay in them), and wrk sees no refused connect, at most one error per connection."""
    site = sites(extra=["WorkerProcesses 2", "<VirtualHost *>", "ServerName load", "DocumentRoot www", "</VirtualHost>"])
    master = site.start()
    inode = listening_inode(site.port)
    workers = set(live_children(master))
    assert len(workers) == 2
    before = statuses_by_pid(site, workers)
    listings = {pid: [(w["slot"], w["pid"], w["restarts"]) for w in j["worker_processes"]] for pid, j in before.items()}
    [listing] = {tuple(v) for v in listings.values()}
    assert [slot for slot, _, _ in listing] == [0, 1] and {pid for _, pid, _ in listing} == workers, listing
    assert all(restarts == 0 for _, _, restarts in listing)
    for j in before.values():
        assert (j["worker_restarts"], j["master_pid"]) == (0, master)
    dead = listing[1][1]
    [survivor] = workers - {dead}
    with Wrk(site.port, connections=CONNECTIONS, close=True, host="load") as wrk:
        statuses_by_pid(site, workers, lambda j: load_answered(j) >= 20)
        at_kill = load_answered(site.fetch("/server-status?format=json").json())
        since = time.monotonic()
        os.kill(dead, signal.SIGKILL)
        seconds, new = replaced(site, dead, "SIGKILL", since, serving={survivor})
        print(f"\nrespawn (SIGKILL, one of two workers): {seconds * 1000:.1f} ms")
        assert sorted(live_children(master)) == sorted([survivor, new])
        assert inode in socket_inodes_of(master) and inode in socket_inodes_of(new)
        after = statuses_by_pid(site, {survivor, new}, lambda j: load_answered(j) >= at_kill + 20)
        assert wrk.running(), f"wrk ended before the checks, {wrk.elapsed():.2f} s after it started"
        for j in after.values():
            assert [(w["slot"], w["pid"], w["restarts"]) for w in j["worker_processes"]] == [
                (0, survivor, 0), (1, new, 1)], j["worker_processes"]
            assert (j["worker_restarts"], j["master_pid"]) == (1, master)
        check_load(site, wrk, 1, None)
