"""Monitoring: the shape of /server-status (HTML, ?auto, JSON), /metrics, and StatusAllow."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

from httpdkit import (AUTO_KEYS, INDEX_BODY, error_body, has_ipv6_loopback, parse_auto, parse_exposition, program, run_httpd,
                      wait_for)

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
INTEGER = re.compile(r"^\d+$")


def test_status_html(start_daemon):
    """GET /server-status is an HTML page (no-store) with a table of version, mode, PID/PPID and counters rounded
    for reading, then a section for the site with its totals and two inline SVG charts; no script, no refresh."""
    d = start_daemon()
    with d.client() as c:
        for target in ("/index.html", "/index.html", "/missing"):
            c.get(target)
    r = d.fetch("/server-status")
    assert r.status_line == "HTTP/1.1 200 OK"
    assert r.get("Content-Type") == "text/html; charset=utf-8"
    assert r.get("Cache-Control") == "no-store"
    assert r.get("Content-Length") == str(len(r.body))
    page = r.text
    assert page.startswith("<!DOCTYPE html>")
    assert "<table>" in page and "</table>" in page
    assert "<th>Version</th><td>httpd/0.1.0</td>" in page
    assert "<th>Mode</th><td>standalone</td>" in page
    assert f"<th>Master</th><td>pid {d.pid}, 0 workers replaced</td>" in page
    # The worker processes' table: slot, PID, start (local time), restarts before it.
    workers = re.search(r'<section class="workers">\n<h2>Worker processes</h2>\n<table>\n'
                        r"<tr><th>Slot</th><th>PID</th><th>Started</th><th>Restarts before it</th></tr>\n"
                        r"<tr><td>0</td><td>(\d+)</td><td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+)</td><td>0</td></tr>\n"
                        r"</table>\n</section>\n", page)
    assert workers and int(workers[1]) == d.worker_pid, page
    assert f"<td>{d.worker_pid} / {d.pid}</td>" in page
    for label in ("Uptime", "Configuration generation", "Active connections", "Requests", "Bytes sent",
                  "Worker pool", "Resident memory", "CPU time"):
        assert f"<th>{label}</th>" in page, label
    assert 'http-equiv="refresh"' not in page
    assert "<script" not in page
    # Numbers rounded for reading: `0 s`, `13.2 MiB`, `user 11.7 ms, system 0 s`, `862 B (bodies 235 B)`.
    rows = dict(re.findall(r"<tr><th>([^<]+)</th><td>([^<]*)</td></tr>", page[:page.index("</table>")]))
    assert re.fullmatch(r"\d+ s", rows["Uptime"]), rows["Uptime"]
    assert re.fullmatch(r"\d+(\.\d)? MiB", rows["Resident memory"]), rows["Resident memory"]
    duration = r"(0 s|\d+(\.\d)? (µs|ms|s))"
    assert re.fullmatch(f"user {duration}, system {duration}", rows["CPU time"]), rows["CPU time"]
    assert re.fullmatch(duration, rows["Mean request duration"]), rows["Mean request duration"]
    assert rows["Requests"] == "3 (1xx 0, 2xx 2, 3xx 0, 4xx 1, 5xx 0)"
    assert rows["Active connections"] == "1 (reading 0, writing 1, waiting 0, closing 0) of 16"
    bodies = 2 * len(INDEX_BODY) + len(error_body(404))
    assert re.fullmatch(rf"\d{{3}} B \(bodies {bodies} B\)", rows["Bytes sent"]), rows["Bytes sent"]
    # The site's section: its name, root and totals, then the two charts.
    assert '<section class="site">\n<h2>Site default</h2>\n' in page
    assert f"<tr><th>Document root</th><td>{d.root}</td></tr>" in page
    assert "<tr><th>Last 15 minutes</th><td>3 requests; peak " in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart rate" width="640" height="160" ') == 1
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart durations" width="640" height="248" ') == 1
    assert ">15 min ago</text>" in page and ">now</text>" in page
    assert "&gt;10 s</text>" in page and ">≤1 ms</text>" in page
    assert len(r.body) < 16 * 1024, len(r.body)


def test_status_html_refresh(start_daemon):
    """/server-status?refresh=5 adds <meta http-equiv="refresh" content="5">."""
    d = start_daemon()
    r = d.fetch("/server-status?refresh=5")
    assert r.status == 200 and r.get("Content-Type") == "text/html; charset=utf-8"
    assert '<meta http-equiv="refresh" content="5">' in r.text


def test_status_head(start_daemon):
    """HEAD on the status page, ?auto, JSON and /metrics: 200 with the GET headers and no body."""
    d = start_daemon()
    with d.client() as c:
        for target, ctype in (("/server-status", "text/html; charset=utf-8"),
                              ("/server-status?auto", "text/plain; charset=utf-8"),
                              ("/server-status?format=json", "application/json"),
                              ("/metrics", "text/plain; version=0.0.4; charset=utf-8")):
            r = c.get(target, method="HEAD")
            assert r.status_line == "HTTP/1.1 200 OK", target
            assert r.get("Content-Type") == ctype, target
            assert r.get("Cache-Control") == "no-store", target
            assert int(r.get("Content-Length")) > 0, target
        # Nothing was sent after the heads: the next response follows directly.
        r = c.get("/healthz")
        assert r.status == 200 and r.body == b"ok\n"


def test_status_auto_shape(start_daemon):
    """?auto is text/plain: `localhost`, then Apache mod_status's keys in Apache's order with well-formed values."""
    d = start_daemon()
    r = d.fetch("/server-status?auto")
    assert r.status_line == "HTTP/1.1 200 OK"
    assert r.get("Content-Type") == "text/plain; charset=utf-8"
    assert r.get("Cache-Control") == "no-store"
    pairs = parse_auto(r.text)
    # Apache's keys, then httpd's own: the master's PID and the workers it replaced.
    assert [k for k, _ in pairs] == AUTO_KEYS + ["MasterPID", "WorkerRestarts"]
    a = dict(pairs)
    assert a["ServerVersion"] == "httpd/0.1.0"
    assert a["ServerMPM"] == "event"
    assert a["ParentServerConfigGeneration"] == "1"
    assert a["ParentServerMPMGeneration"] == "0"
    assert a["Processes"] == "1"
    assert a["Stopping"] == "0"
    assert a["GracefulWorkers"] == "0"
    assert a["CPUChildrenUser"] == "0" and a["CPUChildrenSystem"] == "0"
    assert a["Total Accesses"] == "0"
    assert a["Total kBytes"] == "0"
    for key in ("ServerUptimeSeconds", "Uptime", "Total Duration", "BusyWorkers", "IdleWorkers", "ConnsTotal",
                "ConnsAsyncWriting", "ConnsAsyncKeepAlive", "ConnsAsyncClosing"):
        assert INTEGER.match(a[key]), (key, a[key])
    for key in ("Load1", "Load5", "Load15", "CPUUser", "CPUSystem", "CPULoad", "ReqPerSec", "BytesPerSec",
                "BytesPerReq", "DurationPerReq"):
        assert NUMBER.match(a[key]), (key, a[key])
    assert re.match(r"^\d+ seconds?$|^\d+ minutes? ", a["ServerUptime"]), a["ServerUptime"]
    for key in ("CurrentTime", "RestartTime"):  # e.g. Wednesday, 25-Nov-2026 14:41:19 UTC
        assert re.match(r"^[A-Z][a-z]+day, \d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} \S+$", a[key]), a[key]
    # The status request itself is the one connection, writing; MaxConnections 16 slots.
    assert a["ConnsTotal"] == "1" and a["ConnsAsyncWriting"] == "1" and a["BusyWorkers"] == "1"
    assert a["IdleWorkers"] == "15"
    assert a["Scoreboard"] == "W" + "_" * 15
    assert (a["MasterPID"], a["WorkerRestarts"]) == (str(d.pid), "0")


def test_status_json_shape(start_daemon):
    """?format=json is application/json with every documented key, of the right types."""
    d = start_daemon()
    r = d.fetch("/server-status?format=json")
    assert r.status_line == "HTTP/1.1 200 OK"
    assert r.get("Content-Type") == "application/json"
    assert r.get("Cache-Control") == "no-store"
    j = r.json()
    assert set(j) == {"version", "mode", "pid", "ppid", "master_pid", "start_time", "uptime_seconds", "worker_restarts",
                      "worker_processes", "draining", "config", "connections", "requests", "bytes",
                      "request_duration_seconds", "workers", "process", "sites"}
    assert j["version"] == "0.1.0"
    assert j["mode"] == "standalone"
    assert j["pid"] == d.worker_pid
    assert j["ppid"] == d.pid
    assert j["master_pid"] == d.pid
    assert j["draining"] is False
    assert isinstance(j["start_time"], int) and abs(j["start_time"] - time.time()) < 60
    assert isinstance(j["uptime_seconds"], int) and j["uptime_seconds"] >= 0
    assert j["config"] == {"generation": 1, "last_reload": None}
    assert j["worker_restarts"] == 0
    assert j["worker_processes"] == [{"slot": 0, "pid": d.worker_pid, "start_time": j["start_time"], "restarts": 0}]
    assert set(j["connections"]) == {
        "accepted", "handled", "active", "reading", "writing", "waiting", "closing", "max", "refused_per_client", "evicted",
        "dropped_under_pressure", "under_pressure",
    }
    assert j["connections"]["refused_per_client"] == 0 and j["connections"]["evicted"] == 0
    assert j["connections"]["dropped_under_pressure"] == 0 and j["connections"]["under_pressure"] is False
    assert j["connections"]["max"] == 16
    assert j["connections"]["accepted"] == 1 and j["connections"]["active"] == 1 and j["connections"]["writing"] == 1
    assert set(j["requests"]) == {"total", "by_class", "by_code"}
    assert j["requests"]["total"] == 0
    assert j["requests"]["by_class"] == {"1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}
    assert j["requests"]["by_code"] == {}
    assert j["bytes"] == {"body": 0, "response": 0}
    assert j["request_duration_seconds"] == {"sum": 0, "count": 0}
    assert set(j["workers"]) == {
        "size", "busy", "queued", "completed", "rejected", "skipped", "queue_delay_seconds_sum", "queue_delay_count"
    }
    assert j["workers"]["rejected"] == 0 and j["workers"]["skipped"] == 0
    assert j["workers"]["size"] == 4  # Workers default
    assert set(j["process"]) == {"resident_memory_bytes", "cpu_user_seconds", "cpu_system_seconds"}
    assert j["process"]["resident_memory_bytes"] > 1024 * 1024
    assert j["process"]["cpu_user_seconds"] >= 0 and j["process"]["cpu_system_seconds"] >= 0
    [site] = j["sites"]
    assert set(site) == {"name", "aliases", "root", "requests", "bytes", "request_duration_seconds", "rate"}
    assert (site["name"], site["aliases"], site["root"]) == ("default", [], str(d.root))
    assert site["requests"] == {"total": 0, "by_class": {"1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}, "by_code": {}}
    assert site["bytes"] == {"body": 0, "response": 0}
    bounds = ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
              "+Inf"]
    assert site["request_duration_seconds"] == {"sum": 0, "count": 0, "buckets": dict.fromkeys(bounds, 0)}
    assert list(site["request_duration_seconds"]["buckets"]) == bounds
    assert set(site["rate"]) == {"bucket_seconds", "elapsed_seconds", "counts"}
    assert site["rate"]["bucket_seconds"] == 5 and site["rate"]["counts"] == [0] * 180
    assert 0 <= site["rate"]["elapsed_seconds"] <= 5


FAMILIES = {
    "httpd_info": "gauge", "httpd_process_id": "gauge", "httpd_parent_process_id": "gauge", "httpd_draining": "gauge",
    "httpd_config_generation": "gauge", "httpd_config_last_reload_timestamp_seconds": "gauge",
    "httpd_master_process_id": "gauge", "httpd_worker_restarts_total": "counter", "httpd_worker_start_time_seconds": "gauge",
    "httpd_connections_accepted_total": "counter", "httpd_connections_handled_total": "counter",
    "httpd_connections": "gauge", "httpd_connections_max": "gauge", "httpd_requests_total": "counter",
    "httpd_response_bytes_total": "counter", "httpd_response_body_bytes_total": "counter",
    "httpd_request_duration_seconds": "histogram", "httpd_worker_pool_size": "gauge",
    "httpd_worker_pool_busy": "gauge", "httpd_worker_pool_queued": "gauge",
    "httpd_worker_pool_completed_total": "counter", "httpd_worker_pool_queue_delay_seconds": "summary",
    "httpd_worker_pool_rejected_total": "counter", "httpd_worker_pool_skipped_total": "counter",
    "httpd_connections_refused_total": "counter", "httpd_connections_evicted_total": "counter",
    "httpd_connections_dropped_total": "counter", "httpd_under_pressure": "gauge",
    "process_start_time_seconds": "gauge", "process_resident_memory_bytes": "gauge",
    "process_cpu_seconds_total": "counter",
    "httpd_site_requests_total": "counter", "httpd_site_responses_total": "counter",
    "httpd_site_response_bytes_total": "counter", "httpd_site_response_body_bytes_total": "counter",
    "httpd_site_request_duration_seconds": "histogram",
}


def test_metrics_shape(start_daemon):
    """/metrics is Prometheus text 0.0.4 with the documented families, types and labels."""
    d = start_daemon()
    assert d.fetch("/index.html").status == 200
    r = d.fetch("/metrics")
    assert r.status_line == "HTTP/1.1 200 OK"
    assert r.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    assert r.get("Cache-Control") == "no-store"
    m = parse_exposition(r.text)
    assert m.types == FAMILIES
    assert set(m.helps) == set(FAMILIES)
    assert m.value("httpd_info", version="0.1.0", mode="standalone") == 1
    assert m.value("httpd_process_id") == d.worker_pid
    assert m.value("httpd_parent_process_id") == d.pid
    assert m.value("httpd_master_process_id") == d.pid
    assert m.value("httpd_worker_restarts_total") == 0
    assert m.values("httpd_worker_start_time_seconds") == [({"slot": "0"}, m.value("process_start_time_seconds"))]
    assert m.value("httpd_draining") == 0
    assert m.value("httpd_config_generation") == 1
    start = m.value("process_start_time_seconds")
    assert abs(start - time.time()) < 60
    assert m.value("httpd_config_last_reload_timestamp_seconds") == start
    assert m.value("httpd_connections_accepted_total") == 2
    assert sorted(l["state"] for l, _ in m.values("httpd_connections")) == ["closing", "reading", "waiting", "writing"]
    assert m.value("httpd_connections", state="writing") == 1
    assert m.value("httpd_connections_max") == 16
    assert m.values("httpd_requests_total") == [({"code": "200"}, 1)]
    assert m.value("httpd_response_body_bytes_total") == 64
    assert m.value("httpd_response_bytes_total") > 64
    buckets = m.values("httpd_request_duration_seconds_bucket")
    assert buckets[-1][0] == {"le": "+Inf"} and buckets[-1][1] == 1
    bounds = [float(l["le"]) for l, _ in buckets]
    assert bounds == sorted(bounds) and len(bounds) >= 5
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert m.value("httpd_request_duration_seconds_count") == 1
    assert m.value("httpd_request_duration_seconds_sum") >= 0
    assert m.value("httpd_worker_pool_size") == 4
    assert m.value("httpd_worker_pool_busy") == 0 and m.value("httpd_worker_pool_queued") == 0
    assert m.value("httpd_worker_pool_completed_total") >= 1
    assert m.value("httpd_worker_pool_rejected_total") == 0 and m.value("httpd_worker_pool_skipped_total") == 0
    assert m.value("httpd_worker_pool_queue_delay_seconds_count") >= 1
    assert m.value("httpd_worker_pool_queue_delay_seconds_sum") >= 0
    assert m.value("process_resident_memory_bytes") > 1024 * 1024
    assert m.value("process_cpu_seconds_total") >= 0
    assert m.values("httpd_site_requests_total") == [({"site": "default"}, 1)]
    assert m.values("httpd_site_responses_total") == [({"site": "default", "code": "200"}, 1)]
    assert m.value("httpd_site_response_body_bytes_total", site="default") == 64
    assert m.value("httpd_site_response_bytes_total", site="default") == m.value("httpd_response_bytes_total")
    site_buckets = m.values("httpd_site_request_duration_seconds_bucket")
    assert [l for l, _ in site_buckets] == [{"site": "default", "le": l["le"]} for l, _ in buckets]
    assert [v for _, v in site_buckets] == [v for _, v in buckets]
    assert m.value("httpd_site_request_duration_seconds_count", site="default") == 1
    assert m.value("httpd_site_request_duration_seconds_sum", site="default") == m.value("httpd_request_duration_seconds_sum")


def test_site_counters_survive_a_reload(start_daemon):
    """The site's counters (requests by code, bytes, durations, the last 15 minutes' rate) count every response
    and keep counting across a SIGHUP reload, which changes the site's document root but not its name."""
    d = start_daemon()
    with d.client() as c:
        for target in ("/index.html", "/missing", "/index.html", "/index.html"):
            c.get(target)
    j = d.status_json()
    [site] = j["sites"]
    assert site["requests"]["by_code"] == {"200": 3, "404": 1}
    assert site["requests"]["total"] == j["requests"]["total"] == 4
    assert site["bytes"]["body"] == 3 * len(INDEX_BODY) + len(error_body(404))
    assert site["bytes"] == j["bytes"]
    assert sum(site["rate"]["counts"]) == 4
    (d.dir / "www2").mkdir()
    (d.dir / "www2" / "index.html").write_bytes(b"second\n")
    d.conf.write_text(d.conf.read_text().replace("DocumentRoot www\n", "DocumentRoot www2\n"))
    d.signal(signal.SIGHUP)
    j = wait_for(d.status_json, lambda j: j["config"]["generation"] == 2)
    assert d.fetch("/index.html").body == b"second\n"
    j = d.status_json()
    [site] = j["sites"]
    assert (site["name"], site["root"]) == ("default", str(d.dir / "www2"))
    # Every response since the start: the 4 above, the status requests, the new index.html.
    assert site["requests"]["total"] == j["requests"]["total"] > 5
    assert site["requests"]["by_code"]["404"] == 1
    assert site["requests"]["by_code"]["200"] == j["requests"]["by_code"]["200"]
    assert site["request_duration_seconds"]["count"] == j["request_duration_seconds"]["count"]
    assert sum(site["rate"]["counts"]) == site["requests"]["total"]


VHOSTS = ["<VirtualHost *>", "ServerName a.example", "ServerAlias www.a.example", "DocumentRoot www/a", "</VirtualHost>",
          "<VirtualHost *>", "ServerName b.example", "DocumentRoot www/b", "</VirtualHost>"]


def test_each_virtual_host_counts_its_own_responses(server):
    """With two <VirtualHost> sites, each counts the responses it gave (by its name or alias), the main server
    (`default`) the monitoring ones; JSON, /metrics (accepted by promtool) and the HTML page show every site; a
    reload that drops one site and adds another keeps the counters of the one still there."""
    srv = server(conf_lines=VHOSTS, files={"a/index.html": "A\n", "b/index.html": "B\n"})
    with srv.client() as c:
        for host, target, body in (("a.example", "/", b"A\n"), ("www.a.example", "/", b"A\n"),
                                   ("A.Example", "/missing", None), ("b.example", "/", b"B\n")):
            r = c.request(f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n")
            assert (r.status, r.body if body else None) == ((200, body) if body else (404, None)), (host, r.status_line)
    j = srv.status_json()
    assert [(s["name"], s["aliases"], s["root"]) for s in j["sites"]] == [
        ("default", [], str(srv.root)), ("a.example", ["www.a.example"], str(srv.root / "a")),
        ("b.example", [], str(srv.root / "b"))]
    assert [s["requests"]["by_code"] for s in j["sites"]] == [{}, {"200": 2, "404": 1}, {"200": 1}]
    assert [sum(s["rate"]["counts"]) for s in j["sites"]] == [0, 3, 1]
    metrics = srv.fetch("/metrics")
    p = subprocess.run([program("promtool"), "check", "metrics"], input=metrics.body, capture_output=True, timeout=30)
    assert (p.returncode, p.stdout, p.stderr) == (0, b"", b""), (p.stdout, p.stderr)
    m = parse_exposition(metrics.text)
    assert m.values("httpd_site_requests_total") == [({"site": "default"}, 1), ({"site": "a.example"}, 3),
                                                      ({"site": "b.example"}, 1)]
    assert m.value("httpd_site_responses_total", site="a.example", code="404") == 1
    assert m.value("httpd_site_request_duration_seconds_count", site="b.example") == 1
    page = srv.fetch("/server-status").text
    assert re.findall(r"<h2>Site ([^<]+)</h2>", page) == ["default", "a.example", "b.example"]
    assert page.count("<svg ") == 6
    assert "<tr><th>Aliases</th><td>www.a.example</td></tr>" in page
    assert "<tr><th>Requests</th><td>3 (1xx 0, 2xx 2, 3xx 0, 4xx 1, 5xx 0)</td></tr>" in page

    (srv.root / "c").mkdir()
    srv.conf.write_text(srv.conf.read_text().replace("b.example", "c.example").replace("www/b", "www/c"))
    srv.signal(signal.SIGHUP)
    j = wait_for(srv.status_json, lambda j: j["config"]["generation"] == 2)
    assert [s["name"] for s in j["sites"]] == ["default", "a.example", "c.example"]
    assert j["sites"][1]["requests"]["by_code"] == {"200": 2, "404": 1}
    assert j["sites"][2]["requests"]["total"] == 0 and j["sites"][2]["root"] == str(srv.root / "c")


STATUS_TARGETS = ("/server-status", "/server-status?auto", "/server-status?format=json", "/metrics")


def test_status_allow_forbids_other_addresses(start_daemon):
    """With `StatusAllow 127.0.0.1`, a client from 127.0.0.2 gets 403 on status and metrics but 200 on health and ready."""
    d = start_daemon("StatusAllow 127.0.0.1")
    for target in STATUS_TARGETS:
        assert d.fetch(target, source="127.0.0.2").status_line == "HTTP/1.1 403 Forbidden", target
        assert d.fetch(target, source="127.0.0.1").status == 200, target
    assert d.fetch("/healthz", source="127.0.0.2").status == 200
    assert d.fetch("/readyz", source="127.0.0.2").status == 200
    assert d.fetch("/index.html", source="127.0.0.2").status == 200


def test_status_allow_cidr(start_daemon):
    """With `StatusAllow 127.0.0.2/32`, 127.0.0.2 is allowed and 127.0.0.1 gets 403."""
    d = start_daemon("StatusAllow 127.0.0.2/32")
    for target in STATUS_TARGETS:
        assert d.fetch(target, source="127.0.0.2").status == 200, target
        assert d.fetch(target, source="127.0.0.1").status_line == "HTTP/1.1 403 Forbidden", target


def test_status_allow_default_is_loopback(start_daemon):
    """By default all of 127.0.0.0/8 may read the status (127.0.0.2 included)."""
    d = start_daemon()
    for target in STATUS_TARGETS:
        assert d.fetch(target, source="127.0.0.2").status == 200, target


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_status_allow_default_includes_ipv6_loopback(start_daemon):
    """By default ::1 may read the status; `StatusAllow 127.0.0.1` alone forbids it."""
    d = start_daemon(listen=["[::1]:0"])
    assert d.fetch("/metrics", host="::1").status == 200
    d2 = start_daemon("StatusAllow 127.0.0.1", listen=["[::1]:0"])
    assert d2.fetch("/metrics", host="::1").status == 403
    assert d2.fetch("/healthz", host="::1").status == 200


def test_status_allow_all(start_daemon):
    """`StatusAllow all` lets every address in (127.0.0.2 with a 127.0.0.1-only list added alongside)."""
    d = start_daemon("StatusAllow 127.0.0.1 all")
    assert d.fetch("/server-status?auto", source="127.0.0.2").status == 200


@pytest.mark.parametrize("value", ["300.1.1.1", "10.0.0.0/33", "localhost"])
def test_status_allow_bad_value_fails_check(tmp_path, value):
    """A bad StatusAllow value makes `httpd -t` exit 1 with `CONF:LINE: ...`."""
    (tmp_path / "www").mkdir()
    conf = tmp_path / "bad.conf"
    conf.write_text(f"DocumentRoot www\n# comment\nStatusAllow {value}\n")
    p = run_httpd("-t", "-f", conf, text=True)
    assert p.returncode == 1
    assert f"{conf}:3: " in p.stderr
    assert value in p.stderr
