#!/usr/bin/env python3
"""idle-conns.py: hold many idle keep-alive connections open to a server, for bench/peers.sh's `idle` test.

    bench/idle-conns.py URL COUNT [TIMEOUT_S]        e.g. http://127.0.0.1:8080/1k.html 10000

Opens COUNT connections to URL's host and port one after the other; on each it sends one request
`GET /PATH HTTP/1.1` (URL's path; Host, keep-alive), reads the whole response (status line, head, Content-Length
bytes of body) and leaves the connection open and idle. Then it prints one line

    ready OPENED FAILED FIRST_ERROR

and waits. On SIGUSR1 it checks every connection it holds (a non-blocking peek: open, or closed by the
server), prints

    alive ALIVE CLOSED

closes them all and exits 0. SIGTERM or SIGINT closes them and exits at once; so does TIMEOUT_S seconds
(default 600) without a signal, so that it never lingers. It stops opening after 20 failures in a row (a
server that no longer accepts) or 120 s. The open-file limit is raised to what COUNT needs (up to the hard
limit; it fails when that is too low). Python standard library only.
"""

import errno
import resource
import signal
import socket
import sys
import time
import urllib.parse


def fail(msg):
    sys.stderr.write(f"idle-conns.py: {msg}\n")
    sys.exit(1)


def read_response(sock, buf):
    """Read one whole response (head + Content-Length body); return (status, connection header)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the end of the response head")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if "content-length" not in fields:
        raise ConnectionError("no Content-Length in the response")
    left = int(fields["content-length"]) - len(body)
    while left > 0:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ConnectionError("closed before the end of the body")
        left -= len(chunk)
    if left < 0:
        raise ConnectionError("more bytes than Content-Length")
    return status, fields.get("connection", "").lower()


def main():
    if len(sys.argv) not in (3, 4):
        fail("usage: idle-conns.py URL COUNT [TIMEOUT_S]")
    url = urllib.parse.urlsplit(sys.argv[1])
    if url.scheme != "http" or not url.hostname:
        fail(f"not an http:// URL: {sys.argv[1]}")
    host, port, path = url.hostname, url.port or 80, url.path or "/"
    count = int(sys.argv[2])
    timeout = float(sys.argv[3]) if len(sys.argv) == 4 else 600.0

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count + 64
    if hard != resource.RLIM_INFINITY and hard < want:
        fail(f"the open-file hard limit ({hard}) is below the {want} descriptors {count} connections need")
    if soft == resource.RLIM_INFINITY or soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    got = {"signal": None}

    def on_signal(signum, _frame):
        got["signal"] = signum

    for s in (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT):
        signal.signal(s, on_signal)

    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()
    conns, failed, in_a_row, first_error = [], 0, 0, "-"
    deadline = time.monotonic() + 120
    while len(conns) < count and in_a_row < 20 and time.monotonic() < deadline and got["signal"] is None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((host, port))
            s.sendall(request)
            status, connection = read_response(s, b"")
            if status != 200:
                raise ConnectionError(f"status {status}")
            if connection == "close":
                raise ConnectionError("the server closes the connection after the response")
        except (OSError, ConnectionError, ValueError, IndexError) as e:
            s.close()
            failed += 1
            in_a_row += 1
            if first_error == "-":
                first_error = f"connection {len(conns) + failed}: {e}".replace(" ", "_")
            continue
        in_a_row = 0
        conns.append(s)
    print(f"ready {len(conns)} {failed} {first_error}", flush=True)

    end = time.monotonic() + timeout
    while got["signal"] is None and time.monotonic() < end:
        time.sleep(0.1)
    if got["signal"] == signal.SIGUSR1:
        alive = closed = 0
        for s in conns:
            s.setblocking(False)
            try:
                data = s.recv(1, socket.MSG_PEEK)
                if data:
                    alive += 1  # open (an unexpected byte waits, but the connection is there)
                else:
                    closed += 1
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    alive += 1
                else:
                    closed += 1
        print(f"alive {alive} {closed}", flush=True)
    for s in conns:
        s.close()
    sys.exit(0 if got["signal"] in (signal.SIGUSR1, None) else 128 + got["signal"])


if __name__ == "__main__":
    main()
