"""The access log read by a real log analyzer: GoAccess (Debian's goaccess, installed by `make test`)
parses httpd's Combined and Common lines with its stock COMBINED/COMMON formats and counts exactly what was sent."""

from __future__ import annotations

import json
import subprocess

import pytest

from httpdkit import program, request_closing, wait_lines


def traffic(port: int) -> int:
    """Seven requests: five 200s (one HEAD), two 404s, from two user agents, one with a referer.
    Returns the length of the 404 body."""
    close = b"Connection: close\r\n"
    for _ in range(3):
        request_closing(port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\nUser-Agent: curl/8.0\r\n" + close + b"\r\n")
    request_closing(port, b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\n" + close + b"\r\n")
    request_closing(port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\nReferer: http://ref.example/page\r\n"
                      b'User-Agent: Mozilla/5.0 (X11; Linux x86_64) "quoted"\r\n' + close + b"\r\n")
    for _ in range(2):
        resp = request_closing(port, b"GET /missing HTTP/1.1\r\nHost: t\r\n" + close + b"\r\n")
        assert resp.status == 404
    return len(resp.body)


def analyze(log, fmt: str) -> dict:
    """GoAccess's JSON report for LOG read with its predefined FMT (COMBINED or COMMON)."""
    r = subprocess.run([program("goaccess"), str(log), f"--log-format={fmt}", "--no-global-config", "-o", "json"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("fmt", ["combined", "common"])
def test_goaccess_reads_the_access_log(sites, fmt):
    """GoAccess parses every line (no invalid ones) and counts the requests, statuses, visitors and bytes sent."""
    site = sites(extra=[f"AccessLog logs/access.log {fmt}"])
    site.start()
    body404 = traffic(site.port)
    lines = wait_lines(site.access_log, 7, 2.0)
    assert len(lines) == 7, lines
    report = analyze(site.access_log, fmt.upper())
    general = report["general"]
    assert general["total_requests"] == 7
    assert general["valid_requests"] == 7
    assert general["failed_requests"] == 0
    # GoAccess counts a visitor per address, day and user agent: curl, the Mozilla agent and none
    # in combined lines; common lines carry no agent, so there all requests are one visitor.
    assert general["unique_visitors"] == (3 if fmt == "combined" else 1)
    # 4 GETs of the 6-byte file; HEAD sends no body; two 404 bodies.
    assert general["bandwidth"] == 4 * 6 + 2 * body404
    codes = {item["data"]: item["hits"]["count"] for item in report["status_codes"]["data"]}
    assert codes == {"2xx Success": 5, "4xx Client Errors": 2}
    if fmt == "combined":
        referrers = [item["data"] for item in report["referring_sites"]["data"]]
        assert referrers == ["ref.example"]
