"""Monitoring: the counters behind /server-status and /metrics move as requests are made."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from httpdkit import INDEX_BODY, TIMEOUT, Site, exit_within, tcp_child, wait_for


def test_request_counters_are_exact(start_daemon):
    """After 3 GETs that are 200, 2 that are 404 and 1 HEAD, json counts exactly those requests, codes, connections and body bytes."""
    d = start_daemon()
    body_bytes = 0
    for target, method, code in [("/index.html", "GET", 200), ("/missing", "GET", 404), ("/index.html", "GET", 200),
                                 ("/healthz", "GET", 200), ("/nope/", "GET", 404), ("/index.html", "HEAD", 200)]:
        r = d.fetch(target, method=method)
        assert r.status == code, target
        body_bytes += len(r.body)
    j = d.status_json()
    assert j["requests"]["total"] == 6
    assert j["requests"]["by_code"] == {"200": 4, "404": 2}
    assert j["requests"]["by_class"] == {"1xx": 0, "2xx": 4, "3xx": 0, "4xx": 2, "5xx": 0}
    assert j["connections"]["accepted"] == 7  # six requests on their own connections, plus this one
    assert j["connections"]["handled"] <= 6
    assert j["bytes"]["body"] == body_bytes
    assert j["bytes"]["response"] > body_bytes
    assert j["request_duration_seconds"]["count"] == 6
    assert j["request_duration_seconds"]["sum"] >= 0
    # The status response itself is counted afterwards.
    j2 = d.status_json()
    assert j2["requests"]["total"] == 7
    assert j2["requests"]["by_code"] == {"200": 5, "404": 2}
    assert j2["connections"]["accepted"] == 8
    # Every connection but the one reading the status has been closed by now: all counted as handled.
    j3 = wait_for(d.status_json, lambda j: j["connections"]["handled"] == j["connections"]["accepted"] - 1)
    assert j3["connections"]["handled"] == j3["connections"]["accepted"] - 1 == 8


def test_keepalive_requests_count_one_connection(start_daemon):
    """Four requests on one keep-alive connection count 4 requests and 1 accepted connection."""
    d = start_daemon()
    with d.client() as c:
        for _ in range(4):
            assert c.get("/index.html").body == INDEX_BODY
        j = c.get("/server-status?format=json").json()
    assert j["requests"]["total"] == 4
    assert j["connections"]["accepted"] == 1
    assert j["bytes"]["body"] == 4 * len(INDEX_BODY)


def test_total_accesses_counts_earlier_responses(start_daemon):
    """`Total Accesses` in ?auto equals the number of responses sent before it; Total kBytes is body bytes / 1024."""
    d = start_daemon()
    big = os.urandom(5000)
    (d.dir / "www" / "big.bin").write_bytes(big)
    for _ in range(3):
        assert d.fetch("/big.bin").body == big
    missing = d.fetch("/missing")
    assert missing.status == 404
    a = d.status_auto()
    assert a["Total Accesses"] == "4"
    assert a["Total kBytes"] == str((3 * 5000 + len(missing.body)) // 1024)
    a2 = d.status_auto()
    assert a2["Total Accesses"] == "5"
    assert d.status_json()["requests"]["total"] == 6


def test_worker_pool_completed_increases(start_daemon):
    """A first (uncached) file request runs on the worker pool: workers.completed grows."""
    d = start_daemon()
    (d.dir / "www" / "fresh.txt").write_bytes(b"fresh\n")
    before = d.status_json()["workers"]
    assert before["busy"] == 0 and before["queued"] == 0
    assert d.fetch("/fresh.txt").body == b"fresh\n"
    after = d.status_json()["workers"]
    assert after["completed"] > before["completed"]
    assert after["queue_delay_count"] > before["queue_delay_count"]
    assert after["queue_delay_seconds_sum"] >= before["queue_delay_seconds_sum"]
    m = d.metrics()
    assert m.value("httpd_worker_pool_completed_total") >= after["completed"]
    assert m.value("httpd_worker_pool_size") == after["size"]


def test_generation_after_reload(start_daemon):
    """SIGHUP with a valid config makes the configuration generation 2 and sets last_reload in every format."""
    d = start_daemon()
    assert d.status_json()["config"] == {"generation": 1, "last_reload": None}
    before = int(time.time())
    d.signal(signal.SIGHUP)
    j = wait_for(d.status_json, lambda j: j["config"]["generation"] == 2)
    assert j["config"]["generation"] == 2
    assert isinstance(j["config"]["last_reload"], int)
    assert before <= j["config"]["last_reload"] <= int(time.time())
    m = d.metrics()
    assert m.value("httpd_config_generation") == 2
    assert m.value("httpd_config_last_reload_timestamp_seconds") == j["config"]["last_reload"]
    a = d.status_auto()
    assert a["ParentServerConfigGeneration"] == "2"
    assert a["ParentServerMPMGeneration"] == "1"
    assert j["pid"] == d.worker_pid  # same process after the reload


def test_failed_reload_keeps_generation(start_daemon):
    """A SIGHUP with an invalid config leaves generation 1 and serving intact; the next valid reload makes it 2."""
    d = start_daemon()
    good = d.conf.read_text()
    d.conf.write_text(good + "StatusAllow 10.0.0.0/33\n")
    d.signal(signal.SIGHUP)
    time.sleep(0.3)
    j = d.status_json()
    assert j["config"] == {"generation": 1, "last_reload": None}
    d.conf.write_text(good)
    d.signal(signal.SIGHUP)
    j = wait_for(d.status_json, lambda j: j["config"]["generation"] != 1)
    assert j["config"]["generation"] == 2  # the bad reload, handled first, did not count


def test_reload_applies_new_status_allow_and_paths(start_daemon):
    """After a SIGHUP, a changed StatusAllow and MetricsPath take effect."""
    d = start_daemon()
    assert d.fetch("/metrics").status == 200
    d.conf.write_text(d.conf.read_text() + "StatusAllow 127.0.0.2\nMetricsPath /prom\n")
    d.signal(signal.SIGHUP)
    wait_for(lambda: d.fetch("/prom", source="127.0.0.2").status, lambda code: code == 200)
    assert d.fetch("/prom", source="127.0.0.2").status == 200
    assert d.fetch("/prom", source="127.0.0.1").status == 403
    assert d.fetch("/server-status?auto", source="127.0.0.1").status == 403
    assert d.fetch("/metrics", source="127.0.0.2").status == 404
    assert d.fetch("/server-status?format=json", source="127.0.0.2").json()["config"]["generation"] == 2


def test_uptime_moves(start_daemon):
    """After 1.2 s the uptime is at least 1 s in every format, and ?auto's Uptime equals ServerUptimeSeconds."""
    d = start_daemon()
    time.sleep(1.2)
    j = d.status_json()
    assert j["uptime_seconds"] >= 1
    a = d.status_auto()
    assert int(a["ServerUptimeSeconds"]) >= 1
    assert a["Uptime"] == a["ServerUptimeSeconds"]
    assert a["ServerUptime"].endswith(" seconds") or a["ServerUptime"].endswith(" second")


def test_inetd_mode(tmp_path, procs):
    """Run with -i on an accepted TCP socket, the status JSON says mode inetd."""
    site = Site(tmp_path / "site")
    site.write_conf(lines=["DocumentRoot www"])
    c, proc = tcp_child(procs, site, flag="-i", stdout=subprocess.DEVNULL)
    with c:
        r = c.get("/server-status?format=json", close=True)
        assert r.status == 200
        j = r.json()
        assert (j["mode"], j["pid"], j["ppid"]) == ("inetd", proc.pid, os.getpid())
        # No master: no master_pid, no restart, the one process that serves.
        assert "master_pid" not in j and j["worker_restarts"] == 0
        assert j["worker_processes"] == [{"slot": 0, "pid": proc.pid, "start_time": j["start_time"], "restarts": 0}]
        c.expect_closed(TIMEOUT)
        assert exit_within(proc, TIMEOUT) == 0


def test_mode_pid_and_ppid(start_daemon):
    """In the foreground the mode is standalone, pid is the worker's and ppid its master's (the process started)."""
    d = start_daemon()
    j = d.status_json()
    assert (j["mode"], j["pid"], j["ppid"]) == ("standalone", d.worker_pid, d.pid)
    m = d.metrics()
    assert m.value("httpd_info", version="0.1.0", mode="standalone") == 1
    assert m.value("httpd_process_id") == d.worker_pid
    assert m.value("httpd_parent_process_id") == d.pid
    assert m.value("process_start_time_seconds") == j["start_time"]


def test_histogram_count_matches_requests(start_daemon):
    """The duration histogram's _count and +Inf bucket equal the sum of httpd_requests_total; buckets are cumulative."""
    d = start_daemon()
    for target in ("/index.html", "/missing", "/index.html", "/healthz", "/readyz"):
        d.fetch(target)
    m = d.metrics()
    total = sum(v for _, v in m.values("httpd_requests_total"))
    assert total == 5
    assert sorted((l["code"], v) for l, v in m.values("httpd_requests_total")) == [("200", 4), ("404", 1)]
    assert m.value("httpd_request_duration_seconds_count") == total
    buckets = m.values("httpd_request_duration_seconds_bucket")
    assert buckets[-1] == ({"le": "+Inf"}, total)
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)
    assert m.value("httpd_response_body_bytes_total") == 2 * len(INDEX_BODY) + len(d.fetch("/missing").body) + 3 + 6


def test_idle_keepalive_connection_counts_as_waiting(start_daemon):
    """An idle keep-alive connection shows as waiting (json), ConnsAsyncKeepAlive and a K in the scoreboard."""
    d = start_daemon()
    with d.client() as idle:
        assert idle.get("/index.html").status == 200
        j = wait_for(d.status_json, lambda j: j["connections"]["waiting"] >= 1)
        assert j["connections"]["waiting"] == 1
        a = wait_for(d.status_auto, lambda a: a["ConnsAsyncKeepAlive"] != "0")
        assert int(a["ConnsAsyncKeepAlive"]) == 1
        assert "K" in a["Scoreboard"] and len(a["Scoreboard"]) == 16
        m = d.metrics()
        assert m.value("httpd_connections", state="waiting") == 1


def test_half_sent_head_counts_as_reading(start_daemon):
    """A connection with half a request head sent shows as reading (json, metrics) and an R in the scoreboard."""
    d = start_daemon()
    with d.client() as slow:
        slow.send(b"GET /index.html HTTP/1.1\r\nHost: local")
        j = wait_for(d.status_json, lambda j: j["connections"]["reading"] >= 1)
        assert j["connections"]["reading"] == 1
        a = d.status_auto()
        assert "R" in a["Scoreboard"]
        assert int(a["BusyWorkers"]) >= 2  # the reader and the status request itself
        m = d.metrics()
        assert m.value("httpd_connections", state="reading") == 1
        # The request completes normally afterwards.
        slow.send(b"host\r\n\r\n")
        assert slow.read_response().body == INDEX_BODY
