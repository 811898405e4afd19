"""HTTPS with real clients: curl, Python's ssl and openssl s_client against a server with a plain and a
TLS listener (same answers, byte for byte), protocol versions, ALPN, SNI and the RSA/ECDSA choice,
session resumption, testssl.sh's verdict, bad input over TLS, and the memory of failed handshakes."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import ssl
import subprocess
import time
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from httpdkit import (HOST, Client, Server, fetch, http_date, proc_status, stop_servers, wait_for,
                      without_date)
from tlskit import (CA, SClient, client_hello, context, curl, listener_ports, s_client, tls_client,
                    tls_lines, tls_listen)

MTIME = 1700000000  # Tue, 14 Nov 2023 22:13:20 GMT
DATA = bytes((i * 7 + 3) % 256 for i in range(1000))
BIG = random.Random(11).randbytes(3 * 1024 * 1024 + 517)  # many records, and a short last one
FILES = {
    "a.txt": "hello over TLS\n",
    "d.bin": DATA,
    "big.bin": BIG,
    "index.html": "<!DOCTYPE html><title>home</title>\n",
    "dir/index.html": "<p>dir index</p>\n",
}
PLAIN_ON_TLS = "400 Bad Request: this port speaks HTTPS (TLS), not plain HTTP. Use https://127.0.0.1:{port}/\n"


# --------------------------------------------------------------------------------------------
# Certificates and servers
# --------------------------------------------------------------------------------------------


@dataclass
class PKI:
    ca: CA
    site: tuple[Path, Path]      # ECDSA P-256, localhost and 127.0.0.1
    site_rsa: tuple[Path, Path]  # RSA 2048, the same names
    a: tuple[Path, Path]         # a.test
    b: tuple[Path, Path]         # *.b.test
    scan: tuple[Path, Path]      # as site and site_rsa, with a CRL distribution point (what testssl
    scan_rsa: tuple[Path, Path]  # expects of a public CA's leaf: without one it rates the certificate HIGH)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PKI:
    """One test CA and the certificates of every test in this file."""
    ca = CA(tmp_path_factory.mktemp("pki"))
    return PKI(ca=ca, site=ca.issue("site"), site_rsa=ca.issue("site-rsa", key="rsa"),
               a=ca.issue("a", cn="a.test", sans=["a.test"]),
               b=ca.issue("b", cn="*.b.test", sans=["*.b.test"]),
               scan=ca.issue("scan", crl="http://127.0.0.1:9/test.crl"),
               scan_rsa=ca.issue("scan-rsa", key="rsa", crl="http://127.0.0.1:9/test.crl"))


def set_mtimes(root: Path):
    for rel in FILES:
        os.utime(root / rel, (MTIME, MTIME))


@pytest.fixture(scope="module")
def site(pki, tmp_path_factory):
    """A server with a plain and a TLS listener and the default TLS settings, shared by the tests that
    only read (its port is the plain one: status and metrics are read there)."""
    srv = Server(tmp_path_factory.mktemp("site"),
                 ["DocumentRoot www", "LogLevel info", *tls_lines(*pki.site)], FILES)
    set_mtimes(srv.root)
    srv.start(listen=tls_listen(), expect_listens=2)
    srv.port = listener_ports(srv)[0]
    yield srv
    failures = stop_servers([srv])
    assert not failures, "\n".join(failures)


def start_tls(server, conf_lines, files=None) -> tuple[Server, int, int]:
    """A server (the `server` fixture) with a plain and a TLS listener: (server, plain port, TLS port).
    Its `port` is the plain one."""
    srv = server(conf_lines=conf_lines, files=files if files is not None else FILES,
                 listen=tls_listen(), expect_listens=2, setup=set_mtimes)
    plain, tls = listener_ports(srv)
    srv.port = plain
    return srv, plain, tls


def mark(srv: Server) -> int:
    """Where the error log ends now (for `logged`)."""
    return len(srv.log_path.read_bytes())


def logged(srv: Server, since: int, text: str, timeout: float = 3.0) -> str:
    """The error-log text written after SINCE, once it holds TEXT (asserted)."""
    out = wait_for(lambda: srv.log_path.read_bytes()[since:].decode("utf-8", "replace"),
                   lambda t: text in t, timeout)
    assert text in out, f"error log lacks {text!r}; new lines:\n{out}"
    return out


def tls_counters(srv: Server) -> dict:
    """The "tls" member of /server-status?format=json."""
    return srv.status_json()["tls"]


def failures_by_reason(srv: Server) -> dict[str, float]:
    """httpd_tls_handshake_failures_total by reason, from /metrics."""
    return {labels["reason"]: v for labels, v in srv.metrics().values("httpd_tls_handshake_failures_total")}


def wait_failures(srv: Server, want: dict[str, int], timeout: float = 3.0) -> dict[str, float]:
    """The failure counters once they equal WANT (asserted; a connection is counted when it closes)."""
    got = wait_for(lambda: failures_by_reason(srv), lambda f: f == want, timeout)
    assert got == want
    return got


def get_ok(port: int, ca: CA, target: str = "/a.txt", body: bytes = b"hello over TLS\n"):
    """A normal request over TLS still gets its answer."""
    with tls_client(port, ca) as c:
        r = c.get(target)
    assert r.status_line == "HTTP/1.1 200 OK"
    assert r.body == body


def plain_etag(port: int, target: str = "/a.txt") -> str:
    return fetch(port, target)["ETag"]


# --------------------------------------------------------------------------------------------
# 1. The same answers over TLS as over plain TCP
# --------------------------------------------------------------------------------------------

# name: (request head after the request line's target, the status expected)
PARITY = {
    "get": ("GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n", 200),
    "head": ("HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\n", 200),
    "range": ("GET /d.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=10-19\r\n\r\n", 206),
    "multirange": ("GET /d.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4,100-109,-5\r\n\r\n", 206),
    "if-none-match": ("GET /a.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n", 304),
    "if-modified-since": (f"GET /a.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: {http_date(MTIME)}\r\n\r\n", 304),
    "modified-since-older": ("GET /a.txt HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT\r\n\r\n", 200),
    "not-found": ("GET /missing.txt HTTP/1.1\r\nHost: t\r\n\r\n", 404),
    "directory-redirect": ("GET /dir?x=1 HTTP/1.1\r\nHost: t\r\n\r\n", 301),
    "directory-index": ("GET /dir/ HTTP/1.1\r\nHost: t\r\n\r\n", 200),
    "big": ("GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n", 200),
    "close": ("GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200),
}


@pytest.mark.parametrize("name", list(PARITY))
def test_python_ssl_answer_is_the_plain_answer(site, pki, name):
    """Python's ssl over the TLS listener gets, byte for byte (Date aside), what a plain client gets on
    the plain listener: GET, HEAD, single and multiple ranges, If-None-Match and If-Modified-Since (304),
    a 404, a directory redirect, a 3 MiB file, and `Connection: close` (then the server closes)."""
    plain, tls = listener_ports(site)
    raw, status = PARITY[name]
    raw = raw.replace("{etag}", plain_etag(plain))
    answers = []
    for conn in (Client(HOST, plain), tls_client(tls, pki.ca)):
        with conn:
            resp = conn.request(raw)
            assert resp.status == status, resp.status_line
            if name == "close":
                assert resp["Connection"] == "close"
                conn.expect_closed()
            else:  # the connection stays usable
                assert conn.get("/a.txt").body == b"hello over TLS\n"
        answers.append(without_date(resp.raw))
    assert answers[1] == answers[0]
    if name == "big":
        assert resp.body == BIG


# name: (curl's options, target, status)
CURL = {
    "get": ([], "/a.txt", 200),
    "head": (["-I"], "/a.txt", 200),
    "range": (["-r", "10-19"], "/d.bin", 206),
    "multirange": (["-r", "0-4,100-109,-5"], "/d.bin", 206),
    "if-none-match": (["-H", "If-None-Match: {etag}"], "/a.txt", 304),
    "if-modified-since": (["-z", http_date(MTIME)], "/a.txt", 304),
    "not-found": ([], "/missing.txt", 404),
    "directory-redirect": ([], "/dir", 301),
    "big": ([], "/big.bin", 200),
}


@pytest.mark.parametrize("name", list(CURL))
def test_curl_answer_is_the_plain_answer(site, pki, name):
    """curl (verifying the server against the test CA, by the 127.0.0.1 in its names) prints over https
    exactly what it prints over http (`-i --raw`, Date aside)."""
    plain, tls = listener_ports(site)
    options, target, status = CURL[name]
    options = [o.replace("{etag}", plain_etag(plain)) for o in options]
    outputs = []
    for url in (f"http://127.0.0.1:{plain}{target}", f"https://127.0.0.1:{tls}{target}"):
        p = curl("--http1.1", "-i", "--raw", "--cacert", str(pki.ca.root), *options, url)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith(f"HTTP/1.1 {status} ".encode()), p.stdout[:200]
        outputs.append(without_date(p.stdout))
    assert outputs[1] == outputs[0]
    if name == "big":
        assert outputs[1].endswith(BIG)


def test_curl_verifies_by_name_with_resolve(site, pki):
    """curl --resolve localhost:PORT:127.0.0.1 reaches https://localhost:PORT/ and verifies the
    certificate by its DNS name; ALPN settles on http/1.1 even when curl offers h2."""
    _, tls = listener_ports(site)
    p = curl("--http2", "--cacert", str(pki.ca.root), "--resolve", f"localhost:{tls}:127.0.0.1",
             "-w", "\n%{http_code} %{http_version} %{ssl_verify_result}", f"https://localhost:{tls}/a.txt")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"hello over TLS\n\n200 1.1 0"


def test_pipelined_requests_over_tls(site, pki):
    """Three requests sent in one write over TLS get their three answers in order, on one connection."""
    _, tls = listener_ports(site)
    with tls_client(tls, pki.ca) as c:
        c.send("GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
               "GET /d.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n"
               "HEAD /index.html HTTP/1.1\r\nHost: t\r\n\r\n")
        first, second, third = c.read_response(), c.read_response(), c.read_response("HEAD")
        assert first.body == b"hello over TLS\n"
        assert second.status == 206 and second.body == DATA[:10]
        assert third.status == 200 and third["Content-Length"] == str(len(FILES["index.html"]))
        c.expect_open()


def test_hsts_only_on_tls_answers(server, pki):
    """With HSTS, TLS answers carry `Strict-Transport-Security` after the other fields (before
    `Connection: close`) and are otherwise the plain answers; plain answers never carry it."""
    srv, plain, tls = start_tls(server, ["HSTS max-age=31536000; includeSubDomains", *tls_lines(*pki.site)])
    hsts = b"Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
    for raw in ("GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
                "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                "GET /dir HTTP/1.1\r\nHost: t\r\n\r\n"):
        with Client(HOST, plain) as c:
            p = c.request(raw)
        with tls_client(tls, pki.ca) as c:
            t = c.request(raw)
        assert not p.has("Strict-Transport-Security")
        assert t["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        head = p.raw_head
        if p.has("Connection"):
            expected = head.replace(b"Connection: close\r\n", hsts + b"Connection: close\r\n")
        else:
            expected = head[:-2] + hsts + b"\r\n"
        assert without_date(t.raw_head) == without_date(expected)
        assert t.body == p.body


def test_redirect_to_https_followed_by_curl(server, pki):
    """RedirectToHTTPS on: curl -L goes from http://localhost:PLAIN/ to https://localhost:TLS/ (308
    with the TLS port) and gets the file there, certificate verified."""
    srv, plain, tls = start_tls(server, ["RedirectToHTTPS on", *tls_lines(*pki.site)])
    p = curl("-L", "-i", "--cacert", str(pki.ca.root), "-w", "%{url_effective}",
             f"http://localhost:{plain}/a.txt?q=1")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert out.startswith("HTTP/1.1 308 Permanent Redirect\r\n"), out
    assert f"\r\nLocation: https://localhost:{tls}/a.txt?q=1\r\n" in out
    assert "\r\n\r\nHTTP/1.1 200 OK\r\n" in out
    assert out.endswith(f"\r\n\r\nhello over TLS\nhttps://localhost:{tls}/a.txt?q=1")


def test_access_log_combined_tls(server, pki):
    """AccessLog FILE combined_tls: a TLS 1.3 and a TLS 1.2 request end their lines with the protocol and
    the cipher in quotes, a plain one with "-" "-"."""
    srv, plain, tls = start_tls(server, ["AccessLog access.log combined_tls", *tls_lines(*pki.site)])
    ca = str(pki.ca.root)
    for args in ([f"https://127.0.0.1:{tls}/a.txt"], ["--tls-max", "1.2", f"https://127.0.0.1:{tls}/a.txt"],
                 [f"http://127.0.0.1:{plain}/a.txt"]):
        p = curl("--cacert", ca, "-A", "tester", *args)
        assert p.returncode == 0 and p.stdout == b"hello over TLS\n", p.stderr
    log = srv.dir / "access.log"
    lines = wait_for(lambda: log.read_text().splitlines() if log.exists() else [], lambda l: len(l) >= 3)
    tail = ' "GET /a.txt HTTP/1.1" 200 15 "-" "tester"'
    assert re.fullmatch(r'127\.0\.0\.1 - - \[[^\]]+\]' + re.escape(tail + ' "TLSv1.3" "TLS_AES_128_GCM_SHA256"'),
                        lines[0]), lines
    assert lines[1].endswith(tail + ' "TLSv1.2" "ECDHE-ECDSA-AES128-GCM-SHA256"'), lines
    assert lines[2].endswith(tail + ' "-" "-"'), lines


# --------------------------------------------------------------------------------------------
# 2. Protocol versions
# --------------------------------------------------------------------------------------------


def handshake_refused(out: str, alert: int, name: str):
    """s_client's output for a handshake the server refused with the fatal alert ALERT (NAME)."""
    assert "Cipher is (NONE)" in out, out
    assert f"alert {name}" in out and f"SSL alert number {alert}" in out, out


@pytest.mark.parametrize("option,version", [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_tls12_and_tls13_accepted(site, pki, option, version):
    """s_client limited to TLS 1.2, then to 1.3, completes the handshake with that version and verifies
    the chain (leaf and intermediate sent, root from the test CA)."""
    _, tls = listener_ports(site)
    out = s_client(tls, option, "-CAfile", str(pki.ca.root), "-servername", "localhost")
    # s_client prints the session (`Protocol  : ...`) of TLS 1.3 only once a ticket came: its summary line
    # is there in both versions.
    assert f"New, {version}, Cipher is " in out, out
    if version == "TLSv1.2":
        assert "Protocol  : TLSv1.2" in out
    assert "Verify return code: 0 (ok)" in out
    assert "subject=CN = localhost" in out
    assert "1 s:CN = httpd integration test intermediate" in out


@pytest.mark.parametrize("option", ["-tls1", "-tls1_1"])
def test_tls10_and_tls11_refused(site, pki, option):
    """A client that offers only TLS 1.0, or only 1.1 (s_client at security level 0, so that it can),
    is refused with the protocol_version alert (70); the error log says why, /metrics counts it."""
    _, tls = listener_ports(site)
    since = mark(site)
    before = failures_by_reason(site).get("unsupported protocol", 0)
    out = s_client(tls, option, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", str(pki.ca.root))
    handshake_refused(out, 70, "protocol version")
    logged(site, since, "[client 127.0.0.1] TLS handshake failed: unsupported protocol")
    assert wait_for(lambda: failures_by_reason(site).get("unsupported protocol", 0),
                    lambda n: n == before + 1) == before + 1
    get_ok(tls, pki.ca)


def sslv3_client_hello() -> bytes:
    """A ClientHello of SSL 3.0 (record and client version 3.0, AES128-SHA and DES-CBC3-SHA, no
    extensions): openssl 3 cannot send one (no -ssl3), so it is written byte by byte."""
    body = b"\x03\x00" + bytes(range(32)) + b"\x00" + b"\x00\x04\x00\x2f\x00\x0a" + b"\x01\x00"
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x00" + len(handshake).to_bytes(2, "big") + handshake


def test_sslv3_refused(site, pki):
    """SSLv3 (which openssl 3's s_client cannot offer: see also testssl's result in
    test_testssl_finds_nothing_high) is answered with one fatal alert and a close; the log says why."""
    _, tls = listener_ports(site)
    since = mark(site)
    with Client(HOST, tls) as c:
        c.send(sslv3_client_hello())
        answer = c.read_to_eof()
    assert answer[:1] == b"\x15" and len(answer) == 7, answer  # one alert record
    assert answer[5] == 2, answer  # fatal
    logged(site, since, "[client 127.0.0.1] TLS handshake failed: version too low")
    get_ok(tls, pki.ca)


def test_tls13_only_refuses_tls12(server, pki):
    """TLSProtocols TLSv1.3: a TLS 1.2 client is refused (protocol_version), a TLS 1.3 one served."""
    srv, plain, tls = start_tls(server, ["TLSProtocols TLSv1.3", *tls_lines(*pki.site)])
    handshake_refused(s_client(tls, "-tls1_2", "-CAfile", str(pki.ca.root)), 70, "protocol version")
    assert "New, TLSv1.3, Cipher is " in s_client(tls, "-tls1_3", "-CAfile", str(pki.ca.root))
    get_ok(tls, pki.ca)
    assert failures_by_reason(srv) == {"unsupported protocol": 1}


def test_tls12_only_refuses_tls13(server, pki):
    """TLSProtocols TLSv1.2: a client limited to TLS 1.3 is refused, one allowing 1.2 gets 1.2 (curl too)."""
    srv, plain, tls = start_tls(server, ["TLSProtocols TLSv1.2", *tls_lines(*pki.site)])
    handshake_refused(s_client(tls, "-tls1_3", "-CAfile", str(pki.ca.root)), 70, "protocol version")
    assert "Protocol  : TLSv1.2" in s_client(tls, "-CAfile", str(pki.ca.root))
    p = curl("--cacert", str(pki.ca.root), "-w", "%{http_code}", f"https://127.0.0.1:{tls}/a.txt")
    assert p.returncode == 0 and p.stdout == b"hello over TLS\n200", p.stderr


def test_configured_ciphers_are_the_only_ones(server, pki):
    """TLSCiphers and TLSCipherSuites replace the defaults: TLS 1.2 and 1.3 negotiate the one cipher
    configured for each; a client offering only another is refused (no shared cipher, logged)."""
    srv, _, tls = start_tls(server, ["TLSCiphers ECDHE-ECDSA-AES256-GCM-SHA384",
                                     "TLSCipherSuites TLS_CHACHA20_POLY1305_SHA256", *tls_lines(*pki.site)])
    root = str(pki.ca.root)
    assert "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384" in s_client(tls, "-tls1_2", "-CAfile", root)
    assert "New, TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256" in s_client(tls, "-tls1_3", "-CAfile", root)
    since = mark(srv)
    handshake_refused(s_client(tls, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-CAfile", root),
                      40, "handshake failure")
    handshake_refused(s_client(tls, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256", "-CAfile", root),
                      40, "handshake failure")
    log = logged(srv, since, "[client 127.0.0.1] TLS handshake failed: no shared cipher\n")
    assert wait_for(lambda: failures_by_reason(srv), lambda f: f == {"no shared cipher": 2}) == {"no shared cipher": 2}, log


# --------------------------------------------------------------------------------------------
# 3. ALPN
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offer", ["http/1.1", "h2,http/1.1", "http/1.0,http/1.1,h2"])
def test_alpn_picks_http11(site, pki, offer):
    """ALPN: whatever else the client offers with it, the server picks http/1.1."""
    _, tls = listener_ports(site)
    out = s_client(tls, "-alpn", offer, "-CAfile", str(pki.ca.root))
    assert "ALPN protocol: http/1.1" in out, out
    assert "New, TLSv1.3, Cipher is " in out


def test_alpn_h2_only_refused(site, pki):
    """A client offering only h2 is refused with the no_application_protocol alert (120, RFC 7301 3.2),
    and the error log says so; Python's ssl sees the same."""
    _, tls = listener_ports(site)
    since = mark(site)
    handshake_refused(s_client(tls, "-alpn", "h2", "-CAfile", str(pki.ca.root)), 120, "no application protocol")
    logged(site, since, "[client 127.0.0.1] TLS handshake failed: no application protocol")
    ctx = context(pki.ca)
    ctx.set_alpn_protocols(["h2"])
    with pytest.raises(ssl.SSLError, match="no application protocol"):
        tls_client(tls, pki.ca, ctx=ctx)
    get_ok(tls, pki.ca)


def test_no_alpn_is_fine(site, pki):
    """A client that offers no ALPN at all is served (no protocol named in the handshake)."""
    _, tls = listener_ports(site)
    out = s_client(tls, "-CAfile", str(pki.ca.root), "-ign_eof",
                   stdin=b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert "No ALPN negotiated" in out
    assert "HTTP/1.1 200 OK\r\n" in out and out.count("hello over TLS\n") == 1, out


def test_python_alpn(site, pki):
    """Python's ssl offering h2 and http/1.1 gets http/1.1, then its request answered."""
    _, tls = listener_ports(site)
    ctx = context(pki.ca)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with tls_client(tls, pki.ca, ctx=ctx) as c:
        assert c.sock.selected_alpn_protocol() == "http/1.1"
        assert c.get("/a.txt").body == b"hello over TLS\n"


# --------------------------------------------------------------------------------------------
# 4. SNI and the certificate's key type
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sni(server, pki):
    """A server with 4 pairs: ECDSA and RSA for localhost/127.0.0.1 (the first: the default), a.test,
    *.b.test."""
    return start_tls(server, [*tls_lines(*pki.site), *tls_lines(*pki.site_rsa), *tls_lines(*pki.a),
                              *tls_lines(*pki.b)])


def served(port: int, ca: CA, *args: str) -> str:
    out = s_client(port, "-CAfile", str(ca.root), *args)
    m = re.search(r"^subject=(.*)$", out, re.M)
    assert m, out
    return m.group(1)


@pytest.mark.parametrize("name,subject", [
    ("a.test", "CN = a.test"),
    ("A.Test", "CN = a.test"),  # names compare without regard to case
    ("x.b.test", "CN = *.b.test"),
    ("b.test", "CN = localhost"),  # *.b.test covers one label, not b.test itself...
    ("y.x.b.test", "CN = localhost"),  # ...nor two
    ("unknown.test", "CN = localhost"),
    ("localhost", "CN = localhost"),
])
def test_sni_picks_the_certificate(sni, pki, name, subject):
    """s_client -servername NAME gets the certificate whose names cover NAME (exact, or a *. wildcard
    of one label), else the first configured one."""
    _, _, tls = sni
    assert served(tls, pki.ca, "-servername", name) == subject


def test_no_sni_gets_the_first_certificate(sni, pki):
    """A client that sends no server name gets the first configured certificate."""
    _, _, tls = sni
    assert served(tls, pki.ca, "-noservername") == "CN = localhost"


def test_sni_with_verifying_clients(sni, pki):
    """curl (--resolve) and Python's ssl, both checking the name, are served a.test and x.b.test."""
    _, _, tls = sni
    for host in ("a.test", "x.b.test"):
        p = curl("--cacert", str(pki.ca.root), "--resolve", f"{host}:{tls}:127.0.0.1",
                 "-w", "%{ssl_verify_result}", f"https://{host}:{tls}/a.txt")
        assert p.returncode == 0 and p.stdout == b"hello over TLS\n0", p.stderr
        with tls_client(tls, pki.ca, server_name=host) as c:
            assert c.get("/a.txt").body == b"hello over TLS\n"


@pytest.mark.parametrize("args,bits,signature", [
    (["-tls1_2", "-sigalgs", "RSA-PSS+SHA256"], 2048, "RSA-PSS"),
    (["-tls1_2", "-sigalgs", "RSA+SHA256"], 2048, "RSA"),
    (["-tls1_2", "-sigalgs", "ECDSA+SHA256"], 256, "ECDSA"),
    (["-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"], 2048, "RSA-PSS"),
    (["-tls1_3", "-sigalgs", "ecdsa_secp256r1_sha256"], 256, "ECDSA"),
    (["-tls1_3"], 256, "ECDSA"),
])
def test_rsa_or_ecdsa_by_signature_algorithms(sni, pki, args, bits, signature):
    """With an RSA and an ECDSA pair for the same names, the client's signature algorithms pick the
    certificate (RSA 2048 or P-256), in TLS 1.2 and 1.3; ECDSA when the client accepts both."""
    _, _, tls = sni
    out = s_client(tls, "-CAfile", str(pki.ca.root), "-servername", "localhost", *args)
    assert f"Server public key is {bits} bit" in out, out
    assert f"Peer signature type: {signature}\n" in out
    assert "Verify return code: 0 (ok)" in out


def test_no_rsa_for_a_name_with_only_ecdsa(sni, pki):
    """a.test has only an ECDSA certificate: a client accepting only RSA signatures is refused (alert
    handshake failure), and the log says why."""
    srv, _, tls = sni
    since = mark(srv)
    handshake_refused(s_client(tls, "-tls1_2", "-sigalgs", "RSA-PSS+SHA256", "-servername", "a.test"),
                      40, "handshake failure")
    logged(srv, since, "[client 127.0.0.1] TLS handshake failed: no shared cipher")


# --------------------------------------------------------------------------------------------
# 5. Session resumption
# --------------------------------------------------------------------------------------------

REQUEST_CLOSE = b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"


def s_client_session(port: int, ca: CA, session: Path, *args: str, resume: bool) -> str:
    """s_client saving its session to SESSION (or, when RESUME, offering it): it sends one request and
    stays until the server closes, so that a TLS 1.3 ticket, sent after the handshake, arrives."""
    io = ["-sess_in" if resume else "-sess_out", str(session)]
    out = s_client(port, "-CAfile", str(ca.root), "-ign_eof", *io, *args, stdin=REQUEST_CLOSE)
    assert out.count("hello over TLS\n") == 1, out
    return out


def python_resumes(port: int, ca: CA, **ctx_options) -> bool:
    """Python's ssl: one connection and request, then a second offering the first's session; whether the
    server resumed it (both requests answered)."""
    ctx = context(ca, **ctx_options)
    with tls_client(port, ca, ctx=ctx) as c:
        assert c.get("/a.txt").body == b"hello over TLS\n"  # a TLS 1.3 ticket comes with the answer
        session = c.sock.session
        assert not c.sock.session_reused
    with tls_client(port, ca, ctx=ctx, session=session) as c:
        assert c.get("/a.txt").body == b"hello over TLS\n"
        return c.sock.session_reused


def assert_tls_counters(srv: Server, handshakes: int, resumed: int, protocols: dict[str, int]):
    t = tls_counters(srv)
    assert (t["handshakes"], t["resumed"], t["protocols"], t["failures"]) == (handshakes, resumed, protocols, 0), t


def test_tls12_resumes_from_the_session_cache(server, pki, tmp_path):
    """TLSSessionTickets off: a TLS 1.2 session is resumed by its ID from the server's cache (s_client
    -sess_out, then -sess_in: `Reused`), and the status counts 2 handshakes, 1 resumed."""
    srv, _, tls = start_tls(server, ["TLSSessionTickets off", *tls_lines(*pki.site)])
    session = tmp_path / "s12"
    first = s_client_session(tls, pki.ca, session, "-tls1_2", resume=False)
    assert "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" in first
    assert "TLS session ticket:" not in first
    assert re.search(r"Session-ID: [0-9A-F]{64}\n", first), first
    second = s_client_session(tls, pki.ca, session, "-tls1_2", resume=True)
    assert "Reused, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" in second, second
    assert_tls_counters(srv, 2, 1, {"TLSv1.2": 2})


def test_tls12_resumes_with_a_ticket(server, pki, tmp_path):
    """TLSSessionCache 0 (tickets on): a TLS 1.2 session comes back in its ticket (`Reused`); a client
    that refuses tickets (-no_ticket) has nothing to resume, as the server keeps no session."""
    srv, _, tls = start_tls(server, ["TLSSessionCache 0", *tls_lines(*pki.site)])
    session = tmp_path / "t12"
    first = s_client_session(tls, pki.ca, session, "-tls1_2", resume=False)
    assert "New, TLSv1.2" in first and "TLS session ticket lifetime hint: 3600 (seconds)" in first, first
    assert "Reused, TLSv1.2" in s_client_session(tls, pki.ca, session, "-tls1_2", resume=True)
    no_ticket = tmp_path / "n12"
    out = s_client_session(tls, pki.ca, no_ticket, "-tls1_2", "-no_ticket", resume=False)
    assert "New, TLSv1.2" in out and "TLS session ticket:" not in out
    assert re.search(r"Session-ID: \n", out), out  # no ID to come back with
    assert not no_ticket.exists()  # s_client saves only a resumable session
    assert_tls_counters(srv, 3, 1, {"TLSv1.2": 3})


def test_tls13_resumes_with_a_ticket(server, pki, tmp_path):
    """TLS 1.3 resumes with the ticket sent after the handshake: s_client (staying until the answer)
    and Python's ssl (`session=`) both resume; status: 4 handshakes, 2 resumed, all TLS 1.3."""
    srv, _, tls = start_tls(server, tls_lines(*pki.site))
    session = tmp_path / "t13"
    assert "New, TLSv1.3" in s_client_session(tls, pki.ca, session, "-tls1_3", resume=False)
    assert "Reused, TLSv1.3" in s_client_session(tls, pki.ca, session, "-tls1_3", resume=True)
    assert python_resumes(tls, pki.ca)
    assert_tls_counters(srv, 4, 2, {"TLSv1.3": 4})


def test_tls12_resumes_on_another_certificate(sni, pki, tmp_path):
    """A session made under SNI a.test (not the first certificate) resumes too, from the cache and from
    a ticket."""
    srv, _, tls = sni
    for options in (["-no_ticket"], []):
        session = tmp_path / f"a{len(options)}"
        args = ("-tls1_2", "-servername", "a.test", *options)
        first = s_client_session(tls, pki.ca, session, *args, resume=False)
        assert "subject=CN = a.test" in first
        assert "Reused, TLSv1.2" in s_client_session(tls, pki.ca, session, *args, resume=True)


def test_nothing_resumed_without_tickets_and_cache(server, pki, tmp_path):
    """TLSSessionTickets off and TLSSessionCache 0: nothing resumes in TLS 1.2 or 1.3: the server sends
    neither a session ID nor a ticket (s_client has nothing to save) and does not resume the session
    Python's ssl offers; status: every handshake full."""
    srv, _, tls = start_tls(server, ["TLSSessionTickets off", "TLSSessionCache 0", *tls_lines(*pki.site)])
    for version in ("-tls1_2", "-tls1_3"):
        session = tmp_path / f"none{version}"
        out = s_client_session(tls, pki.ca, session, version, resume=False)
        assert "New, TLSv1." in out and "TLS session ticket" not in out, out
        assert not session.exists()  # s_client saves only a resumable session: none came
    assert not python_resumes(tls, pki.ca)  # TLS 1.3
    assert not python_resumes(tls, pki.ca, maximum_version=ssl.TLSVersion.TLSv1_2)
    assert_tls_counters(srv, 6, 0, {"TLSv1.2": 3, "TLSv1.3": 3})


# --------------------------------------------------------------------------------------------
# 6. Scanners: testssl.sh and sslscan
# --------------------------------------------------------------------------------------------

# Protocols, cipher categories, forward secrecy, server preferences and defaults, headers, every
# vulnerability check, and each cipher (with --fast: by openssl, first preferred cipher only); not the
# client simulations. About 35 s here.
TESTSSL_CHECKS = ["-p", "-s", "-f", "-P", "-S", "-h", "-U", "-e", "--fast"]


def scan_summary(findings: list[dict]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    lines = ["testssl.sh severities: " + ", ".join(f"{k} {counts[k]}" for k in sorted(counts))]
    for f in findings:
        if f["severity"] in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "WARN"):
            lines.append(f"  {f['severity']:<8} {f['id']}: {f['finding']}")
    return "\n".join(lines)


def test_testssl_finds_nothing_high(server, pki, tmp_path):
    """testssl.sh against the TLS listener (ECDSA and RSA certificates, HSTS on, default TLS settings):
    no finding rated HIGH or CRITICAL, nothing VULNERABLE; SSLv2, SSLv3 (which openssl 3 cannot offer:
    testssl tries it over its own sockets), TLS 1.0 and 1.1 not offered, TLS 1.2 and 1.3 offered; no
    client-initiated renegotiation. Its summary is printed (pytest -s shows it)."""
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if testssl is None:
        pytest.skip("testssl.sh is not installed (Debian package testssl.sh; scripts/install-deps.sh test)")
    srv, _, tls = start_tls(server, ["HSTS max-age=31536000; includeSubDomains", *tls_lines(*pki.scan),
                                     *tls_lines(*pki.scan_rsa)])
    report = tmp_path / "testssl.json"
    p = subprocess.run([testssl, "--quiet", "--color", "0", "--warnings", "off", "--add-ca", str(pki.ca.root),
                        "--ip", "127.0.0.1", "--connect-timeout", "5", "--openssl-timeout", "5",
                        "--jsonfile-pretty", str(report), *TESTSSL_CHECKS, f"https://localhost:{tls}/"],
                       capture_output=True, text=True, timeout=150, cwd=tmp_path)
    assert report.exists(), p.stdout[-3000:] + p.stderr[-3000:]
    scan = json.loads(report.read_text())["scanResult"][0]
    findings = [f for section in scan.values() if isinstance(section, list) for f in section
                if isinstance(f, dict) and "severity" in f]
    # Its exit status counts the checks it could not complete: its TLS 1.3 ticket check (s_client with
    # stdin at EOF) sometimes quits before the ticket, sent after the handshake, arrives (a WARN then).
    summary = f"testssl.sh exit status {p.returncode}\n" + scan_summary(findings)
    print(summary)
    assert findings, p.stdout[-3000:] + p.stderr[-3000:]
    by_id = {f["id"]: f for f in findings}
    assert not [f for f in findings if f["severity"] in ("HIGH", "CRITICAL")], summary
    assert not [f for f in findings if "VULNERABLE" in f["finding"]], summary
    for id in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert by_id[id]["finding"] == "not offered", by_id[id]
    assert by_id["TLS1_2"]["finding"] == "offered"
    assert by_id["TLS1_3"]["finding"].startswith("offered"), by_id["TLS1_3"]
    assert by_id["secure_client_renego"]["finding"] == "not vulnerable", by_id["secure_client_renego"]
    assert by_id["HSTS_time"]["severity"] == "OK", by_id["HSTS_time"]
    assert srv.alive()
    get_ok(tls, pki.ca)


def test_sslscan_sees_only_strong_ciphers(server, pki, tmp_path):
    """sslscan (both certificates): SSLv2, SSLv3, TLS 1.0, 1.1 disabled; no renegotiation; not
    vulnerable to Heartbleed; every accepted cipher an AEAD of at least 128 bits with forward secrecy
    (the Mozilla intermediate list), TLS 1.2's rated strong; key exchange by X25519, P-256 or P-384 only."""
    srv, _, tls = start_tls(server, [*tls_lines(*pki.site), *tls_lines(*pki.site_rsa)])
    xml = tmp_path / "sslscan.xml"
    p = subprocess.run(["sslscan", "--no-colour", f"--xml={xml}", f"127.0.0.1:{tls}"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    test = ET.parse(xml).getroot().find("ssltest")
    enabled = {f"{e.get('type')}{e.get('version')}": e.get("enabled") for e in test.findall("protocol")}
    assert enabled == {"ssl2": "0", "ssl3": "0", "tls1.0": "0", "tls1.1": "0", "tls1.2": "1", "tls1.3": "1"}
    assert test.find("renegotiation").get("supported") == "0"
    assert {h.get("vulnerable") for h in test.findall("heartbleed")} == {"0"}
    ciphers = {(c.get("sslversion"), c.get("cipher")): c for c in test.findall("cipher")}
    assert set(ciphers) == {
        ("TLSv1.3", "TLS_AES_128_GCM_SHA256"), ("TLSv1.3", "TLS_AES_256_GCM_SHA384"),
        ("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"),
        ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"), ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"),
        ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"), ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"),
        ("TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305"), ("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305"),
        ("TLSv1.2", "DHE-RSA-AES128-GCM-SHA256"), ("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384"),
        ("TLSv1.2", "DHE-RSA-CHACHA20-POLY1305"),
    }, sorted(ciphers)
    for (version, name), c in ciphers.items():
        assert int(c.get("bits")) >= 128, (name, c.attrib)
        if version == "TLSv1.2":
            assert c.get("strength") == "strong", (name, c.attrib)
            assert int(c.get("dhebits") or c.get("ecdhebits")) >= 253, (name, c.attrib)
    preferred = {c.get("sslversion"): c.get("cipher") for c in ciphers.values() if c.get("status") == "preferred"}
    assert preferred == {"TLSv1.3": "TLS_AES_128_GCM_SHA256", "TLSv1.2": "ECDHE-ECDSA-AES128-GCM-SHA256"}
    # Key exchange: the groups of Mozilla's intermediate profile only (no finite-field groups in TLS 1.3).
    groups = {(g.get("sslversion"), g.get("id")) for g in test.findall("group")}
    assert groups == {(v, i) for v in ("TLSv1.2", "TLSv1.3") for i in ("0x0017", "0x0018", "0x001d")}, sorted(groups)


# --------------------------------------------------------------------------------------------
# 7. Bad input over TLS
# --------------------------------------------------------------------------------------------


@pytest.fixture
def guarded(server, pki):
    """A server with a plain and a TLS listener and RequestHeaderTimeout 1 (which bounds handshakes)."""
    return start_tls(server, ["RequestHeaderTimeout 1", *tls_lines(*pki.site)])


def send_raw(port: int, data: bytes, timeout: float = 5.0) -> tuple[bytes, float]:
    """DATA on a fresh TCP connection to PORT: every byte the server sends until it closes, and the
    seconds from the send to the close."""
    with Client(HOST, port, timeout=timeout) as c:
        start = time.monotonic()
        if data:
            c.send(data)
        answer = c.read_to_eof(timeout)
        return answer, time.monotonic() - start


def alert_of(answer: bytes) -> int | None:
    """The description of the one fatal alert record ANSWER is, or None when ANSWER is empty."""
    if not answer:
        return None
    assert len(answer) == 7 and answer[:1] == b"\x15" and answer[5] == 2, answer
    return answer[6]


GARBAGE = {
    # name: (bytes, the alert the server answers with (None: it just closes), the reason logged)
    "0x16-then-garbage": (b"\x16" + random.Random(1).randbytes(300), None, "wrong version number"),
    "handshake-record-of-garbage": (b"\x16\x03\x01\x00\x40" + random.Random(2).randbytes(64), 10,
                                    "unexpected message"),
    "binary-garbage": (b"\x00\xff" + random.Random(3).randbytes(300), None, "wrong version number"),
    "lower-case-text": (b"get / http/1.1\r\nhost: t\r\n\r\n", None, "wrong version number"),
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_garbage_before_the_handshake(guarded, pki, name):
    """Garbage instead of a ClientHello (a handshake byte 0x16 then noise, a record of noise, bytes that
    are neither TLS nor a method's capitals, lower-case text) is closed at once, with at most one alert;
    the error log gives OpenSSL's reason, /metrics counts it, and the next client is served."""
    srv, _, tls = guarded
    data, alert, reason = GARBAGE[name]
    since = mark(srv)
    answer, seconds = send_raw(tls, data)
    assert alert_of(answer) == alert
    assert seconds < 0.8, seconds  # not the header timeout (1 s)
    logged(srv, since, f"[client 127.0.0.1] TLS handshake failed: {reason}\n")
    wait_failures(srv, {reason: 1})
    get_ok(tls, pki.ca)


def test_client_stops_mid_handshake(guarded, pki):
    """A client that sends half a ClientHello and closes, and one that sends a whole ClientHello, reads
    the start of the server's flight and closes (its kernel resets the connection: bytes were left
    unread): each is logged with its cause and counted at once, and the server keeps serving."""
    srv, _, tls = guarded
    hello = client_hello(pki.ca)
    since = mark(srv)
    with Client(HOST, tls) as c:
        c.send(hello[:len(hello) // 2])
    logged(srv, since, "[client 127.0.0.1] TLS handshake failed: closed by the client\n", timeout=0.5)
    since = mark(srv)
    with Client(HOST, tls) as c:
        c.send(hello)
        assert c.sock.recv(5)[:1] == b"\x16"  # the ServerHello's record
    logged(srv, since, "[client 127.0.0.1] TLS handshake failed: Connection reset by peer\n", timeout=0.5)
    wait_failures(srv, {"closed by the client": 1, "Connection reset by peer": 1})
    get_ok(tls, pki.ca)


def test_stalled_handshake_closed_at_header_timeout(guarded, pki):
    """Half a ClientHello, then silence: the server closes at RequestHeaderTimeout (1 s) without a byte,
    logs that the handshake did not complete, and counts it."""
    srv, _, tls = guarded
    hello = client_hello(pki.ca)
    since = mark(srv)
    answer, seconds = send_raw(tls, hello[:len(hello) // 2])
    assert answer == b""
    assert 0.9 <= seconds < 2.5, seconds
    logged(srv, since, "[client 127.0.0.1] TLS handshake not completed within 1.0 s\n")
    wait_failures(srv, {"handshake not completed": 1})
    get_ok(tls, pki.ca)


def test_silent_client_closed_at_header_timeout(guarded, pki):
    """A client that connects and sends nothing is closed at RequestHeaderTimeout (1 s), as on plain TCP
    without a log line (a browser's spare connection is no error); /metrics counts `no ClientHello`."""
    srv, plain, tls = guarded
    since = mark(srv)
    answer, seconds = send_raw(tls, b"")
    assert answer == b""
    assert 0.9 <= seconds < 2.5, seconds
    wait_failures(srv, {"no ClientHello": 1})
    assert "[client" not in srv.log_path.read_bytes()[since:].decode()
    get_ok(tls, pki.ca)


def plain_on_tls(port: int, head_only: bool = False, body: str | None = None) -> bytes:
    text = body if body is not None else PLAIN_ON_TLS.format(port=port)
    head = ("HTTP/1.1 400 Bad Request\r\nDate: *\r\nServer: httpd/0.1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(text)}\r\nConnection: close\r\n\r\n")
    return (head + ("" if head_only else text)).encode()


def test_plain_http_request_to_the_tls_port(guarded, pki):
    """A plain HTTP request to the TLS port gets the exact 400 that names the https:// address (HEAD: its
    head), then the close; without a Host the answer says `https:// on this port`. Each is logged and
    counted (`plain HTTP`), and curl shows the text."""
    srv, _, tls = guarded
    since = mark(srv)
    answer, _ = send_raw(tls, f"GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1:{tls}\r\n\r\n".encode())
    assert without_date(answer) == plain_on_tls(tls)
    answer, _ = send_raw(tls, f"HEAD /a.txt HTTP/1.1\r\nHost: 127.0.0.1:{tls}\r\n\r\n".encode())
    assert without_date(answer) == plain_on_tls(tls, head_only=True)
    answer, _ = send_raw(tls, b"GET / HTTP/1.0\r\n\r\n")
    no_host = "400 Bad Request: this port speaks HTTPS (TLS), not plain HTTP. Use https:// on this port\n"
    assert without_date(answer) == plain_on_tls(tls, body=no_host)
    p = curl("-w", "%{http_code}", f"http://127.0.0.1:{tls}/a.txt")
    assert p.returncode == 0 and p.stdout == PLAIN_ON_TLS.format(port=tls).encode() + b"400", p.stderr
    log = logged(srv, since, '[client 127.0.0.1] 400 "GET / HTTP/1.0": plain HTTP request sent to a TLS port\n')
    assert log.count('"GET /a.txt HTTP/1.1": plain HTTP request sent to a TLS port\n') == 2
    assert '[client 127.0.0.1] 400 "HEAD /a.txt HTTP/1.1": plain HTTP request sent to a TLS port\n' in log
    wait_failures(srv, {"plain HTTP": 4})
    get_ok(tls, pki.ca)


def test_renegotiation_refused(guarded, pki):
    """A TLS 1.2 client asking to renegotiate (s_client's `R`) is refused: no second handshake (the
    server answers no_renegotiation, the client gives up and closes), the log says so, the counters show
    one handshake, and the server keeps serving."""
    srv, _, tls = guarded
    since = mark(srv)
    client = SClient(tls, "-tls1_2", "-CAfile", str(pki.ca.root))
    try:
        assert client.wait_for("Extended master secret: yes\n---\n"), client.output  # the session printed
        client.send(b"R\n")
        assert client.exited(5), client.output
    finally:
        out = client.finish()
    assert "RENEGOTIATING" in out and "no renegotiation" in out, out
    logged(srv, since, "[client 127.0.0.1] TLS: sslv3 alert handshake failure\n")
    t = tls_counters(srv)
    assert (t["handshakes"], t["failures"]) == (1, 0), t
    get_ok(tls, pki.ca)


def test_tls13_key_update_keeps_serving(guarded, pki):
    """TLS 1.3 key updates (s_client's `K`: ours, and the server asked to update its own) are no
    renegotiation: the connection goes on and its next request is answered."""
    srv, _, tls = guarded
    client = SClient(tls, "-tls1_3", "-CAfile", str(pki.ca.root))
    try:
        assert client.wait_for("Verify return code: 0 (ok)\n---\n"), client.output
        assert client.send(b"K\n")
        assert client.wait_for("KEYUPDATE"), client.output
        assert client.send(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        assert client.wait_for("hello over TLS\n"), client.output
    finally:
        out = client.finish()
    assert "HTTP/1.1 200 OK\r\n" in out
    assert tls_counters(srv)["failures"] == 0


# --------------------------------------------------------------------------------------------
# 8. Memory: failed handshakes leave nothing behind
# --------------------------------------------------------------------------------------------


def old_protocol_context() -> ssl.SSLContext:
    """A client context that offers only TLS 1.0 and 1.1 (security level 0, no certificate check)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    return ctx


def failing_clients(port: int, ca: CA) -> list:
    """Clients whose handshakes fail in different places, each a callable, with the reason counted."""
    hello = client_hello(ca)
    h2 = context(ca)
    h2.set_alpn_protocols(["h2"])
    untrusting = ssl.create_default_context()  # the system's roots: not the test CA
    old = old_protocol_context()

    def tls_fails(ctx):
        def run():
            with pytest.raises(ssl.SSLError):
                tls_client(port, ca, ctx=ctx)
        return run

    def half_hello():
        with Client(HOST, port) as c:
            c.send(hello[:len(hello) // 2])

    def reset_after_server_flight():
        with Client(HOST, port) as c:
            c.send(hello)
            c.sock.recv(5)

    def connect_and_close():
        Client(HOST, port).close()

    return [
        (lambda: send_raw(port, GARBAGE["0x16-then-garbage"][0]), "wrong version number"),
        (lambda: send_raw(port, GARBAGE["handshake-record-of-garbage"][0]), "unexpected message"),
        (half_hello, "closed by the client"),
        (reset_after_server_flight, "Connection reset by peer"),
        (tls_fails(h2), "no application protocol"),
        (tls_fails(untrusting), "tlsv1 alert unknown ca"),
        (tls_fails(old), "unsupported protocol"),
        (lambda: send_raw(port, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"), "plain HTTP"),
        (connect_and_close, "no ClientHello"),
    ]


def rss_kib(pid: int) -> int:
    return int(proc_status(pid)["VmRSS"].split()[0])


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_failed_handshakes_do_not_grow_memory(server, pki):
    """200 handshakes that fail in 9 ways (garbage, half a ClientHello, a reset, ALPN h2 only, a client
    that does not trust the certificate, TLS 1.0/1.1, plain HTTP, a connect without bytes) after a
    warm-up: the daemon's resident memory grows by less than 8 MiB, no descriptor is left open, each
    failure is counted by its reason, and a normal client is served."""
    srv, _, tls = start_tls(server, tls_lines(*pki.site))
    kinds = failing_clients(tls, pki.ca)
    counted: dict[str, int] = {}

    def run(n: int):
        for i in range(n):
            client, reason = kinds[i % len(kinds)]
            client()
            counted[reason] = counted.get(reason, 0) + 1

    run(3 * len(kinds))
    wait_failures(srv, counted)
    get_ok(tls, pki.ca)
    rss, fds = rss_kib(srv.pid), open_fds(srv.pid)
    run(200)
    wait_failures(srv, counted)
    get_ok(tls, pki.ca)
    grown = rss_kib(srv.pid) - rss
    print(f"RSS {rss} KiB before 200 failed handshakes, grown by {grown} KiB")
    assert grown < 8 * 1024, f"RSS grew by {grown} KiB over 200 failed handshakes"
    # No descriptor left open (there may be fewer: a connection of the warm-up may still have been closing).
    assert wait_for(lambda: open_fds(srv.pid), lambda n: n <= fds) <= fds
    assert tls_counters(srv)["handshakes"] == 2
