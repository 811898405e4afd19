"""Monitoring: HealthPath and ReadyPath, draining after SIGTERM, configurable endpoint paths."""

from __future__ import annotations

import signal
import time

from httpdkit import INDEX_BODY, TIMEOUT, connection_refused


def assert_plain(r, status_line: str, body: bytes, head: bool = False):
    assert r.status_line == status_line
    assert r.get("Content-Type") == "text/plain; charset=utf-8"
    assert r.get("Cache-Control") == "no-store"
    assert r.get("Content-Length") == str(len(body))
    assert r.body == (b"" if head else body)


def test_health_get(start_daemon):
    """GET /healthz is 200 `ok\\n`, text/plain, no-store, Content-Length 3."""
    d = start_daemon()
    assert_plain(d.fetch("/healthz"), "HTTP/1.1 200 OK", b"ok\n")


def test_health_head_sends_no_body(start_daemon):
    """HEAD /healthz has GET's headers and no body (the next response on the connection follows at once)."""
    d = start_daemon()
    with d.client() as c:
        assert_plain(c.get("/healthz", method="HEAD"), "HTTP/1.1 200 OK", b"ok\n", head=True)
        assert_plain(c.get("/healthz"), "HTTP/1.1 200 OK", b"ok\n")


def test_health_does_not_touch_the_disk(start_daemon):
    """With the DocumentRoot renamed away after start, /healthz stays 200 while /index.html is 404."""
    d = start_daemon("FileCacheValidity 0")  # no open-file cache: /index.html is looked up on disk each time
    assert d.fetch("/index.html").body == INDEX_BODY
    (d.dir / "www").rename(d.dir / "www-gone")
    assert d.fetch("/index.html").status == 404
    assert_plain(d.fetch("/healthz"), "HTTP/1.1 200 OK", b"ok\n")
    assert_plain(d.fetch("/readyz"), "HTTP/1.1 200 OK", b"ready\n")
    # Status and metrics are served from memory too.
    assert d.status_auto()["ServerVersion"] == "httpd/0.1.0"
    assert d.metrics().value("httpd_requests_total", code="404") == 1


def test_health_and_status_do_not_use_the_worker_pool(start_daemon):
    """Health, readiness, status and metrics requests leave the worker pool's completed count unchanged."""
    d = start_daemon()
    before = d.status_json()["workers"]["completed"]
    for target in ("/healthz", "/readyz", "/server-status", "/server-status?auto", "/metrics") * 3:
        assert d.fetch(target).status == 200, target
    assert d.fetch("/healthz", method="HEAD").status == 200
    assert d.status_json()["workers"]["completed"] == before


def test_health_not_in_access_log(start_daemon):
    """By default /healthz and /readyz are not written to the access log; other requests are."""
    d = start_daemon("AccessLog access.log combined")
    assert d.fetch("/healthz").status == 200
    assert d.fetch("/readyz").status == 200
    assert d.fetch("/index.html").status == 200
    assert d.stop() == 0
    log = (d.dir / "access.log").read_text()
    lines = log.splitlines()
    assert len(lines) == 1, log
    assert '"GET /index.html HTTP/1.1" 200 ' in lines[0]


def test_health_logged_with_log_health_on(start_daemon):
    """With `LogHealth on`, /healthz requests are written to the access log."""
    d = start_daemon("AccessLog access.log combined\nLogHealth on")
    assert d.fetch("/healthz").status == 200
    assert d.fetch("/healthz", method="HEAD").status == 200
    assert d.stop() == 0
    lines = (d.dir / "access.log").read_text().splitlines()
    assert len(lines) == 2, lines
    assert '"GET /healthz HTTP/1.1" 200 3 ' in lines[0]
    assert '"HEAD /healthz HTTP/1.1" 200 ' in lines[1]


def test_ready_get_and_head(start_daemon):
    """GET /readyz is 200 `ready\\n` (text/plain, no-store); HEAD has the same headers and no body."""
    d = start_daemon()
    assert_plain(d.fetch("/readyz"), "HTTP/1.1 200 OK", b"ready\n")
    with d.client() as c:
        assert_plain(c.get("/readyz", method="HEAD"), "HTTP/1.1 200 OK", b"ready\n", head=True)
        assert_plain(c.get("/readyz"), "HTTP/1.1 200 OK", b"ready\n")


def test_drain_delay_keeps_serving_with_ready_503(start_daemon):
    """With DrainDelay 2, after SIGTERM /readyz is 503 `draining\\n`, the rest is served with Connection: close, then the listener closes and exit is 0."""
    d = start_daemon("DrainDelay 2")
    assert d.fetch("/readyz").status == 200
    d.signal(signal.SIGTERM)
    sent = time.monotonic()
    time.sleep(0.3)  # let the loop handle the signal
    assert_plain(d.fetch("/readyz"), "HTTP/1.1 503 Service Unavailable", b"draining\n")
    with d.client() as c:
        r = c.get("/readyz", method="HEAD")
        assert_plain(r, "HTTP/1.1 503 Service Unavailable", b"draining\n", head=True)
        assert r.get("Connection") == "close"
        c.expect_closed(TIMEOUT)
    assert_plain(d.fetch("/healthz"), "HTTP/1.1 200 OK", b"ok\n")
    with d.client() as c:  # a keep-alive request: answered, then closed
        r = c.get("/index.html")
        assert r.status == 200 and r.body == INDEX_BODY
        assert r.get("Connection") == "close"
        c.expect_closed(TIMEOUT)
    status = d.status_json()
    assert status["draining"] is True
    assert d.status_auto()["Stopping"] == "1"
    assert d.metrics().value("httpd_draining") == 1
    assert time.monotonic() - sent < 1.8, "the checks above took too long to be inside DrainDelay"
    # Still accepting until DrainDelay has passed, then refused.
    while not connection_refused(d.port):
        assert time.monotonic() - sent < 4.0, "listener still open 4 s after SIGTERM with DrainDelay 2"
        time.sleep(0.05)
    assert time.monotonic() - sent >= 1.9, "listener closed before DrainDelay elapsed"
    assert d.wait() == 0


def test_no_drain_delay_refuses_at_once(start_daemon):
    """With the default DrainDelay 0, new connections are refused right after SIGTERM and the exit status is 0."""
    d = start_daemon()
    assert d.fetch("/readyz").status == 200
    d.signal(signal.SIGTERM)
    sent = time.monotonic()
    while not connection_refused(d.port):
        assert time.monotonic() - sent < 2.0, "still accepting 2 s after SIGTERM with DrainDelay 0"
        time.sleep(0.02)
    assert d.wait() == 0


def test_custom_endpoint_paths(start_daemon):
    """HealthPath/ReadyPath/StatusPath/MetricsPath move the endpoints; the default paths become static (404)."""
    d = start_daemon("HealthPath /live\nReadyPath /ready\nStatusPath /status\nMetricsPath /prom")
    assert_plain(d.fetch("/live"), "HTTP/1.1 200 OK", b"ok\n")
    assert_plain(d.fetch("/ready"), "HTTP/1.1 200 OK", b"ready\n")
    r = d.fetch("/status?auto")
    assert r.status == 200 and r.text.startswith("localhost\nServerVersion: httpd/0.1.0\n")
    r = d.fetch("/prom")
    assert r.status == 200 and r.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8"
    assert "\nhttpd_requests_total{code=\"200\"} 3\n" in r.text
    for path in ("/healthz", "/readyz", "/server-status", "/server-status?auto", "/metrics"):
        assert d.fetch(path).status == 404, path


def test_endpoints_off_become_static_paths(start_daemon):
    """With every endpoint `off`, the default paths are plain static paths: files there are served, else 404."""
    d = start_daemon("HealthPath off\nReadyPath off\nStatusPath off\nMetricsPath off")
    (d.dir / "www" / "healthz").write_bytes(b"static health file\n")
    r = d.fetch("/healthz")
    assert r.status == 200 and r.body == b"static health file\n"
    assert r.get("Cache-Control") is None
    for path in ("/readyz", "/server-status", "/server-status?format=json", "/metrics"):
        assert d.fetch(path).status == 404, path
