"""Daemon safety (issue 9, items 7-9): client bytes escaped and cut in the error log, `-s` signalling
only an httpd named by a regular, unlinked PID file, logs that must be regular files, inherited
descriptors closed at start, and a warning when running as root without `User`."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import socket
import subprocess
import time

from httpdkit import (
    ERROR_LOG_LINE,
    HTTPD_BIN,
    is_gone,
    request_closing,
    run_httpd,
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
    extra = ["LogLevel debug", "LimitRequestFieldSize 110000"]
    if "LimitRequestHeadSize" in run_httpd("-L", text=True).stdout:  # a total head limit would answer 431 first
        extra.append("LimitRequestHeadSize 200000")
    site = sites(extra=extra)
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


def test_stop_refuses_a_symlinked_pid_file(sites):
    """`-s stop` with a PidFile that is a symlink to the running daemon's PID file is refused (exit 1); the daemon keeps running."""
    site = sites()
    pid = site.start()
    (site.logs / "link.pid").symlink_to("httpd.pid")
    r = site.run("-s", "stop", "-c", "PidFile logs/link.pid")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "symbolic link" in r.stderr, r.stderr
    time.sleep(0.3)
    assert not is_gone(pid)
    assert site.fetch("/a.txt").status == 200


def test_stop_refuses_a_pid_file_that_is_not_a_regular_file(sites):
    """`-s stop` with a FIFO as PidFile says so at once (exit 1) instead of hanging."""
    site = sites()
    os.mkfifo(site.logs / "fifo.pid")
    r = site.run("-s", "stop", "-c", "PidFile logs/fifo.pid", timeout=5)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr == f"httpd: error: no running httpd: PidFile {site.logs}/fifo.pid is not a regular file\n"


def start_sleep(procs_pids: list[int], **kw) -> subprocess.Popen:
    """A `sleep 60` (stopped by PID at the test's end through PROCS_PIDS)."""
    p = subprocess.Popen(["sleep", "60"], stdin=subprocess.DEVNULL, **kw)
    procs_pids.append(p.pid)
    return p


def test_stop_refuses_a_locked_pid_file_naming_another_program(sites):
    """A locked PidFile naming a `sleep` (locked by the test) is refused by `-s stop`, and the sleep is not signalled."""
    site = sites()
    sleeper = start_sleep(site.extra_pids)
    site.pid_file.write_text(f"{sleeper.pid}\n")
    with open(site.pid_file) as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        expect_refused_and_not_signalled(site, "stop", sleeper)


def test_reload_refuses_a_pid_file_locked_by_another_program(sites):
    """A PidFile locked by the `sleep` it names (another program holding its own lock) is refused by `-s reload`."""
    site = sites()
    site.pid_file.write_text("")
    fd = os.open(site.pid_file, os.O_RDWR)
    try:
        sleeper = start_sleep(site.extra_pids, pass_fds=(fd,), preexec_fn=lambda: fcntl.flock(fd, fcntl.LOCK_EX))
        os.write(fd, f"{sleeper.pid}\n".encode())
    finally:
        os.close(fd)
    expect_refused_and_not_signalled(site, "reload", sleeper)


def expect_refused_and_not_signalled(site, command: str, sleeper):
    """`httpd -s COMMAND` exits 1 naming SLEEPER's pid as no httpd, and SLEEPER gets no signal."""
    r = site.run("-s", command)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert f"names pid {sleeper.pid}, which is not running " in r.stderr, r.stderr
    time.sleep(0.2)
    assert sleeper.poll() is None, "the sleep was signalled"
    sleeper.kill()
    sleeper.wait()


def test_fifo_error_log_is_refused_at_start(sites):
    """A FIFO (no reader) as ErrorLog: the start fails at once with exit 1 and a clear message."""
    site = sites()
    os.mkfifo(site.logs / "fifo.log")
    r = site.run("-c", "ErrorLog logs/fifo.log", timeout=5)
    assert (r.returncode, r.stdout) == (1, ""), (r.returncode, r.stderr)
    assert r.stderr == f"httpd: error: cannot open log file {site.logs}/fifo.log: not a regular file\n"
    assert not site.pid_file.exists()


def test_fifo_access_log_with_a_reader_is_refused_at_start(sites):
    """A FIFO with a reader as AccessLog: the start fails with exit 1 and a clear message (nothing written to it)."""
    site = sites()
    fifo = site.logs / "fifo.log"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        r = site.run("-c", "AccessLog logs/fifo.log", timeout=5)
    finally:
        os.close(reader)
    assert (r.returncode, r.stdout) == (1, ""), (r.returncode, r.stderr)
    assert r.stderr == f"httpd: error: cannot open log file {site.logs}/fifo.log: not a regular file\n"


def test_reopen_onto_a_fifo_keeps_the_old_log(sites):
    """After the error log is replaced by a FIFO, `-s reopen` does not hang the daemon: it keeps writing to the old file and serves."""
    site = sites()
    site.start()
    old = site.logs / "error.log.1"
    site.error_log.rename(old)
    os.mkfifo(site.error_log)
    r = site.run("-s", "reopen")
    assert r.returncode == 0, r.stderr
    assert wait_until(lambda: "log files reopened" in old.read_text(), 3), old.read_text()
    assert f"cannot reopen log file {site.error_log}: not a regular file" in old.read_text()
    assert site.fetch("/a.txt").status == 200


def open_fds(pid: int) -> dict[int, str]:
    """The open descriptors of PID and what each names."""
    fds = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            fds[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            pass
    return fds


def test_inherited_descriptors_are_closed_at_start(sites):
    """A descriptor the starting process inherits (a file and a socket) is not open in the daemon."""
    site = sites()
    marker = site.dir / "inherited.marker"
    fd = os.open(marker, os.O_RDWR | os.O_CREAT, 0o600)
    left, right = socket.socketpair()
    try:
        r = subprocess.run([HTTPD_BIN, "-f", str(site.conf)], cwd=str(site.dir), capture_output=True, text=True,
                           timeout=10, pass_fds=(fd, left.fileno()), stdin=subprocess.DEVNULL)
    finally:
        os.close(fd)
        left.close()
    assert r.returncode == 0, r.stderr
    pid = site.pid()
    names = open_fds(pid).values()
    assert str(marker) not in names, names
    # The daemon holds no end of the pair: closing ours leaves the peer at end of file at once.
    right.settimeout(2)
    assert right.recv(1) == b""
    right.close()


def test_inherited_descriptors_are_closed_in_the_foreground(sites):
    """`httpd -F` closes an inherited descriptor too (the same start-up code)."""
    site = sites()
    marker = site.dir / "inherited.marker"
    fd = os.open(marker, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        proc = subprocess.Popen([HTTPD_BIN, "-F", "-f", str(site.conf)], cwd=str(site.dir), pass_fds=(fd,),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        os.close(fd)
    site.extra_pids.append(proc.pid)
    assert site.wait_error_log(r"\] httpd \S+ started"), site.error_text()
    assert str(marker) not in open_fds(proc.pid).values()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0


def test_root_without_user_warns_at_start(sites):
    """Started as root with no `User`: one warning in the error log says requests are served as root."""
    assert os.geteuid() == 0, "the tests run as root"
    site = sites()
    site.start()
    assert site.wait_error_log(r"\] httpd \S+ started"), site.error_text()
    warnings = [line for line in site.error_text().splitlines() if "] [warn] " in line]
    assert len(warnings) == 1, warnings
    assert warnings[0].endswith("] running as root: no User is set, so requests are served with root's privileges")


def test_reload_onto_a_fifo_access_log_keeps_the_old_one(sites):
    """A reload naming a FIFO as AccessLog is refused and logged (no hang); requests keep going to the old access log."""
    site = sites()
    site.start()
    os.mkfifo(site.logs / "fifo.log")
    site.write_conf(["AccessLog logs/fifo.log combined"])
    r = site.run("-s", "reload")
    assert r.returncode == 0, r.stderr
    assert site.wait_error_log(
        r"reload failed, keeping the running configuration: cannot open log file .*/fifo\.log: not a regular file$"
    ), site.error_text()
    assert site.fetch("/a.txt?after").status == 200
    assert wait_until(lambda: b"/a.txt?after " in site.access_log.read_bytes(), 3), site.access_log.read_bytes()
