"""A crowd of slow clients: 4,000 connections from 127.0.0.2-127.0.0.41, each dripping one header
byte every 5 s (and reconnecting when dropped), while a normal client on 127.0.0.1 fetches a 1 KiB file
twice a second and wrk loads it: every fetch is answered within 2 s and wrk sees no socket error."""

import re
import resource
import shutil
import socket
import subprocess
import threading
import time

from httpdkit import fetch, parse_exposition

ADDRESSES = [f"127.0.0.{i}" for i in range(2, 42)]
PER_ADDRESS = 100
DRIP = b"GET /a.txt HTTP/1.1\r\nX-Slow: " + b"x" * 4000


class Crowd:
    """Keeps PER_ADDRESS connections per address open, each sending one more byte of an endless head
    every 5 s; a connection the server closes is opened again (as an attacker would)."""

    def __init__(self, port: int):
        self.port = port
        self.stop = threading.Event()
        self.socks: list[tuple[str, socket.socket | None, int]] = []
        self.reconnects = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self, source: str) -> socket.socket | None:
        s = socket.socket()
        s.setblocking(False)
        s.bind((source, 0))
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            return None
        return s

    def run(self):
        self.socks = [(a, self.connect(a), 0) for a in ADDRESSES for _ in range(PER_ADDRESS)]
        while not self.stop.is_set():
            for i, (source, s, sent) in enumerate(self.socks):
                if self.stop.is_set():
                    break
                try:
                    if s is None:
                        raise OSError
                    s.send(DRIP[sent % len(DRIP):sent % len(DRIP) + 1])
                    self.socks[i] = (source, s, sent + 1)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    if s is not None:
                        s.close()
                    self.reconnects += 1
                    self.socks[i] = (source, self.connect(source), 0)
            self.stop.wait(5.0 / 4)  # a quarter of the crowd's period: each socket gets a byte per 5 s at most
        for _, s, _ in self.socks:
            if s is not None:
                s.close()


def test_a_crowd_of_slow_clients_does_not_starve_a_normal_one(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    wrk = shutil.which("wrk")
    assert wrk, "wrk is needed (scripts/install-deps.sh test installs it)"
    srv = server(files={"a.txt": "x" * 1024})
    crowd = Crowd(srv.port)
    crowd.thread.start()
    try:
        time.sleep(3)  # the crowd is in
        slowest = 0.0
        fetches = 0
        wrk_proc = None
        start = time.monotonic()
        while time.monotonic() - start < 16:
            if wrk_proc is None and time.monotonic() - start > 4:
                wrk_proc = subprocess.Popen(
                    [wrk, "-t1", "-c8", "-d6s", f"http://127.0.0.1:{srv.port}/a.txt"],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            t0 = time.monotonic()
            try:
                r = fetch(srv.port, "/a.txt")
            except Exception:
                print("\n".join(l for l in srv.stderr().splitlines() if "127.0.0.1]" in l or "pressure" in l)[-3000:])
                raise
            took = time.monotonic() - t0
            assert r.status == 200 and r.body == b"x" * 1024
            slowest = max(slowest, took)
            fetches += 1
            time.sleep(max(0.0, 0.5 - took))
        out, _ = wrk_proc.communicate(timeout=30)
        m = parse_exposition(fetch(srv.port, "/metrics").text)
    finally:
        crowd.stop.set()
        crowd.thread.join(timeout=30)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    print(f"crowd: {fetches} fetches, slowest {slowest:.3f} s; reconnects {crowd.reconnects}; "
          f"refused {m.value('httpd_connections_refused_total')}, evicted {m.value('httpd_connections_evicted_total')}, "
          f"dropped {m.value('httpd_connections_dropped_total')}\n{out}")
    assert fetches >= 20  # twice a second for 16 s, less the time slow answers took
    assert slowest < 2.0, slowest
    assert "Socket errors" not in out, out
    assert re.search(r"Requests/sec:\s+\d", out), out
    # The crowd met every defence: the per-client limit, eviction at MaxConnections, and pressure.
    assert m.value("httpd_connections_refused_total") > 0
    assert m.value("httpd_connections_evicted_total") + m.value("httpd_connections_dropped_total") > 0
