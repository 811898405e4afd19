"""Helpers for the monitoring-endpoint tests (test_monitoring*.py): start an httpd, talk raw HTTP/1.1.

Self-contained (stdlib + pytest): it does not rely on conftest.py or the other helper modules.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HTTPD_BIN = os.environ.get("HTTPD_BIN") or str(Path(__file__).resolve().parents[2] / ".build" / "debug" / "httpd")
VERSION = "0.1.0"
LISTENING = re.compile(r"listening on http://(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)/")
TIMEOUT = 5.0
INDEX_BODY = b"<!DOCTYPE html>\n<html><body>monitoring test index</body></html>\n"

# `?auto` keys, in the order Apache 2.4's mod_status prints them.
AUTO_KEYS = [
    "ServerVersion", "ServerMPM", "CurrentTime", "RestartTime", "ParentServerConfigGeneration",
    "ParentServerMPMGeneration", "ServerUptimeSeconds", "ServerUptime", "Load1", "Load5", "Load15",
    "Total Accesses", "Total kBytes", "Total Duration", "CPUUser", "CPUSystem", "CPUChildrenUser",
    "CPUChildrenSystem", "CPULoad", "Uptime", "ReqPerSec", "BytesPerSec", "BytesPerReq", "DurationPerReq",
    "BusyWorkers", "GracefulWorkers", "IdleWorkers", "Processes", "Stopping", "ConnsTotal",
    "ConnsAsyncWriting", "ConnsAsyncKeepAlive", "ConnsAsyncClosing", "Scoreboard",
]


# ------------------------------------------------------------------------------------------------
# Raw HTTP client
# ------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    reason: str
    status_line: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The single value of field NAME (case-insensitive), None if absent; asserts it is not repeated."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        assert len(values) <= 1, f"{name} repeated: {values}"
        return values[0] if values else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


class Client:
    """One TCP connection to the server, optionally bound to a source address first."""

    def __init__(self, port: int, host: str = "127.0.0.1", source: str | None = None):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT)
        if source is not None:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.buffer = b""

    @classmethod
    def wrap(cls, sock: socket.socket) -> "Client":
        """A Client on an already connected socket."""
        c = cls.__new__(cls)
        c.sock, c.buffer = sock, b""
        sock.settimeout(TIMEOUT)
        return c

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str, target: str, headers: dict[str, str] | None = None, close: bool = False) -> Reply:
        """Sends one request and reads its response."""
        lines = [f"{method} {target} HTTP/1.1", "Host: localhost"]
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if close:
            lines.append("Connection: close")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        return self.read_reply(head_only=(method == "HEAD"))

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_reply(self, head_only: bool = False) -> Reply:
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionError(f"connection closed before a complete response head: {self.buffer!r}")
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status_line = lines[0]
        parts = status_line.split(" ", 2)
        assert parts[0] == "HTTP/1.1", status_line
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
        reply = Reply(int(parts[1]), parts[2] if len(parts) > 2 else "", status_line, headers)
        if head_only or reply.status in (204, 304) or 100 <= reply.status < 200:
            return reply
        if (reply.header("Transfer-Encoding") or "").lower() == "chunked":  # e.g. the Go exporter's replies
            reply.body = self._read_chunked()
            return reply
        length = reply.header("Content-Length")
        assert length is not None, f"response without Content-Length: {status_line} {headers}"
        n = int(length)
        while len(self.buffer) < n:
            if not self._fill():
                raise ConnectionError("connection closed inside a response body")
        reply.body, self.buffer = self.buffer[:n], self.buffer[n:]
        return reply

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                if not self._fill():
                    raise ConnectionError("connection closed inside a chunked body")
            size_line, self.buffer = self.buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self.buffer) < size + 2:
                if not self._fill():
                    raise ConnectionError("connection closed inside a chunk")
            if size == 0:
                # No trailers expected: the last chunk is followed by an empty line.
                self.buffer = self.buffer[2:]
                return body
            body += self.buffer[:size]
            self.buffer = self.buffer[size + 2:]

    def at_eof(self, timeout: float = TIMEOUT) -> bool:
        """True when the server closes the connection (with nothing more sent) within TIMEOUT."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(TIMEOUT)


def get(port: int, target: str, method: str = "GET", host: str = "127.0.0.1", source: str | None = None,
        headers: dict[str, str] | None = None) -> Reply:
    """One request on a fresh connection (closed afterwards)."""
    with Client(port, host=host, source=source) as c:
        return c.request(method, target, headers=headers, close=True)


def connection_refused(port: int, host: str = "127.0.0.1") -> bool:
    """True if a TCP connect to HOST:PORT is refused."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect((host, port))
        return False
    except ConnectionRefusedError:
        return True
    finally:
        s.close()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------------
# Parsing the formats
# ------------------------------------------------------------------------------------------------


def parse_auto(text: str) -> list[tuple[str, str]]:
    """The `Key: value` lines of a `?auto` body (after the first `localhost` line), in order."""
    lines = text.split("\n")
    assert lines[0] == "localhost", lines[:2]
    assert text.endswith("\n"), repr(text[-20:])
    pairs = []
    for line in lines[1:-1]:
        key, sep, value = line.partition(": ")
        assert sep, f"not a 'Key: value' line: {line!r}"
        pairs.append((key, value))
    return pairs


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


@dataclass
class Exposition:
    types: dict[str, str] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def values(self, name: str) -> list[tuple[dict[str, str], float]]:
        return [(labels, v) for n, labels, v in self.samples if n == name]

    def value(self, name: str, **labels: str) -> float:
        """The value of the one sample NAME{LABELS} (exactly those labels)."""
        found = [v for n, l, v in self.samples if n == name and l == labels]
        assert len(found) == 1, f"{name}{labels}: {found}"
        return found[0]


def parse_exposition(text: str) -> Exposition:
    """Parses the Prometheus text format 0.0.4 (asserting every line is well formed)."""
    out = Exposition()
    assert text.endswith("\n")
    for line in text.split("\n")[:-1]:
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            out.types[name] = kind
        elif line.startswith("# HELP "):
            _, _, name, help_text = line.split(" ", 3)
            out.helps[name] = help_text
        else:
            m = SAMPLE.match(line)
            assert m, f"bad sample line: {line!r}"
            labels = dict(LABEL.findall(m.group(2) or ""))
            out.samples.append((m.group(1), labels, float(m.group(3))))
    return out


# ------------------------------------------------------------------------------------------------
# Running the daemon
# ------------------------------------------------------------------------------------------------


class Daemon:
    """An httpd in the foreground, stderr to a file; `port` is the first listening port."""

    def __init__(self, folder: Path, config: str, listen: list[str] | None = None):
        self.folder = folder
        self.conf = folder / "httpd.conf"
        self.conf.write_text(config)
        self.stderr_path = folder / "stderr.log"
        self.ports: list[int] = []
        args = [HTTPD_BIN, "-F", "-f", str(self.conf)]
        for address in listen or ["127.0.0.1:0"]:
            args += ["-c", f"Listen {address}"]
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self._stderr, cwd=folder)
        expected = len(listen or ["x"])
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = LISTENING.findall(self.stderr())
            if len(found) >= expected:
                self.ports = [int(p) for _, p in found]
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        if not self.ports:
            self.kill()
            pytest.fail(f"httpd did not start (exit {self.proc.returncode}); stderr:\n{self.stderr()}")

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = TIMEOUT) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> int:
        """SIGTERM, then the exit status."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        try:
            return self.wait()
        finally:
            self._stderr.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()

    # Shortcuts for one request on a fresh connection.
    def get(self, target: str, method: str = "GET", **kw) -> Reply:
        return get(self.port, target, method=method, **kw)

    def status_json(self, path: str = "/server-status") -> dict:
        r = self.get(path + "?format=json")
        assert r.status == 200, r.status_line
        return r.json()

    def status_auto(self, path: str = "/server-status") -> dict[str, str]:
        r = self.get(path + "?auto")
        assert r.status == 200, r.status_line
        return dict(parse_auto(r.text))

    def metrics(self, path: str = "/metrics") -> Exposition:
        r = self.get(path)
        assert r.status == 200, r.status_line
        return parse_exposition(r.text)


@pytest.fixture
def start_daemon(tmp_path):
    """start_daemon(extra_config="", listen=None) -> Daemon serving tmp_path/www (index.html inside).

    Every daemon started is stopped at the end of the test; a stop that is not a clean exit 0 fails the test.
    """
    started: list[Daemon] = []

    def start(extra: str = "", listen: list[str] | None = None, name: str = "d") -> Daemon:
        folder = tmp_path / f"{name}{len(started)}"
        (folder / "www").mkdir(parents=True)
        (folder / "www" / "index.html").write_bytes(INDEX_BODY)
        config = "DocumentRoot www\nMaxConnections 16\n" + extra + ("\n" if extra and not extra.endswith("\n") else "")
        d = Daemon(folder, config, listen)
        started.append(d)
        return d

    yield start
    problems = []
    for d in started:
        if d.proc.poll() is None:
            try:
                rc = d.stop()
            except subprocess.TimeoutExpired:
                d.kill()
                problems.append(f"pid {d.pid} did not stop within {TIMEOUT} s of SIGTERM")
                continue
            if rc != 0:
                problems.append(f"pid {d.pid} exited {rc} on SIGTERM; stderr:\n{d.stderr()}")
        else:
            d._stderr.close()
    assert not problems, "\n".join(problems)
