"""Monitoring: real tools read our output unchanged (promtool, prometheus-apache-exporter)."""

from __future__ import annotations

import signal
import subprocess
import time


from httpdkit import ConnectionClosed, fetch, free_port, parse_exposition, program


def test_promtool_accepts_metrics(start_daemon):
    """`promtool check metrics` accepts /metrics (exit 0, no complaints), fresh and after 200s and 404s were counted."""
    promtool = program("promtool")
    d = start_daemon()
    fresh = d.fetch("/metrics")  # no response counted yet: httpd_requests_total has no samples
    assert fresh.status == 200
    p = subprocess.run([promtool, "check", "metrics"], input=fresh.body, capture_output=True, timeout=30)
    assert (p.returncode, p.stdout, p.stderr) == (0, b"", b"")
    for target in ("/index.html", "/missing", "/healthz", "/server-status?auto"):
        d.fetch(target)
    r = d.fetch("/metrics")
    assert r.status == 200
    assert 'httpd_requests_total{code="404"} 1' in r.text
    p = subprocess.run([promtool, "check", "metrics"], input=r.body, capture_output=True, timeout=30)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert p.stdout.decode().strip() == "" and p.stderr.decode().strip() == "", (p.stdout, p.stderr)


def fetch_exporter(port: int) -> str:
    r = fetch(port, "/metrics", chunked=True)  # Go's net/http may send a chunked body
    assert r.status == 200, r.status_line
    return r.text


def test_apache_exporter_reads_auto(start_daemon, tmp_path):
    """prometheus-apache-exporter scrapes ?auto: apache_up 1, accesses equal our Total Accesses, info, workers and scoreboard."""
    exporter = program("prometheus-apache-exporter")
    d = start_daemon()
    for target in ("/index.html", "/index.html", "/missing"):
        d.fetch(target)
    port = free_port()
    log = open(tmp_path / "exporter.log", "wb")
    proc = subprocess.Popen([exporter, f"--scrape_uri=http://127.0.0.1:{d.port}/server-status?auto",
                             f"--telemetry.address=127.0.0.1:{port}"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                text = fetch_exporter(port)
                break
            except (ConnectionRefusedError, ConnectionResetError, ConnectionClosed):
                assert proc.poll() is None, (tmp_path / "exporter.log").read_text()
                assert time.monotonic() < deadline, "exporter did not listen within 10 s"
                time.sleep(0.1)
        m = parse_exposition(text)
        assert m.value("apache_up") == 1, text
        assert m.value("apache_info", mpm="event", version="httpd/0.1.0") == 1
        # The exporter made one ?auto request for this scrape: it saw the 3 responses above.
        assert m.value("apache_accesses_total") == 3
        assert m.value("apache_sent_kilobytes_total") == 0
        states = {l["state"]: v for l, v in m.values("apache_workers")}
        assert set(states) == {"busy", "idle"}
        assert states["busy"] == 1 and states["idle"] == 15
        scoreboard = {l["state"]: v for l, v in m.values("apache_scoreboard")}
        assert scoreboard["reply"] == 1 and scoreboard["idle"] == 15  # W is reply, _ idle (waiting for connection)
        assert sum(scoreboard.values()) == 16
        assert m.value("apache_uptime_seconds_total") >= 0
        conns = {l["state"]: v for l, v in m.values("apache_connections")}
        assert conns == {"total": 1, "writing": 1, "keepalive": 0, "closing": 0}
        assert {l["state"]: v for l, v in m.values("apache_processes")} == {"all": 1, "stopping": 0}
        generations = {l["type"]: v for l, v in m.values("apache_generation")}
        assert generations == {"config": 1, "mpm": 0}
        # A second scrape sees the first one's response counted too.
        m2 = parse_exposition(fetch_exporter(port))
        assert m2.value("apache_accesses_total") == 4
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
