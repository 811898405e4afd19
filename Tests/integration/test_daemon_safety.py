"""Daemon safety (issue 9, items 7-9): client bytes escaped and cut in the error log, `-s` signalling
only an httpd named by a regular, unlinked PID file, logs that must be regular files, inherited
descriptors closed at start, and a warning when running as root without `User`."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

from httpdkit import (
    ERROR_LOG_LINE,
    HTTPD_BIN,
    is_gone,
    request_closing,
    wait_gone,
    wait_until,
)


def error_lines_with(site, needle: str) -> list[str]:
    """The error-log lines that contain NEEDLE."""
    return [line for line in site.error_text().splitlines() if needle in line]


def test_error_log_escapes_a_decoded_path(sites):
    """A path decoding to a newline and an ESC sequence gives one error-log line, escaped as `\\n\\x1b[31m`."""
    site = sites(extra=["LogLevel debug"])
    site.start()
    r = request_closing(site.port, b"GET /%0A%1B%5B31mforged HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert r.status == 404
    assert wait_until(lambda: error_lines_with(site, "404 "), 3), site.error_text()
    text = site.error_text()
    assert "\x1b" not in text, text
    assert all(ERROR_LOG_LINE.match(line) for line in text.splitlines()), text
    [line] = error_lines_with(site, "404 ")
    assert "/\\n\\x1b[31mforged" in line, line


def test_error_log_cuts_a_long_expect_value(sites):
    """A 100 KB Expect value (417) gives one error-log line of at most about 1 KiB, ending in the truncation marker."""
    site = sites(extra=["LogLevel debug", "LimitRequestFieldSize 110000"])
    site.start()
    value = b"x\xff" * 50_000
    r = request_closing(site.port, b"GET /a.txt HTTP/1.1\r\nHost: t\r\nExpect: " + value + b"\r\nConnection: close\r\n\r\n")
    assert r.status == 417
    assert wait_until(lambda: error_lines_with(site, "417 "), 3), site.error_text()
    text = site.error_log.read_bytes().decode("ascii")  # every byte above 0x7e escaped
    assert all(ERROR_LOG_LINE.match(line) for line in text.splitlines()), text
    [line] = error_lines_with(site, "417 ")
    assert "x\\xffx\\xff" in line, line[:300]
    assert re.search(r"\.\.\.\[truncated, \d+ bytes\]$", line), line[-200:]
    assert len(line) < 1024 + 200, len(line)
