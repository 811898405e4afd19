"""The master's bookkeeping under races (issue 13 review): a replacement still waiting out a crash loop's back-off
when a reload starts a new generation, and what descriptors a worker inherits from the master.

Real processes and signals, loopback only; every wait is bounded; every daemon is stopped by PID at teardown.
"""

from __future__ import annotations

import os
import signal
import socket
import time

from httpdkit import HOST, is_gone, live_children, wait_gone, wait_until


def test_a_reload_during_a_crash_loop_back_off_keeps_the_worker_count(sites):
    """Five workers die within 10 s (the next replacement waits 1 s); a reload meanwhile starts a full new
    generation of workers: the pending replacement is not forked on top of it (two workers, not three)."""
    site = sites(extra=["WorkerProcesses 2"])
    master = site.start()
    assert wait_until(lambda: len(live_children(master)) == 2 or None, 3)
    for n in range(5):
        victim = live_children(master)[0]
        os.kill(victim, signal.SIGKILL)
        if n < 4:
            assert wait_until(lambda: (victim not in live_children(master) and len(live_children(master)) == 2)
                              or None, 3), site.error_text()
    assert site.wait_error_log(r"waiting 1 s before starting the next one \(crash loop\)$", 2), site.error_text()
    os.kill(master, signal.SIGHUP)
    assert site.wait_error_log(r"configuration reloaded \(generation 2\)", 5), site.error_text()
    # The back-off (1 s) is over and the old generation, idle, has finished.
    time.sleep(2.0)
    assert wait_until(lambda: len(live_children(master)) == 2 or None, 3), (live_children(master), site.error_text())
    time.sleep(0.5)
    assert len(live_children(master)) == 2, (live_children(master), site.error_text())


def pid_file_descriptors(pid: int, pid_file) -> list[str]:
    """What PID's descriptors that name the PID file (or an earlier one renamed over) point at."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(pid_file)):
            found.append(f"{fd} -> {target}")
    return found


def test_workers_hold_no_descriptor_of_the_pid_file(sites):
    """The PID file's lock belongs to the master: a worker (the first one, or one forked after the file was
    written) holds no descriptor of it, so a worker draining after the master died does not keep it locked."""
    site = sites()
    master = site.start()
    assert wait_until(lambda: len(live_children(master)) == 1 or None, 3)
    first = live_children(master)[0]
    assert pid_file_descriptors(first, site.pid_file) == []
    os.kill(first, signal.SIGKILL)
    assert wait_until(lambda: (live_children(master) and live_children(master)[0] != first and live_children(master))
                      or None, 3), site.error_text()
    second = live_children(master)[0]
    assert pid_file_descriptors(second, site.pid_file) == []
    assert pid_file_descriptors(master, site.pid_file) != []


def pipes_of(pid: int) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("pipe:"):
                count += 1
        except OSError:
            pass
    return count


def test_workers_do_not_inherit_each_others_start_up_pipes(sites):
    """The workers of one generation are forked one after the other, each with a pipe to report its start-up:
    a later one must not keep the read ends of the earlier ones' pipes (each worker has as many pipes)."""
    site = sites(extra=["WorkerProcesses 3"])
    master = site.start()
    assert wait_until(lambda: len(live_children(master)) == 3 or None, 3)
    counts = {pid: pipes_of(pid) for pid in live_children(master)}
    assert len(set(counts.values())) == 1, counts
    assert not is_gone(master)


def test_a_stop_right_after_a_reload_does_not_wait_for_the_keep_alive_timeout(sites):
    """SIGTERM while the previous generation finishes its connections after a reload: an idle keep-alive
    connection on an old worker closes within the stop's grace (1 s), not after KeepAliveTimeout (20 s)."""
    site = sites(extra=["WorkerProcesses 2", "KeepAliveTimeout 20"])
    master = site.start()
    assert wait_until(lambda: len(live_children(master)) == 2 or None, 3)
    conn = socket.create_connection((HOST, site.port), timeout=5)
    try:
        conn.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wait_until(lambda: b"hello\n" in conn.recv(4096) or None, 3)
        os.kill(master, signal.SIGHUP)
        assert site.wait_error_log(r"configuration reloaded \(generation 2\)", 5), site.error_text()
        t0 = time.monotonic()
        os.kill(master, signal.SIGTERM)
        assert wait_gone(master, 10), site.error_text()
        assert time.monotonic() - t0 < 4, f"the stop took {time.monotonic() - t0:.1f} s"
    finally:
        conn.close()
