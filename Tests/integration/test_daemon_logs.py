"""Daemon logs (issue 3): Apache Common/Combined access log lines byte for byte, flushed within a
second, the error log format, and reopening logs after a rename (SIGUSR1 / -s reopen / logrotate)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

from httpdkit import (
    CLF_TIME,
    ERROR_LOG_LINE,
    HOST,
    HTTPD_BIN,
    REPO,
    fetch,
    program,
    request_closing,
    wait_gone,
    wait_lines,
    wait_until,
    children_of,
)


def check_clf_time(stamp: str, t0: float, t1: float):
    """A %t stamp: local time within [t0, t1] and the local UTC offset as +hhmm."""
    parsed = time.strptime(stamp, "%d/%b/%Y:%H:%M:%S %z")
    assert int(t0) - 1 <= time.mktime(parsed[:8] + (-1,)) <= t1 + 1, (stamp, t0, t1)
    assert stamp[-5:] == time.strftime("%z", time.localtime(t0)), stamp


def request_set(port: int, etag_from: str = "/a.txt"):
    """The requests of the format tests; returns the bodies' lengths needed in the lines."""
    close = b"Connection: close\r\n"
    request_closing(port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\nReferer: http://ref/\r\n"
                          b'User-Agent: Mozilla "x" \\ y\r\n' + close + b"\r\n")
    request_closing(port, b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\n" + close + b"\r\n")
    body404 = request_closing(port, b"GET /missing?q=1 HTTP/1.1\r\nHost: t\r\nUser-Agent: caf\xe9\r\n"
                              + close + b"\r\n").body
    etag = request_closing(port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\n" + close + b"\r\n")["ETag"]
    status = request_closing(port, b"GET /a.txt HTTP/1.0\r\nIf-None-Match: " + etag.encode() + b"\r\n\r\n").status
    assert status == 304
    return len(body404)


def test_access_log_combined_format_exact(sites):
    """Combined lines are byte for byte Apache's: quotes/backslashes escaped, `-` for missing fields, HEAD and 304 log `-` bytes; flushed within 1.5 s."""
    site = sites()
    site.start()
    t0 = time.time()
    n404 = request_set(site.port)
    t1 = time.time()
    lines = wait_lines(site.access_log, 5, 1.5)
    assert len(lines) == 5, f"not flushed within 1.5 s: {lines}"
    stamps = []
    rest = []
    for line in lines:
        m = re.fullmatch(rb"127\.0\.0\.1 - - \[(" + CLF_TIME.encode() + rb")\] (.*)", line)
        assert m, line
        stamps.append(m.group(1).decode())
        rest.append(m.group(2))
    for s in stamps:
        check_clf_time(s, t0, t1)
    assert rest == [
        b'"GET /a.txt HTTP/1.1" 200 6 "http://ref/" "Mozilla \\"x\\" \\\\ y"',
        b'"HEAD /a.txt HTTP/1.1" 200 - "-" "-"',
        b'"GET /missing?q=1 HTTP/1.1" 404 ' + str(n404).encode() + b' "-" "caf\\xe9"',
        b'"GET /a.txt HTTP/1.1" 200 6 "-" "-"',
        b'"GET /a.txt HTTP/1.0" 304 - "-" "-"',
    ]


def test_access_log_common_format_exact(sites):
    """`AccessLog PATH common`: the same lines without Referer and User-Agent."""
    site = sites(extra=["AccessLog logs/access.log common"])
    site.start()
    t0 = time.time()
    n404 = request_set(site.port)
    lines = wait_lines(site.access_log, 5, 1.5)
    assert len(lines) == 5, f"not flushed within 1.5 s: {lines}"
    rest = []
    for line in lines:
        m = re.fullmatch(rb"127\.0\.0\.1 - - \[(" + CLF_TIME.encode() + rb")\] (.*)", line)
        assert m, line
        check_clf_time(m.group(1).decode(), t0, time.time())
        rest.append(m.group(2))
    assert rest == [
        b'"GET /a.txt HTTP/1.1" 200 6',
        b'"HEAD /a.txt HTTP/1.1" 200 -',
        b'"GET /missing?q=1 HTTP/1.1" 404 ' + str(n404).encode(),
        b'"GET /a.txt HTTP/1.1" 200 6',
        b'"GET /a.txt HTTP/1.0" 304 -',
    ]


def test_access_log_default_format_is_combined(sites):
    """`AccessLog PATH` without a format writes Combined lines."""
    site = sites(extra=["AccessLog logs/access.log"])
    site.start()
    fetch(site.port, "/a.txt", headers={"User-Agent": "agent", "Referer": "http://r/"})
    lines = wait_lines(site.access_log, 1, 1.5)
    assert len(lines) == 1 and lines[0].endswith(b'"GET /a.txt HTTP/1.1" 200 6 "http://r/" "agent"'), lines


def test_access_log_is_flushed_within_a_second_and_a_half_repeatedly(sites):
    """Each burst of requests reaches the file within ~1.5 s while the daemon keeps running."""
    site = sites()
    pid = site.start()
    for i in range(1, 4):
        fetch(site.port, "/a.txt")
        t = time.monotonic()
        lines = wait_lines(site.access_log, i, 2.0)
        assert len(lines) == i, f"line {i} not flushed"
        assert time.monotonic() - t <= 1.5
    assert not wait_gone(pid, 0)


def test_access_log_is_flushed_on_stop(sites):
    """Lines still buffered when SIGTERM arrives are written before the daemon exits."""
    site = sites()
    pid = site.start()
    for _ in range(3):
        fetch(site.port, "/a.txt")
    os.kill(pid, signal.SIGTERM)
    assert wait_gone(pid, 5)
    assert len(site.access_log.read_bytes().splitlines()) == 3


def test_error_log_format(sites):
    """Every error-log line is `[Www Mmm dd hh:mm:ss yyyy] [level] [pid N] message` in local time, with start, listen, stop."""
    site = sites()
    t0 = time.time()
    pid = site.start()
    worker = children_of(pid)[0]
    site.run("-s", "stop")
    assert wait_gone(pid, 5)
    t1 = time.time()
    lines = site.error_text().splitlines()
    assert lines, "empty error log"
    messages = []
    for line in lines:
        m = ERROR_LOG_LINE.match(line)
        assert m, f"bad error log line {line!r}"
        stamp = line[1:line.index("]")]
        when = time.mktime(time.strptime(stamp, "%a %b %d %H:%M:%S %Y"))
        assert int(t0) - 1 <= when <= t1 + 1, stamp
        assert int(m.group(9)) in (pid, worker)  # the master's lines and its worker's
        messages.append((m.group(8), m.group(10)))
    assert ("notice", f"listening on http://{HOST}:{site.port}/") in messages
    assert any(lvl == "notice" and re.match(rf"httpd \S+ started \(pid {worker}, worker\)", msg) for lvl, msg in messages)
    assert messages[-1] == ("notice", "stopped")
    assert messages[-2][1].startswith("stopping: ")


def test_sigusr1_reopens_logs_after_rename(sites):
    """After renaming the logs, SIGUSR1 makes the daemon write new files; the renamed ones keep the earlier lines."""
    site = sites()
    pid = site.start()
    fetch(site.port, "/a.txt?before")
    assert len(wait_lines(site.access_log, 1, 1.5)) == 1
    fetch(site.port, "/a.txt?unflushed")  # likely still buffered at the rename: must land in the old file
    time.sleep(0.05)
    old_access = site.logs / "access.log.1"
    old_error = site.logs / "error.log.1"
    site.access_log.rename(old_access)
    site.error_log.rename(old_error)
    os.kill(pid, signal.SIGUSR1)
    assert wait_until(lambda: site.access_log.exists() and site.error_log.exists(), 3), "no new log files"
    assert site.wait_error_log("log files reopened"), site.error_text()
    fetch(site.port, "/a.txt?after")
    new_lines = wait_lines(site.access_log, 1, 1.5)
    assert len(new_lines) == 1 and b"GET /a.txt?after " in new_lines[0], new_lines
    old_lines = old_access.read_bytes().splitlines()
    assert [b"?before " in old_lines[0], b"?unflushed " in old_lines[1]] == [True, True], old_lines
    assert len(old_lines) == 2
    assert "started" in old_error.read_text()
    assert "started" not in site.error_text()


def test_reopen_command_after_rename(sites):
    """The logrotate sequence: rename, then `httpd -s reopen` (exit 0); new lines go to a new file."""
    site = sites()
    site.start()
    fetch(site.port, "/a.txt?one")
    site.access_log.rename(site.logs / "access.log.1")
    r = site.run("-s", "reopen")
    assert (r.returncode, r.stderr) == (0, "")
    assert site.wait_error_log("log files reopened"), site.error_text()
    fetch(site.port, "/a.txt?two")
    lines = wait_lines(site.access_log, 1, 1.5)
    assert len(lines) == 1 and b"?two " in lines[0]
    assert b"?one " in (site.logs / "access.log.1").read_bytes()


def test_logrotate_snippet(sites, tmp_path):
    """etc/logrotate.d-httpd, pointed at the test's logs, rotates them with no line lost."""
    site = sites()
    site.start()
    fetch(site.port, "/a.txt?one")
    assert len(wait_lines(site.access_log, 1, 1.5)) == 1
    snippet = (REPO / "etc" / "logrotate.d-httpd").read_text()
    snippet = (snippet.replace("/srv/httpd/logs/", f"{site.logs}/")
                      .replace("/usr/local/bin/httpd", HTTPD_BIN)
                      .replace("/srv/httpd/httpd.conf", str(site.conf)))
    conf = tmp_path / "logrotate.conf"
    conf.write_text(snippet)
    state = tmp_path / "logrotate.state"
    r = subprocess.run([program("logrotate"), "-f", "-s", str(state), str(conf)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert site.wait_error_log("log files reopened"), site.error_text()
    fetch(site.port, "/a.txt?two")
    lines = wait_lines(site.access_log, 1, 1.5)
    assert len(lines) == 1 and b"?two " in lines[0], lines
    assert b"?one " in (site.logs / "access.log.1").read_bytes()
