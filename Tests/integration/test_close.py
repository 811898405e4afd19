"""Closing after a response: at once when the client asked to close and sent nothing more; a lingering
close (half-close, then read until the client closes) whenever input is left unread, so that the close
cannot turn into a reset that destroys the response in flight."""

import socket
import threading

from httpdkit import Client, wait_until

FILES = {"a.txt": "AAA\n", "big.bin": "x" * (1 << 20)}


def closing(srv) -> int:
    """Connections the server holds in a (lingering) close, as its status shows them."""
    return srv.status_json()["connections"]["closing"]


def test_close_request_closes_at_once(server):
    """`Connection: close` and nothing more sent: the whole response, EOF, and no connection left lingering
    while the client keeps its socket open."""
    srv = server(files=FILES)
    with srv.client() as c:
        r = c.get("/a.txt", close=True)
        assert r.status == 200 and r.body == b"AAA\n" and r["Connection"] == "close"
        c.expect_closed(1.0)
        assert closing(srv) == 0
        # A closed socket, not a half-closed one: what the client sends now is refused with a reset.
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        assert wait_until(lambda: _reset(c), 2.0)


def test_http10_without_keepalive_closes_at_once(server):
    """HTTP/1.0 without keep-alive asks for nothing more: closed at once too."""
    srv = server(files=FILES)
    with srv.client() as c:
        r = c.request(b"GET /a.txt HTTP/1.0\r\n\r\n")
        assert r.body == b"AAA\n"
        c.expect_closed(1.0)
        assert closing(srv) == 0


def test_pipelined_bytes_after_a_close_request_linger(server):
    """Bytes after the `Connection: close` request: the response arrives whole, then the server half-closes
    and lingers until the client closes."""
    srv = server(files=FILES)
    with srv.client() as c:
        c.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nGET /a.txt HTTP/1.1\r\n")
        assert c.read_response().body == b"AAA\n"
        c.expect_closed(1.0)
        assert closing(srv) == 1
    assert wait_until(lambda: closing(srv) == 0, 3.0)


def test_unread_upload_does_not_reset_a_large_response(server):
    """A 1 MiB response to a client that sent 256 KiB more than its request and reads slowly: every byte
    arrives (a close on the unread bytes would have reset the connection)."""
    srv = server(files=FILES)
    with Client("127.0.0.1", srv.port, rcvbuf=16384) as c:
        head = b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        sender = threading.Thread(target=_send_quietly, args=(c.sock, head + b"z" * (256 << 10)))
        sender.start()
        r = c.read_response(timeout=20)
        sender.join(10)
        assert r.status == 200 and len(r.body) == 1 << 20 and r.body == b"x" * (1 << 20)
        c.expect_closed(3.0)


def test_start_up_writes_nothing_but_its_own_lines(server):
    """Making libevent's per-descriptor records at start (each descriptor not open is refused by epoll)
    leaves no libevent warning on stderr: every line is httpd's own."""
    srv = server(files=FILES, conf_lines=["MaxConnections 64"])
    assert srv.get("/a.txt").status == 200
    lines = [line for line in srv.stderr().splitlines() if line.strip()]
    assert lines and all(line.startswith("[") and "] [pid " in line for line in lines), lines


def _send_quietly(sock: socket.socket, data: bytes):
    """Sends DATA; the server may stop reading after its lingering close, which is not an error here."""
    try:
        sock.sendall(data)
    except OSError:
        pass


def _reset(c: Client) -> bool:
    """True once a send on C fails because the server's socket is gone (a reset came back)."""
    try:
        c.sock.send(b"x")
        return False
    except (BrokenPipeError, ConnectionResetError):
        return True
