"""Rolling restart behind HAProxy (issue 13): three httpd daemons, each run with etc/haproxy-httpd-instance.conf on
its own loopback port, behind a real HAProxy run with etc/haproxy.cfg. While wrk runs through HAProxy, each instance
in turn is stopped (`httpd -s stop`: /readyz turns 503, DrainDelay later the listener closes), waited for, started
again and waited for until HAProxy reports it UP, as the README's procedure says: wrk must see no socket error and
only 200 responses.

The shipped files are what is tested: the test rewrites only the addresses and ports, HAProxy's log target (its
stderr, errors only), its stats socket path and Debian's chroot/user/group/daemon lines; httpd's instance file gets
its Listen, DocumentRoot, PidFile and logs from -c. haproxy and wrk missing fail the test (`make test`,
scripts/install-deps.sh test, installs both). Loopback only; every wait is bounded; every process is stopped by PID.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from httpdkit import (
    HOST,
    REPO,
    free_port,
    is_gone,
    processes_with_arg,
    program,
    run_httpd,
    stop,
    tcp_listening,
    terminate,
    wait_for,
    wait_gone,
    wait_until,
)

HAPROXY_CFG = REPO / "etc" / "haproxy.cfg"
INSTANCE_CONF = REPO / "etc" / "haproxy-httpd-instance.conf"
BACKEND = "httpd"
SERVERS = ["web1", "web2", "web3"]

# Counts the responses by status in each wrk thread and prints the totals after wrk's summary.
STATUS_SCRIPT = """\
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d %d\\n", code, n)) end
end
"""


# --------------------------------------------------------------------------------------------
# The shipped settings
# --------------------------------------------------------------------------------------------


def seconds(text: str) -> float:
    """An HAProxy time (`1s`, `500ms`, `2m`; bare numbers are milliseconds) in seconds."""
    m = re.fullmatch(r"(\d+)(us|ms|s|m|h)?", text)
    assert m, f"not an HAProxy time: {text!r}"
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1e-3}[m.group(2)]
    return int(m.group(1)) * unit


@dataclass
class CheckSettings:
    inter: float
    fall: int
    rise: int
    timeout_check: float
    drain_delay: float


def shipped_settings() -> CheckSettings:
    """inter, fall and rise from haproxy.cfg's default-server line, its `timeout check`, and the instance's
    DrainDelay."""
    cfg = HAPROXY_CFG.read_text()
    server = re.findall(r"^\s*default-server\s+(.*)$", cfg, re.M)
    assert len(server) == 1, server
    words = server[0].split()
    assert "check" in words, words
    value = {k: v for k, v in zip(words, words[1:])}
    check = re.findall(r"^\s*timeout\s+check\s+(\S+)\s*$", cfg, re.M)
    assert len(check) == 1, check
    drain = re.findall(r"^DrainDelay\s+(\S+)\s*$", INSTANCE_CONF.read_text(), re.M)
    assert len(drain) == 1, drain
    return CheckSettings(inter=seconds(value["inter"]), fall=int(value["fall"]), rise=int(value["rise"]),
                         timeout_check=seconds(check[0]), drain_delay=float(drain[0]))


def haproxy_config(front: int, stats: int, servers: list[int], socket_path: Path) -> str:
    """etc/haproxy.cfg for the test: the frontend on 127.0.0.1:FRONT, the stats page on STATS, the servers on
    SERVERS (in order), the admin socket at SOCKET_PATH, log lines for errors only to stderr, and no chroot,
    user, group or daemon. Every other line as shipped."""
    out: list[str] = []
    section = ""
    binds = []
    named = []
    for line in HAPROXY_CFG.read_text().splitlines():
        words = line.split()
        if line and not line[0].isspace() and not line.startswith("#"):
            section = words[0]
            out.append(line)
            if section == "global":
                out.append("\tlog stderr format raw local0")
            elif section == "defaults":
                out.append("\toption dontlog-normal")  # only errors, retries and redispatches
            continue
        key = words[0] if words else ""
        if section == "global" and key in ("log", "chroot", "user", "group", "daemon"):
            continue
        if section == "global" and words[:2] == ["stats", "socket"]:
            line = line.replace(words[2], str(socket_path))
        elif key == "bind":
            port = front if section == "frontend" else stats
            binds.append(section)
            line = line.replace(words[1], f"{HOST}:{port}")
        elif key == "server":
            line = line.replace(words[2], f"{HOST}:{servers[len(named)]}")
            named.append(words[1])
        out.append(line)
    assert binds == ["frontend", "listen"], binds
    assert named == SERVERS, named
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# The processes: httpd instances, HAProxy, wrk
# --------------------------------------------------------------------------------------------


class Instance:
    """One httpd daemon run with etc/haproxy-httpd-instance.conf, its port, root, PID file and logs from -c."""

    def __init__(self, name: str, dir: Path):
        self.name = name
        self.dir = dir
        self.port = free_port()
        (dir / "www").mkdir(parents=True)
        (dir / "www" / "a.txt").write_text("hello\n")
        (dir / "logs").mkdir()
        self.pid_file = dir / "logs" / "httpd.pid"
        self.error_log = dir / "logs" / "error.log"
        self.args = ["-f", str(INSTANCE_CONF), "-c", f"Listen {HOST}:{self.port}", "-c", f"DocumentRoot {dir / 'www'}",
                     "-c", f"PidFile {self.pid_file}", "-c", f"ErrorLog {self.error_log}",
                     "-c", f"AccessLog {dir / 'logs' / 'access.log'} combined"]

    def start(self):
        """httpd -f INSTANCE ...: returns once the daemon serves."""
        r = run_httpd(*self.args, timeout=15, text=True)
        assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), f"{self.name} did not start: {r.stderr}"

    def stop(self):
        """httpd -s stop with the same arguments: SIGTERM to the master the PID file names."""
        r = run_httpd(*self.args, "-s", "stop", timeout=15, text=True)
        assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), f"{self.name}: -s stop: {r.stderr}"

    def pid(self) -> int:
        return int(self.pid_file.read_text())

    def error_text(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def terminate(self) -> list[int]:
        """SIGTERM (by PID) every process started with this instance's PID file (master and worker); returns
        the PIDs signalled, for `Farm.cleanup` to wait for (the graceful stop takes DrainDelay)."""
        pids = processes_with_arg(f"PidFile {self.pid_file}")
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        return pids


@dataclass
class WrkResult:
    requests: int
    socket_errors: tuple[int, int, int, int]  # connect, read, write, timeout
    non_2xx_3xx: int
    statuses: dict[int, int]
    output: str


WRK_LINES = [
    re.compile(r"Running \S+ test @ http://\S+"),
    re.compile(r"  \d+ threads and \d+ connections"),
    re.compile(r"  Thread Stats   Avg      Stdev     Max   \+/- Stdev"),
    re.compile(r"    (Latency|Req/Sec) +\S+ +\S+ +\S+ +\S+%"),
    re.compile(r"  (?P<requests>\d+) requests in [\d.]+\w+, [\d.]+\w+ read"),
    re.compile(r"  Socket errors: connect (?P<connect>\d+), read (?P<read>\d+), write (?P<write>\d+), "
               r"timeout (?P<timeout>\d+)"),
    re.compile(r"  Non-2xx or 3xx responses: (?P<non2xx>\d+)"),
    re.compile(r"Requests/sec: +[\d.]+"),
    re.compile(r"Transfer/sec: +[\d.]+\w+"),
    re.compile(r"status (?P<code>\d{3}) (?P<count>\d+)"),
]


def parse_wrk(output: str) -> WrkResult:
    """wrk's summary and the status script's lines, every line accounted for (wrk prints the socket-error and
    non-2xx lines only when they are not zero)."""
    found: dict[str, int] = {}
    statuses: dict[int, int] = {}
    for line in output.splitlines():
        m = next((m for p in WRK_LINES if (m := p.fullmatch(line))), None)
        assert m, f"unexpected wrk output line {line!r} in:\n{output}"
        if m.groupdict().get("code"):
            statuses[int(m["code"])] = int(m["count"])
        else:
            found.update({k: int(v) for k, v in m.groupdict().items() if v is not None})
    assert "requests" in found, output
    errors = tuple(found.get(k, 0) for k in ("connect", "read", "write", "timeout"))
    return WrkResult(found["requests"], errors, found.get("non2xx", 0), statuses, output)


class Farm:
    """HAProxy in front of three instances, all in DIR; `cleanup` stops every process by PID."""

    def __init__(self, dir: Path):
        self.dir = dir
        self.haproxy = program("haproxy")
        self.wrk = program("wrk")
        self.settings = shipped_settings()
        self.instances = [Instance(name, dir / name) for name in SERVERS]
        self.front = free_port()
        self.stats_port = free_port()
        self.conf = dir / "haproxy.cfg"
        self.conf.write_text(haproxy_config(self.front, self.stats_port, [i.port for i in self.instances],
                                            dir / "admin.sock"))
        self.log = dir / "haproxy.log"
        self.proc: subprocess.Popen | None = None
        self.wrk_procs: list[subprocess.Popen] = []
        self.files = []
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self):
        """Start the instances, check the HAProxy configuration (no warning), start HAProxy in the foreground
        and wait until it reports every server UP."""
        for inst in self.instances:
            inst.start()
        check = subprocess.run([self.haproxy, "-c", "-f", str(self.conf)], capture_output=True, text=True,
                               timeout=15)
        assert check.returncode == 0 and "[WARNING]" not in check.stdout + check.stderr, check
        out = open(self.log, "wb")
        self.files.append(out)
        self.proc = subprocess.Popen([self.haproxy, "-db", "-f", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=out, cwd=str(self.dir))
        up = wait_until(lambda: tcp_listening(self.stats_port) or self.proc.poll() is not None, 10)
        assert up and self.proc.poll() is None, f"HAProxy did not start: {self.haproxy_log()}"
        for inst in self.instances:
            self.wait_status(inst, "UP", 5 + self.settings.rise * self.settings.inter)

    def server_stats(self) -> dict[str, dict[str, str]]:
        """The backend's rows of the stats page's CSV (`curl 'http://127.0.0.1:8404/stats;csv'`), by svname."""
        assert self.proc is not None and self.proc.poll() is None, self.haproxy_log()
        with self.opener.open(f"http://{HOST}:{self.stats_port}/stats;csv;norefresh", timeout=2) as r:
            text = r.read().decode()
        lines = text.splitlines()
        assert lines[0].startswith("# pxname,svname,"), lines[:1]
        header = lines[0][2:].split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {row["svname"]: row for row in rows if row["pxname"] == BACKEND}

    def status(self, inst: Instance) -> str:
        return self.server_stats()[inst.name]["status"]

    def wait_status(self, inst: Instance, want: str, timeout: float):
        got = wait_for(lambda: self.status(inst), lambda s: s == want, timeout, 0.05)
        assert got == want, f"HAProxy reports {inst.name} {got!r}, not {want!r}, after {timeout} s"

    def haproxy_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def start_wrk(self, headers: list[str]) -> subprocess.Popen:
        """wrk -t2 -c16 through HAProxy until SIGINT (60 s at most), counting statuses."""
        script = self.dir / "statuses.lua"
        script.write_text(STATUS_SCRIPT)
        cmd = [self.wrk, "-t2", "-c16", "-d60s", "--timeout", "2s", "-s", str(script)]
        for h in headers:
            cmd += ["-H", h]
        out = open(self.dir / f"wrk{len(self.wrk_procs)}.txt", "wb")
        self.files.append(out)
        proc = subprocess.Popen([*cmd, f"http://{HOST}:{self.front}/a.txt"], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
        self.wrk_procs.append(proc)
        return proc

    def stop_wrk(self, proc: subprocess.Popen) -> WrkResult:
        """SIGINT to wrk (by PID): it stops and prints its summary."""
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        path = self.dir / f"wrk{self.wrk_procs.index(proc)}.txt"
        return parse_wrk(path.read_text())

    def restart(self, inst: Instance) -> tuple[float, float]:
        """The README's procedure for one instance: stop it, see HAProxy take it out while it still drains,
        wait for it to exit, start it, wait until HAProxy reports it UP. Returns the seconds from the stop
        until HAProxy reported it DOWN, and until it reported it UP again."""
        s = self.settings
        master = inst.pid()
        t0 = time.monotonic()
        inst.stop()
        self.wait_status(inst, "DOWN", s.drain_delay)
        down = time.monotonic() - t0
        # Taken out while still draining: the listener is open, the process has not begun to stop.
        assert "] stopping: " not in inst.error_text() and not is_gone(master), inst.error_text()
        assert wait_gone(master, s.drain_delay + 10), f"{inst.name} (pid {master}) still runs"
        assert wait_until(lambda: not inst.pid_file.exists(), 2), "the PID file was not removed"
        inst.start()
        self.wait_status(inst, "UP", s.rise * s.inter + 5)
        return down, time.monotonic() - t0

    def cleanup(self):
        for proc in self.wrk_procs:
            stop(proc)
        if self.proc is not None:
            stop(self.proc)
        # Every instance drains at once (DrainDelay each), then any still running is killed.
        pids = [pid for inst in self.instances for pid in inst.terminate()]
        for pid in pids:
            if not wait_gone(pid, self.settings.drain_delay + 5):
                terminate(pid, grace=0)
        for f in self.files:
            f.close()


@pytest.fixture
def farm(tmp_path):
    """A started Farm: three httpd instances behind HAProxy, every server UP."""
    f = Farm(tmp_path)
    try:
        f.start()
        yield f
    finally:
        f.cleanup()


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


def test_drain_delay_outlasts_haproxy_detection():
    """The shipped numbers: DrainDelay exceeds HAProxy's worst detection time, fall x (inter + timeout check)."""
    s = shipped_settings()
    assert (s.inter, s.fall, s.rise, s.timeout_check, s.drain_delay) == (1.0, 2, 2, 1.0, 6.0)
    assert s.drain_delay > s.fall * (s.inter + s.timeout_check)


# HAProxy's backend counters that must not move during a rolling restart: a request sent again (retries,
# redispatches), a connection refused or broken (econ, eresp), an answer of its own (5xx).
UNTOUCHED = ["wretr", "wredis", "econ", "eresp", "hrsp_5xx"]


def rolling_restart_under_wrk(farm: Farm, headers: list[str]) -> WrkResult:
    """Restart every instance in turn while wrk runs; returns wrk's result (asserted clean)."""
    before = farm.server_stats()["BACKEND"]
    wrk = farm.start_wrk(headers)
    timings = []
    try:
        time.sleep(1)
        for inst in farm.instances:
            timings.append(farm.restart(inst))
        served = {name: int(row["stot"]) for name, row in farm.server_stats().items()}
        time.sleep(1)
    finally:
        result = farm.stop_wrk(wrk)
    after = farm.server_stats()
    moved = {k: int(after["BACKEND"][k]) - int(before[k]) for k in UNTOUCHED}
    print(f"\nwrk {' '.join(headers) or '(keep-alive)'}: {result.requests} requests, socket errors "
          f"{result.socket_errors}, non-2xx/3xx {result.non_2xx_3xx}, statuses {result.statuses}; HAProxy {moved}; "
          + ", ".join(f"{i.name} DOWN after {d:.1f} s, UP after {u:.1f} s"
                      for i, (d, u) in zip(farm.instances, timings)))
    report = f"{result.output}\nHAProxy log:\n{farm.haproxy_log()[-4000:]}"
    assert result.socket_errors == (0, 0, 0, 0), report
    assert result.non_2xx_3xx == 0, report
    assert result.statuses == {200: result.requests}, report
    assert result.requests >= 1000, report
    # No request reached an instance that had closed its listener: HAProxy had nothing to retry (its
    # retry-on is a safety net; DrainDelay alone keeps the restart invisible).
    assert moved == {k: 0 for k in UNTOUCHED}, report
    # Every restarted instance was sent requests again once UP.
    for name in SERVERS:
        assert after[name]["status"] == "UP"
        assert int(after[name]["stot"]) > served[name], f"{name} got no request after it came back"
    return result


def test_rolling_restart_keep_alive(farm):
    """wrk -t2 -c16 with keep-alive through HAProxy while each instance is stopped (DrainDelay) and restarted
    in turn: 0 socket errors, only 200 responses."""
    rolling_restart_under_wrk(farm, [])


def test_rolling_restart_connection_close(farm):
    """The same with `Connection: close` (a new client connection per request): 0 socket errors, only 200s."""
    rolling_restart_under_wrk(farm, ["Connection: close"])
