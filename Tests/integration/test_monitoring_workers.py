"""Status and metrics across several worker processes (`WorkerProcesses n`, issue 13): whichever worker answers
/server-status (?format=json, ?auto) or /metrics shows the totals of all, each site's by name; open connections and
the connection limit are the live workers' sum; a worker killed and replaced, or a generation replaced by a
reload, loses none of the counts it had published, so Prometheus counters never go back. Real processes on
loopback; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from httpdkit import get_closing as get
from httpdkit import HOST, children_of, parse_auto, parse_exposition, proc_stat, wait_until

WORKERS = 3
# A worker publishes its counters within a second of a change.
PUBLISH = 1.5


def live_workers(master: int, n: int, other_than: frozenset[int] = frozenset()) -> list[int]:
    found = wait_until(lambda: (w := sorted(p for p in children_of(master)
                                            if (st := proc_stat(p)) and st.state != "Z" and p not in other_than))
                       and len(w) == n and w, 5.0)
    assert found, f"master {master}: workers {children_of(master)}, wanted {n}"
    return found


def status_json(port: int) -> dict:
    code, body = get(port, "/server-status?format=json")
    assert code == 200
    return json.loads(body)


def json_answer(port: int) -> tuple[int, dict]:
    j = status_json(port)
    return j["pid"], j


def metrics_answer(port: int):
    m = parse_exposition(get(port, "/metrics")[1].decode())
    return int(m.value("httpd_process_id")), m


def answers_from_every_worker(port: int, workers: list[int], fetch) -> dict[int, object]:
    """FETCH(port) -> (pid, value) answered by each of WORKERS in turn. Which worker accepts a connection is a race
    the same one may keep winning, so the others are stopped (SIGSTOP) while one is asked, then continued."""
    seen: dict[int, object] = {}
    for worker in workers:
        others = [w for w in workers if w != worker]
        for w in others:
            os.kill(w, signal.SIGSTOP)
        try:
            pid, value = fetch(port)
        finally:
            for w in others:
                os.kill(w, signal.SIGCONT)
        assert pid == worker, (pid, worker)
        seen[pid] = value
    return seen


def missing(port: int, n: int):
    for _ in range(n):
        assert get(port, "/missing")[0] == 404


def test_every_worker_answers_with_the_totals_of_all(sites):
    site = sites(extra=[f"WorkerProcesses {WORKERS}", "MaxConnections 100"])
    master = site.start()
    workers = live_workers(master, WORKERS)
    missing(site.port, 60)
    time.sleep(PUBLISH)
    # The 404s are counted once each, whoever served them and whoever answers.
    answers = answers_from_every_worker(site.port, workers, json_answer)
    for pid, j in answers.items():
        assert j["requests"]["by_code"]["404"] == 60, (pid, j["requests"])
        assert j["connections"]["max"] == WORKERS * 100
        default = j["sites"][0]
        assert default["requests"]["by_code"]["404"] == 60
        assert sum(default["rate"]["counts"]) >= 60
    metrics = answers_from_every_worker(site.port, workers, metrics_answer)
    for m in metrics.values():
        assert m.value("httpd_requests_total", code="404") == 60
        assert m.value("httpd_site_responses_total", site="default", code="404") == 60
        assert m.value("httpd_connections_max") == WORKERS * 100


def test_counts_survive_a_killed_worker_and_never_go_back(sites):
    site = sites(extra=[f"WorkerProcesses {WORKERS}"])
    master = site.start()
    workers = live_workers(master, WORKERS)
    missing(site.port, 30)
    time.sleep(PUBLISH)
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    live_workers(master, WORKERS, other_than=frozenset({victim}))
    last = 0
    for round_ in range(3):
        for _ in range(10):
            m = parse_exposition(get(site.port, "/metrics")[1].decode())
            total = m.value("httpd_requests_total", code="404")
            assert total >= last, (round_, total, last)
            last = total
        missing(site.port, 10)
    time.sleep(PUBLISH)
    for _ in range(10):
        j = status_json(site.port)
        assert j["requests"]["by_code"]["404"] == 60
    # ?auto (Apache's keys): the same totals.
    auto = dict(parse_auto(get(site.port, "/server-status?auto")[1].decode()))
    assert int(auto["Total Accesses"]) >= 60


def test_counts_survive_a_reload_by_new_workers(sites):
    """SIGHUP with several workers starts a new generation; the old workers finish and exit, their last counts
    move to the retired store: the totals stay, and the list names the new workers only."""
    site = sites(extra=[f"WorkerProcesses {WORKERS}"])
    master = site.start()
    old = live_workers(master, WORKERS)
    missing(site.port, 30)
    os.kill(master, signal.SIGHUP)
    new = live_workers(master, WORKERS, other_than=frozenset(old))
    # The old ones stop accepting, close their idle connections after 1 s and exit; the master reaps them.
    for pid in old:
        assert wait_until(lambda: proc_stat(pid) is None, 5.0), f"old worker {pid} still runs"
    # Right after reaping one, the master retires its slot.
    assert wait_until(lambda: sorted(w["pid"] for w in status_json(site.port)["worker_processes"]) == new, 2.0)
    for _ in range(10):
        j = status_json(site.port)
        assert j["pid"] in new
        assert j["requests"]["by_code"]["404"] == 30
        assert sorted(w["pid"] for w in j["worker_processes"]) == new
        assert j["config"]["generation"] == 2
