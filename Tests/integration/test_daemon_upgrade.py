"""Binary upgrade (issue 13): `httpd -s upgrade` (SIGUSR2 to the master) execs the binary on disk with the
listening sockets; the new master starts its worker, writes the PID file once it serves, and the old worker
drains (Connection: close, then closes) while the old master exits. A new binary that fails at start leaves
the old one serving, and `-s upgrade` says so with exit status 1. `-s stop` works at every moment.

Each test runs a copy of the binary (so that the test may replace it on disk), real processes on loopback;
every wait is bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from httpdkit import get_closing as get
from httpdkit import program
from httpdkit import HOST, HTTPD_BIN, children_of, free_port, is_gone, proc_stat, socket_inodes_of, wait_gone, wait_until
from httpdkit import listening_inode as kit_listening_inode

UPGRADED = re.compile(
    r"httpd: upgraded: the new master \(pid (\d+)\) serves; the old one \(pid (\d+)\) finishes its connections\n")
FAILED = "httpd: error: the upgrade failed; the running httpd (pid {}) keeps serving (its error log says why)\n"


def install(site) -> str:
    """A copy of the binary in the site's folder (what the daemon runs and an upgrade replaces); its path."""
    path = site.dir / "bin" / "httpd"
    path.parent.mkdir(exist_ok=True)
    shutil.copy2(HTTPD_BIN, path)
    return str(path)


def replace(path: str, content: bytes | None = None, source: str | None = None):
    """Put a new file at PATH the way an installer does (a new inode renamed over the old)."""
    new = path + ".new"
    if source:
        shutil.copy2(source, new)
    else:
        with open(new, "wb") as f:
            f.write(content or b"")
    os.chmod(new, 0o755)
    os.rename(new, path)


def httpd(binary: str, site, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "-f", str(site.conf), *args], cwd=str(site.dir), capture_output=True, text=True,
                          timeout=timeout)


def start(binary: str, site) -> int:
    r = httpd(binary, site)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), r
    return site.pid()


def worker_of(master: int, timeout: float = 3.0) -> int:
    """The master's worker (its one child that is not a new master)."""
    def live():
        return [p for p in children_of(master) if (st := proc_stat(p)) and st.state != "Z"] or None

    found = wait_until(live, timeout)
    assert found, f"master {master} has no worker"
    return found[0]


def listening_inode(pid: int, port: int) -> int:
    """The inode of the socket listening on PORT, asserted to be among PID's descriptors."""
    inode = kit_listening_inode(port)
    assert inode in socket_inodes_of(pid), (inode, pid)
    return inode


def upgrade(binary: str, site) -> tuple[int, int]:
    """`-s upgrade`, asserted successful; (new master, old master) as it prints them."""
    r = httpd(binary, site, "-s", "upgrade")
    assert r.returncode == 0 and r.stderr == "", r
    m = UPGRADED.fullmatch(r.stdout)
    assert m, r.stdout
    return int(m.group(1)), int(m.group(2))


def test_upgrade_hands_the_sockets_to_the_new_binary(sites):
    """The new master serves on the same listening socket; the PID file names it; the old master and worker
    exit; the new master's parent becomes init once the old one is gone."""
    site = sites(extra=["ShutdownTimeout 5"])
    binary = install(site)
    old = start(binary, site)
    old_worker = worker_of(old)
    inode = listening_inode(old, site.port)
    new, said_old = upgrade(binary, site)
    assert said_old == old and new != old
    assert site.pid() == new
    assert wait_gone(old_worker, 3) and wait_gone(old, 3)
    assert wait_until(lambda: proc_stat(new).ppid == 1, 2)
    new_worker = worker_of(new)
    assert listening_inode(new, site.port) == inode
    assert listening_inode(new_worker, site.port) == inode
    assert get(site.port) == (200, b"hello\n")
    for line in [
        rf"\[notice\] \[pid {old}\] upgrade: starting {re.escape(binary)}$",
        rf"\[notice\] \[pid {new}\] master \(pid {new}\) started worker pid {new_worker}$",
        rf"\[notice\] \[pid {old}\] upgrade: the new master \(pid {new}\) serves; worker pid {old_worker} finishes its connections$",
        rf"\[notice\] \[pid {old_worker}\] hand-over: new workers serve \(upgrade or reload\); this one stops accepting$",
        rf"\[notice\] \[pid {old}\] old master \(pid {old}\) exits: the upgrade is complete$",
    ]:
        assert site.wait_error_log(line, 2), (line, site.error_text())
    r = httpd(binary, site, "-s", "stop")
    assert r.returncode == 0, r
    assert wait_gone(new, 5) and wait_gone(new_worker, 5)
    assert not site.pid_file.exists()


def wrk(port: int, seconds: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([program("wrk"), "-t2", "-c32", f"-d{seconds}s", "--timeout", "5s", *extra,
                             f"http://{HOST}:{port}/a.txt"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_result(proc: subprocess.Popen) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=60)
    m = re.search(r"^\s*(\d+) requests in ", out, re.M)
    assert m, out
    return int(m.group(1)), out


def test_ten_upgrades_under_keepalive_load_lose_nothing(sites):
    """wrk -c32 with keep-alive while `-s upgrade` runs ten times: 0 socket errors, 0 non-2xx; a download
    started before the first upgrade completes whole; the PID file always names a running master."""
    big = bytes(range(256)) * (16 * 1024)  # 4 MiB
    site = sites(files={"big.bin": big})
    binary = install(site)
    first = start(binary, site)
    seen_pids: set[int] = set()
    problems: list[str] = []
    watching = True

    def watch_pid_file():
        while watching:
            try:
                text = site.pid_file.read_text()
                if not re.fullmatch(r"[1-9]\d*\n", text):
                    problems.append(f"PID file {text!r}")
                else:
                    pid = int(text)
                    seen_pids.add(pid)
                    if is_gone(pid):
                        problems.append(f"PID file names {pid}, which is gone")
            except FileNotFoundError:
                problems.append("PID file missing")
            time.sleep(0.005)

    watcher = threading.Thread(target=watch_pid_file, daemon=True)
    watcher.start()
    download = subprocess.Popen(["curl", "-s", "--limit-rate", "1M", "-o", "-", f"http://{HOST}:{site.port}/big.bin"],
                                stdout=subprocess.PIPE)
    load = wrk(site.port, 14)
    try:
        time.sleep(1)
        masters = [first]
        for _ in range(10):
            new, old = upgrade(binary, site)
            assert old == masters[-1]
            masters.append(new)
            time.sleep(0.6)
        requests, out = wrk_result(load)
        body, _ = download.communicate(timeout=30)
    finally:
        watching = False
        watcher.join(2)
        for p in (load, download):
            if p.poll() is None:
                p.kill()
                p.wait()
    assert "Socket errors" not in out and "Non-2xx" not in out, out
    assert requests > 1000, out
    assert download.returncode == 0 and body == big, (download.returncode, len(body))
    assert problems == [], problems[:5]
    assert seen_pids <= set(masters)
    assert site.pid() == masters[-1]
    for pid in masters[:-1]:
        assert wait_gone(pid, 5), f"old master {pid} still runs"
    assert get(site.port) == (200, b"hello\n")


def test_a_new_binary_that_cannot_start_leaves_the_old_one_serving(sites):
    """The new binary fails at start (its configuration names a missing DocumentRoot): `-s upgrade` exits
    1, the old master keeps the PID file and serves, and the error log says why."""
    site = sites()
    binary = install(site)
    master = start(binary, site)
    worker = worker_of(master)
    site.write_conf(lines=[line if not line.startswith("DocumentRoot") else "DocumentRoot missing"
                           for line in site.base_lines()])
    r = httpd(binary, site, "-s", "upgrade")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", FAILED.format(master)), r
    assert site.pid() == master and worker_of(master) == worker
    assert get(site.port) == (200, b"hello\n")
    assert site.wait_error_log(
        rf"\[error\] \[pid {master}\] upgrade failed, this httpd keeps serving: DocumentRoot {re.escape(str(site.dir))}/missing: "
        r"No such file or directory$", 2), site.error_text()
    # Nothing of the new binary is left.
    assert wait_until(lambda: children_of(master) == [worker], 2), children_of(master)


@pytest.mark.parametrize("content, reason", [
    (b"#!/bin/sh\nexit 3\n", "the new binary exited with status 3 during start-up"),
    (b"#!/bin/sh\nkill -SEGV $$\n", "the new binary killed by signal SIGSEGV during start-up"),
    (b"\x7fELF\x02\x01\x01garbage", "cannot run {binary}: Exec format error"),
])
def test_a_broken_binary_on_disk_leaves_the_old_one_serving(sites, content, reason):
    """SIGUSR2 with a binary that exits, crashes or is no executable: logged, the old one serves on, and a
    good binary upgrades afterwards."""
    site = sites()
    binary = install(site)
    master = start(binary, site)
    worker = worker_of(master)
    replace(binary, content)
    os.kill(master, signal.SIGUSR2)
    assert site.wait_error_log(
        rf"\[error\] \[pid {master}\] upgrade failed, this httpd keeps serving: {re.escape(reason.format(binary=binary))}$",
        3), site.error_text()
    assert site.pid() == master and get(site.port) == (200, b"hello\n")
    assert wait_until(lambda: children_of(master) == [worker], 2), children_of(master)
    replace(binary, source=HTTPD_BIN)
    new, old = upgrade(binary, site)
    assert old == master and site.pid() == new
    assert wait_gone(master, 5)


def slow_binary(binary: str, seconds: float):
    """Replace BINARY by a script that waits, then execs the real binary (kept beside it)."""
    real = binary + ".real"
    shutil.copy2(HTTPD_BIN, real)
    replace(binary, f"#!/bin/sh\nsleep {seconds}\nexec {real} \"$@\"\n".encode())


def test_stop_while_the_new_binary_starts_stops_both(sites):
    """SIGTERM to the master (what `-s stop` sends: the PID file still names it) while the new binary is
    starting: the new one is stopped too, nothing is left, the PID file is gone."""
    site = sites()
    binary = install(site)
    master = start(binary, site)
    worker = worker_of(master)
    slow_binary(binary, 1.0)
    os.kill(master, signal.SIGUSR2)
    assert site.wait_error_log(rf"\[pid {master}\] upgrade: starting ", 2)
    new = wait_until(lambda: [p for p in children_of(master) if p != worker] or None, 2)
    assert new, "no new master"
    os.kill(site.pid(), signal.SIGTERM)
    assert wait_gone(master, 5) and wait_gone(worker, 5) and wait_gone(new[0], 5)
    assert wait_until(lambda: not site.pid_file.exists(), 2), site.pid_file.read_text()
    with pytest.raises(OSError):
        get(site.port)


def test_stop_at_the_moment_of_the_hand_over_stops_everything(sites):
    """SIGTERM to whichever master the PID file names, as soon as it names the new one: both masters and
    both workers end, and the PID file is gone."""
    site = sites()
    binary = install(site)
    master = start(binary, site)
    worker = worker_of(master)
    os.kill(master, signal.SIGUSR2)
    def named_new():
        try:
            pid = int(site.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid != master else None

    new = wait_until(named_new, 5, interval=0.001)
    assert new, site.error_text()
    new_worker = [p for p in children_of(new)]
    os.kill(new, signal.SIGTERM)
    for pid in [master, worker, new, *new_worker]:
        assert wait_gone(pid, 5), pid
    assert wait_until(lambda: not site.pid_file.exists(), 2)


def test_upgrade_with_new_listen_addresses(sites):
    """The new configuration adds a port and drops one: the new master binds the added one, keeps the kept one
    (same socket) and closes the dropped one once the old worker is gone."""
    site = sites()
    binary = install(site)
    kept, dropped, added = site.port, free_port(), free_port()
    site.write_conf(extra=[f"Listen {HOST}:{dropped}"])
    master = start(binary, site)
    inode = listening_inode(master, kept)
    assert get(dropped) == (200, b"hello\n")
    site.write_conf(extra=[f"Listen {HOST}:{added}"])
    new, _ = upgrade(binary, site)
    assert wait_gone(master, 5)
    assert listening_inode(new, kept) == inode
    assert get(kept) == (200, b"hello\n") and get(added) == (200, b"hello\n")
    with pytest.raises(ConnectionRefusedError):
        get(dropped)


def test_upgrade_is_refused_in_the_foreground(sites, tmp_path):
    """With -F, whoever started httpd watches that very process: the upgrade is refused and logged."""
    site = sites()
    binary = install(site)
    proc = subprocess.Popen([binary, "-F", "-f", str(site.conf)], cwd=str(site.dir), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: site.pid_file.exists() and site.pid_file.read_text().strip() == str(proc.pid), 5)
        r = httpd(binary, site, "-s", "upgrade")
        assert (r.returncode, r.stdout, r.stderr) == (1, "", FAILED.format(proc.pid)), r
        assert site.wait_error_log(
            rf"\[error\] \[pid {proc.pid}\] upgrade refused: httpd runs in the foreground \(-F\): whoever started it "
            r"watches this process; restart it instead$", 2), site.error_text()
        assert get(site.port) == (200, b"hello\n")
    finally:
        proc.terminate()
        proc.wait(10)


def test_sigusr2_to_a_worker_is_ignored(sites):
    """`systemctl kill -s USR2` reaches every process of the unit: a worker ignores it (no upgrade, no death)."""
    site = sites()
    master = start(HTTPD_BIN, site)
    worker = worker_of(master)
    os.kill(worker, signal.SIGUSR2)
    time.sleep(0.3)
    assert not is_gone(worker) and worker_of(master) == worker
    assert "upgrade" not in site.error_text()
    assert get(site.port) == (200, b"hello\n")


def test_a_new_binary_that_crashes_at_start_makes_upgrade_exit_1(sites, monkeypatch):
    """With HTTPD_TEST_TRAP_UPGRADE (debug builds), the binary started for the upgrade traps during start-up, as a
    broken new version would: `-s upgrade` exits 1, the old master and worker serve on, the log names the signal."""
    monkeypatch.setenv("HTTPD_TEST_TRAP_UPGRADE", "1")
    site = sites()
    master = start(HTTPD_BIN, site)
    worker = worker_of(master)
    r = httpd(HTTPD_BIN, site, "-s", "upgrade")
    if r.returncode == 0:
        pytest.skip("the test hook is not in this build (release): the upgrade succeeded")
    assert (r.returncode, r.stdout, r.stderr) == (1, "", FAILED.format(master)), r
    assert site.wait_error_log(
        rf"\[error\] \[pid {master}\] upgrade failed, this httpd keeps serving: the new binary killed by signal "
        r"SIG(ILL|TRAP)( \(core dumped\))? during start-up$", 2), site.error_text()
    assert site.pid() == master and worker_of(master) == worker
    assert get(site.port) == (200, b"hello\n")


def test_sighup_during_an_upgrade_is_ignored(sites):
    """A reload asked while the new binary starts is refused (the new one reads the file itself), logged; the
    upgrade then completes."""
    site = sites()
    binary = install(site)
    master = start(binary, site)
    slow_binary(binary, 1.0)
    os.kill(master, signal.SIGUSR2)
    assert site.wait_error_log(rf"\[pid {master}\] upgrade: starting ", 2)
    os.kill(master, signal.SIGHUP)
    assert site.wait_error_log(
        rf"\[notice\] \[pid {master}\] SIGHUP ignored: an upgrade is under way \(new master pid \d+\); reload once it "
        r"serves$", 2), site.error_text()
    assert site.wait_error_log(rf"\[notice\] \[pid {master}\] upgrade: the new master \(pid \d+\) serves; ", 10), \
        site.error_text()
    assert wait_gone(master, 5)
    assert get(site.port) == (200, b"hello\n")
