"""HTTPS in operation (issue 11): what `httpd -t` and a start say about certificates, rotation by reload
under load (new handshakes get the new certificate, connections keep theirs, a bad pair is refused),
HSTS, RedirectToHTTPS, the combined_tls access log, the TLS counters in status and /metrics, inetd mode
over TLS under xinetd, keys after the privilege drop, and etc/certbot-deploy-hook.

Certificates come from a test CA made with openssl (tlskit.py); `ca.env` makes httpd trust it. Every
process is stopped by its PID; everything listens on 127.0.0.1.
"""

from __future__ import annotations

import datetime
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from httpdkit import (
    wait_until,
    HOST,
    HTTPD_BIN,
    REPO,
    Client,
    Server,
    Sites,
    assert_common_head,
    connection_refused,
    free_port,
    make_site,
    parse_auto,
    parse_exposition,
    processes_with_arg,
    program,
    wait_for,
    wait_lines,
    without_date,
)
from tlskit import CA, context, run, serial_of, tls_client, tls_lines

HSTS_LINE = b"\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains\r\n"
RELOADED = r"configuration reloaded \(generation (\d+)\)"
FAILED = "reload failed, keeping the running configuration:"
FILE_PATH = "pread+SSL_write (no connection has had kernel TLS: OpenSSL without kTLS, or no `tls` kernel module)"


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> CA:
    """One test CA (root and intermediate) for the module; tests issue their own certificates from it."""
    return CA(tmp_path_factory.mktemp("ca"))


def unverified() -> ssl.SSLContext:
    """A client context that accepts any certificate (to look at what is served)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def der_serial(der: bytes) -> str:
    """The serial of a DER certificate, as `openssl x509 -serial` prints it."""
    p = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=ssl.DER_cert_to_PEM_cert(der).encode(),
                       capture_output=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return p.stdout.decode().strip().split("=", 1)[1]


def served_serial(port: int) -> str:
    """The serial of the certificate a new handshake (no session to resume) gets on 127.0.0.1:PORT."""
    with socket.create_connection((HOST, port), timeout=5) as raw:
        with unverified().wrap_socket(raw, server_hostname="localhost") as s:
            return der_serial(s.getpeercert(binary_form=True))


def not_after(pem: Path) -> str:
    """A certificate's notAfter as httpd writes dates: YYYY-MM-DD HH:MM:SS UTC."""
    text = run("openssl", "x509", "-in", str(pem), "-noout", "-enddate").strip().split("=", 1)[1]
    return datetime.datetime.strptime(text, "%b %d %H:%M:%S %Y GMT").strftime("%Y-%m-%d %H:%M:%S UTC")


def check(conf: Path, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """httpd -t -f CONF in ENV, output as text."""
    return subprocess.run([HTTPD_BIN, "-t", "-f", str(conf)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=15)


def tls_conf(dir: Path, cert: Path, key: Path) -> Path:
    """DIR/httpd.conf: www as the root, a TLS listener on a free port, the pair on lines 3 and 4."""
    (dir / "www").mkdir(parents=True, exist_ok=True)
    conf = dir / "httpd.conf"
    conf.write_text("\n".join(["DocumentRoot www", f"Listen {HOST}:{free_port()} tls", *tls_lines(cert, key)]) + "\n")
    return conf


# --------------------------------------------------------------------------------------------
# httpd -t and start-up
# --------------------------------------------------------------------------------------------


def test_check_good_pair(ca, tmp_path):
    """`httpd -t` with a good pair and a chain to a trusted root: `Syntax OK`, exit 0, nothing on stderr."""
    conf = tls_conf(tmp_path, *ca.issue("check-good"))
    r = check(conf, ca.env, tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"{conf}: Syntax OK\n", "")


def test_check_key_of_another_certificate(ca, tmp_path):
    """`httpd -t` with the key of another certificate: exit 1, `file:line:` on the key's line, both files named."""
    cert, _ = ca.issue("check-cert")
    _, key = ca.issue("check-stray")
    conf = tls_conf(tmp_path, cert, key)
    r = check(conf, ca.env, tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"httpd: error: {conf}:4: TLSCertificateKeyFile {key}: does not match the certificate "
                        f"in {cert}\n")


def test_check_misordered_chain(ca, tmp_path):
    """`httpd -t` with the intermediate before the certificate: exit 1 and the "did not issue" message (not a
    key mismatch, though the key does not match the file's first certificate)."""
    _, key = ca.issue("check-order")
    chain = tmp_path / "misordered.pem"
    chain.write_bytes(ca.inter.read_bytes() + (ca.dir / "check-order.leaf.pem").read_bytes())
    conf = tls_conf(tmp_path, chain, key)
    r = check(conf, ca.env, tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"httpd: error: {conf}:3: TLSCertificateFile {chain}: certificate 2 (CN=localhost) did not "
                        "issue certificate 1 (CN=httpd integration test intermediate): the file must hold the "
                        "certificate first, then each issuer in turn\n")


def test_check_incomplete_chain(ca, tmp_path):
    """`httpd -t` fails with "chain incomplete" for a certificate without its intermediate, and for a full chain
    whose root this system does not trust (no SSL_CERT_FILE); the issuer that is missing is named."""
    chain, key = ca.issue("check-chain")
    leaf = ca.dir / "check-chain.leaf.pem"
    conf = tls_conf(tmp_path, leaf, key)
    r = check(conf, ca.env, tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"httpd: error: {conf}:3: TLSCertificateFile {leaf}: chain incomplete: the issuer of the last "
                        "certificate (CN=httpd integration test intermediate) is neither in the file nor trusted by "
                        "this system\n")
    conf = tls_conf(tmp_path, chain, key)
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    r = check(conf, env, tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"httpd: error: {conf}:3: TLSCertificateFile {chain}: chain incomplete: the issuer of the last "
                        "certificate (CN=httpd integration test root) is neither in the file nor trusted by this "
                        "system\n")


def test_check_expired_and_not_yet_valid(ca, tmp_path):
    """`httpd -t` with a certificate that expired, then one not valid yet: exit 1 with the date in UTC."""
    cert, key = ca.issue("check-expired", start="20200101000000Z", end="20210101120000Z")
    conf = tls_conf(tmp_path, cert, key)
    r = check(conf, ca.env, tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == f"httpd: error: {conf}:3: TLSCertificateFile {cert}: expired on 2021-01-01 12:00:00 UTC\n"
    cert, key = ca.issue("check-future", start="20400101000000Z", end="20410101000000Z")
    conf = tls_conf(tmp_path, cert, key)
    r = check(conf, ca.env, tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == f"httpd: error: {conf}:3: TLSCertificateFile {cert}: not valid before 2040-01-01 00:00:00 UTC\n"


def test_check_expiring_within_14_days_warns(ca, tmp_path):
    """`httpd -t` with a certificate expiring in 5 days: exit 0, Syntax OK, and a warning with the date."""
    cert, key = ca.issue("check-soon", days=5)
    conf = tls_conf(tmp_path, cert, key)
    r = check(conf, ca.env, tmp_path)
    assert (r.returncode, r.stdout) == (0, f"{conf}: Syntax OK\n")
    assert r.stderr == (f"httpd: warning: {conf}:3: TLSCertificateFile {cert}: expires on {not_after(cert)}, "
                        "within 14 days\n")


def test_check_key_readable_by_others_warns(ca, tmp_path):
    """`httpd -t` with a key file of mode 644: exit 0, and a warning that names the mode."""
    cert, key = ca.issue("check-mode")
    os.chmod(key, 0o644)
    conf = tls_conf(tmp_path, cert, key)
    r = check(conf, ca.env, tmp_path)
    assert (r.returncode, r.stdout) == (0, f"{conf}: Syntax OK\n")
    assert r.stderr == (f"httpd: warning: {conf}:4: TLSCertificateKeyFile {key}: readable by group or others "
                        "(mode 644): chmod 600 it\n")


def tls_site(sites, name: str, cert: Path, key: Path, extra=()):
    """A daemon site serving TLS only, its pair copied to live/cert.pem and live/key.pem (lines 2 and 3)."""
    site = sites(name, write=False)
    live = site.dir / "live"
    live.mkdir()
    install_pair(live, cert, key)
    lines = [f"Listen {HOST}:{site.port} tls", f"TLSCertificateFile {live / 'cert.pem'}",
             f"TLSCertificateKeyFile {live / 'key.pem'}"]
    site.write_conf(lines=lines + [line for line in site.base_lines() if not line.startswith("Listen")] + list(extra))
    return site


def install_pair(live: Path, cert: Path, key: Path):
    """Replace live/cert.pem and live/key.pem as certbot does: each new file renamed over the old one."""
    for src, dst, mode in ((cert, live / "cert.pem", 0o644), (key, live / "key.pem", 0o600)):
        tmp = dst.with_suffix(".new")
        shutil.copyfile(src, tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, dst)


def start(site, env: dict) -> int:
    """Start SITE's daemon in ENV; the starter exits 0 with no output; returns the daemon's PID."""
    r = subprocess.run([HTTPD_BIN, "-f", str(site.conf)], capture_output=True, text=True, cwd=site.dir, env=env,
                       timeout=15)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", ""), r.stderr
    return site.pid()


def test_start_with_a_problem_serves_and_warns(ca, sites):
    """A start with an expired certificate (a problem: `-t` fails) serves it and logs a warn line with the date."""
    cert, key = ca.issue("start-expired", start="20200101000000Z", end="20210101000000Z")
    site = tls_site(sites, "expired", cert, key)
    start(site, ca.env)
    assert site.wait_error_log(r"\[warn\] \[pid \d+\] " + re.escape(
        f"{site.conf}:2: TLSCertificateFile {site.dir / 'live/cert.pem'}: expired on 2021-01-01 00:00:00 UTC") + "$")
    assert served_serial(site.port) == serial_of(cert)
    with Client.on(unverified().wrap_socket(socket.create_connection((HOST, site.port)),
                                            server_hostname="localhost")) as c:
        assert c.get("/a.txt").body == b"hello\n"


def test_start_with_a_fatal_finding_refuses(ca, sites):
    """A start with a key that does not match its certificate exits 1 with the message on the terminal; no
    daemon, no PID file, nothing listens."""
    cert, _ = ca.issue("start-cert")
    _, key = ca.issue("start-stray")
    site = tls_site(sites, "fatal", cert, key)
    r = subprocess.run([HTTPD_BIN, "-f", str(site.conf)], capture_output=True, text=True, cwd=site.dir, env=ca.env,
                       timeout=15)
    live = site.dir / "live"
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"httpd: error: {site.conf}:3: TLSCertificateKeyFile {live / 'key.pem'}: does not match the "
                        f"certificate in {live / 'cert.pem'}\n")
    assert not site.pid_file.exists()
    assert processes_with_arg(str(site.conf)) == []
    assert connection_refused(site.port)


# --------------------------------------------------------------------------------------------
# Reload: certificate rotation
# --------------------------------------------------------------------------------------------


def wrk_summary(out: str) -> tuple[int, list[str]]:
    """(requests done, the lines that report errors) from wrk's output."""
    m = re.search(r"^\s*(\d+) requests in ", out, re.M)
    assert m, out
    bad = [line for line in out.splitlines() if "Socket errors" in line or "Non-2xx" in line]
    return int(m.group(1)), bad


def test_rotation_under_load(ca, sites):
    """Replace the pair and SIGHUP under wrk over TLS: new handshakes get the new serial, a connection opened
    before keeps working, wrk sees no error; then a mismatched pair is refused and the new one keeps serving."""
    a, b, c = (ca.issue(f"rotate-{n}") for n in "abc")
    site = tls_site(sites, "rotate", *a, extra=["MaxKeepAliveRequests 0"])
    pid = start(site, ca.env)
    assert served_serial(site.port) == serial_of(a[0])
    old = tls_client(site.port, ca)
    assert old.get("/a.txt").body == b"hello\n"
    wrk = subprocess.Popen([program("wrk"), "-t1", "-c8", "-d6s", f"https://{HOST}:{site.port}/a.txt"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1.5)
        install_pair(site.dir / "live", *b)
        os.kill(pid, signal.SIGHUP)
        assert site.wait_error_log(RELOADED), site.error_text()
        assert served_serial(site.port) == serial_of(b[0])
        r = old.get("/a.txt")
        assert (r.status, r.body) == (200, b"hello\n")
        assert der_serial(old.sock.getpeercert(binary_form=True)) == serial_of(a[0])
        out, _ = wrk.communicate(timeout=20)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
        old.close()
    assert wrk.returncode == 0, out
    done, bad = wrk_summary(out)
    assert done > 100 and bad == [], out
    with tls_client(site.port, ca) as status:
        tls = status.get("/server-status?format=json").json()["tls"]
    # No handshake failed: the one "no ClientHello" is wrk's first connect, which only checks the address.
    assert tls["failures_by_reason"] == {"no ClientHello": 1} and tls["handshakes"] >= 10, tls
    # C's certificate with B's key: refused with file:line, B keeps serving.
    live = site.dir / "live"
    install_pair(live, c[0], b[1])
    os.kill(pid, signal.SIGHUP)
    m = site.wait_error_log(r"\[error\] \[pid \d+\] " + re.escape(FAILED) + "\n  " + re.escape(
        f"httpd: error: {site.conf}:3: TLSCertificateKeyFile {live / 'key.pem'}: does not match the certificate "
        f"in {live / 'cert.pem'}") + "$")
    assert m, site.error_text()
    assert len(re.findall(RELOADED, site.error_text())) == 1
    assert served_serial(site.port) == serial_of(b[0])
    assert site.pid() == pid


# --------------------------------------------------------------------------------------------
# HSTS, RedirectToHTTPS, combined_tls
# --------------------------------------------------------------------------------------------


def both(server, ca, conf_lines) -> tuple[Server, int, int]:
    """A foreground server with a TLS listener (on a free port: RedirectToHTTPS names it) and a plain one (port
    0: one address cannot be given twice); (server, TLS port, plain port)."""
    cert, key = ca.issue(f"both-{time.monotonic_ns()}")
    srv = server(conf_lines=[*tls_lines(cert, key), *conf_lines], files={"a.txt": "hello\n"},
                 listen=[f"{HOST}:{free_port()} tls", f"{HOST}:0"], expect_listens=2)
    ports = dict(re.findall(r"listening on (https?)://127\.0\.0\.1:(\d+)/", srv.stderr()))
    return srv, int(ports["https"]), int(ports["http"])


def requests_both_ways(client: Client) -> list[tuple[str, bytes]]:
    """The HSTS test's requests on one keep-alive CLIENT: (name, raw response head)."""
    heads = []
    ok = client.get("/a.txt")
    heads.append(("200", ok.raw_head))
    heads.append(("304", client.get("/a.txt", {"If-None-Match": ok["ETag"]}).raw_head))
    heads.append(("404", client.get("/missing").raw_head))
    heads.append(("HEAD", client.get("/a.txt", method="HEAD").raw_head))
    for target in ("/server-status", "/server-status?auto", "/server-status?format=json", "/metrics", "/healthz",
                   "/readyz"):
        heads.append((target, client.get(target).raw_head))
    client.send("GET / HTTP/1.1\r\n\r\n")  # no Host: 400, and the connection closes
    heads.append(("400", client.read_response().raw_head))
    return heads


def test_hsts_on_every_tls_response_only(ca, server):
    """`HSTS 31536000; includeSubDomains`: every response over TLS (200, 304, 404, HEAD, status pages, 400) has
    the exact header once (after the response's own fields, before Connection); no response on the plain
    listener has it."""
    srv, tls_port, plain_port = both(server, ca, ["HSTS 31536000; includeSubDomains"])
    with tls_client(tls_port, ca) as c:
        tls = requests_both_ways(c)
    with Client(HOST, plain_port) as c:
        plain = requests_both_ways(c)
    for (name, head), (_, plain_head) in zip(tls, plain):
        assert head.count(b"Strict-Transport-Security") == 1, (name, head)
        assert HSTS_LINE in head, (name, head)
        assert b"Strict-Transport-Security" not in plain_head, (name, plain_head)
    # A file's head over TLS is the plain one with the field added (the dates aside).
    assert without_date(tls[0][1]).replace(HSTS_LINE, b"\r\n") == without_date(plain[0][1])
    assert without_date(tls[0][1]).endswith(HSTS_LINE + b"\r\n")


def test_redirect_to_https(ca, server):
    """RedirectToHTTPS on: a plain GET gets the exact 308 to https on the TLS port with path and query, HEAD
    the same head without a body; /healthz and /readyz are served; the TLS listener serves normally, an ACME
    challenge file under /.well-known/ included (redirected to it from the plain listener)."""
    srv, tls_port, plain_port = both(server, ca, ["RedirectToHTTPS on"])
    location = f"https://localhost:{tls_port}/a/b?x=1"
    body = ("<!DOCTYPE html>\n<html><head><title>308 Permanent Redirect</title></head>\n"
            f'<body><h1>Permanent Redirect</h1><p><a href="{location}">{location}</a></p></body></html>\n').encode()
    with Client(HOST, plain_port) as c:
        for method in ("GET", "HEAD"):
            c.send(f"{method} /a/b?x=1 HTTP/1.1\r\nHost: localhost:{plain_port}\r\n\r\n")
            r = c.read_response(method)
            assert r.status_line == "HTTP/1.1 308 Permanent Redirect"
            assert r.names == ["Date", "Server", "Location", "Content-Type", "Content-Length"], r.headers
            assert r["Location"] == location
            assert r["Content-Type"] == "text/html; charset=utf-8"
            assert r["Content-Length"] == str(len(body))
            assert r.body == (body if method == "GET" else b"")
        for target, text in (("/healthz", b"ok\n"), ("/readyz", b"ready\n")):
            r = c.request(f"GET {target} HTTP/1.1\r\nHost: localhost:{plain_port}\r\n\r\n")
            assert (r.status, r.body) == (200, text), r.raw
    with tls_client(tls_port, ca) as c:
        r = c.get("/a.txt")
        assert_common_head(r, 200)
        assert r.body == b"hello\n"
        # certbot's webroot challenge: redirected like any path, served over TLS (HideDotfiles spares .well-known).
        challenge = srv.root / ".well-known" / "acme-challenge" / "tok-123"
        challenge.parent.mkdir(parents=True)
        challenge.write_bytes(b"tok-123.thumbprint")
        (srv.root / ".git").mkdir()
        (srv.root / ".git" / "config").write_text("[core]\n")
        assert (c.get("/.well-known/acme-challenge/tok-123").body, c.get("/.git/config").status) == \
            (b"tok-123.thumbprint", 404)
    with Client(HOST, plain_port) as c:
        r = c.request(f"GET /.well-known/acme-challenge/tok-123 HTTP/1.1\r\nHost: example.test\r\n\r\n")
        assert (r.status, r["Location"]) == (308, f"https://example.test:{tls_port}/.well-known/acme-challenge/tok-123")


def test_access_log_combined_tls(ca, server):
    """`AccessLog … combined_tls`: a TLS request's line ends with the protocol and cipher the client negotiated
    (Python's ssl and curl), a plain request's with `"-" "-"`."""
    srv, tls_port, plain_port = both(server, ca, ["AccessLog access.log combined_tls"])
    with tls_client(tls_port, ca) as c:
        c.get("/a.txt", {"User-Agent": "py"})
        version, cipher = c.sock.version(), c.sock.cipher()[0]
    curl = subprocess.run([program("curl"), "-s", "-o", "/dev/null", "-w", "%{ssl_verify_result}", "--cacert",
                           str(ca.root), "--resolve", f"localhost:{tls_port}:{HOST}", "-H", "User-Agent: curl12",
                           "--tls-max", "1.2",
                           f"https://localhost:{tls_port}/a.txt"], capture_output=True, text=True, timeout=10)
    assert (curl.returncode, curl.stdout) == (0, "0"), curl.stderr
    with Client(HOST, plain_port) as c:
        c.get("/missing", {"User-Agent": "plain"})
    lines = wait_lines(srv.dir / "access.log", 3, 3)
    assert len(lines) == 3, lines
    tails = [re.sub(rb"^127\.0\.0\.1 - - \[[^]]+\] ", b"", line).decode() for line in lines]
    assert tails == [
        f'"GET /a.txt HTTP/1.1" 200 6 "-" "py" "{version}" "{cipher}"',
        '"GET /a.txt HTTP/1.1" 200 6 "-" "curl12" "TLSv1.2" "ECDHE-ECDSA-AES128-GCM-SHA256"',
        '"GET /missing HTTP/1.1" 404 107 "-" "plain" "-" "-"',
    ]
    assert (version, cipher) == ("TLSv1.3", "TLS_AES_128_GCM_SHA256")


# --------------------------------------------------------------------------------------------
# Counters: ?auto, JSON, /metrics, HTML
# --------------------------------------------------------------------------------------------


def test_tls_counters_in_status_and_metrics(ca, server):
    """After 4 handshakes (one resumed) and 4 failures (no ClientHello, plain HTTP, a client refusing the
    certificate, TLS 1.1), ?auto, JSON, /metrics (accepted by promtool) and the HTML page say so."""
    srv, tls_port, plain_port = both(server, ca, [])
    ctx = context(ca)
    session = None
    for _ in range(3):
        with tls_client(tls_port, ca, ctx=ctx) as c:
            assert c.get("/a.txt").status == 200
            session = c.sock.session
    raw = socket.create_connection((HOST, tls_port), timeout=5)
    with Client.on(ctx.wrap_socket(raw, server_hostname="localhost", session=session)) as c:
        assert c.get("/a.txt").status == 200
        assert c.sock.session_reused
    # Failures.
    socket.create_connection((HOST, tls_port), timeout=5).close()
    with Client(HOST, tls_port) as c:
        assert c.get("/a.txt").status == 400
    with pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(socket.create_connection((HOST, tls_port), timeout=5),
                                                 server_hostname="localhost")
    out = subprocess.run(["openssl", "s_client", "-connect", f"{HOST}:{tls_port}", "-tls1_1", "-cipher",
                          "DEFAULT@SECLEVEL=0"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    assert out.returncode != 0

    def auto():
        with Client(HOST, plain_port) as c:
            return dict(parse_auto(c.get("/server-status?auto").text))

    want = {"TLSHandshakes": "4", "TLSHandshakeFailures": "4", "TLSSessionsResumed": "1", "TLSFilePath": FILE_PATH,
            "TLSProtocolTLSv1.3": "4"}
    got = wait_for(auto, lambda a: {k: a.get(k) for k in want} == want)
    assert {k: got.get(k) for k in want} == want, got
    assert [k for k in got if k.startswith("TLS")] == list(want)
    reasons = {"no ClientHello": 1, "plain HTTP": 1, "tlsv1 alert unknown ca": 1, "unsupported protocol": 1}
    with Client(HOST, plain_port) as c:
        status = c.get("/server-status?format=json").json()
        metrics = c.get("/metrics")
        html = c.get("/server-status").text
    assert status["tls"] == {"handshakes": 4, "resumed": 1, "failures": 4, "failures_by_reason": reasons,
                             "protocols": {"TLSv1.3": 4}, "file_path": FILE_PATH}
    p = subprocess.run([program("promtool"), "check", "metrics"], input=metrics.body, capture_output=True, timeout=30)
    assert (p.returncode, p.stdout, p.stderr) == (0, b"", b""), (p.stdout, p.stderr)
    m = parse_exposition(metrics.text)
    assert m.value("httpd_tls_handshakes_total") == 4
    assert m.value("httpd_tls_sessions_resumed_total") == 1
    assert m.value("httpd_tls_protocol_handshakes_total", protocol="TLSv1.3") == 4
    assert {l["reason"]: v for l, v in m.values("httpd_tls_handshake_failures_total")} == reasons
    assert all(m.types[n] == "counter" for n in ("httpd_tls_handshakes_total", "httpd_tls_handshake_failures_total",
                                                  "httpd_tls_sessions_resumed_total",
                                                  "httpd_tls_protocol_handshakes_total"))
    assert ("<tr><th>TLS handshakes</th><td>4 (resumed 1; TLSv1.3 4), failed 4 (no ClientHello 1, plain HTTP 1, "
            "tlsv1 alert unknown ca 1, unsupported protocol 1)</td></tr>") in html
    assert f"<tr><th>TLS file bodies</th><td>{FILE_PATH}</td></tr>" in html, html


# --------------------------------------------------------------------------------------------
# inetd mode over TLS, under xinetd
# --------------------------------------------------------------------------------------------


def test_xinetd_over_tls(ca, tmp_path, xinetd):
    """httpd --inetd with a certificate pair under xinetd speaks TLS: curl gets 200 and the same bytes as a
    stand-alone TLS listener (Date aside); a session is never resumed (a process per connection, each with its
    own ticket keys); a plain request gets the 400 plain-HTTP answer and the close."""
    cert, key = ca.issue("inetd")
    site = make_site(tmp_path, conf_lines=tls_lines(cert, key))
    x = xinetd(site)
    alone = Server(site.dir, args=["ErrorLog stderr", "PidFile off"], log_name="standalone.log").start(
        listen=f"{HOST}:0 tls")
    try:
        for target in ("/a.txt", "/blob.bin", "/missing"):
            got = []
            for port in (x.port, alone.port):
                r = subprocess.run([program("curl"), "-s", "-i", "--cacert", str(ca.root), "--resolve",
                                    f"localhost:{port}:{HOST}", f"https://localhost:{port}{target}"],
                                   capture_output=True, timeout=10)
                assert r.returncode == 0, r.stderr
                got.append(without_date(r.stdout))
            assert got[0] == got[1], target
            assert got[0].startswith(b"HTTP/1.1 404" if target == "/missing" else b"HTTP/1.1 200 OK\r\n"), got[0][:80]
        assert got[0].endswith(b"404 Not Found</h1></body></html>\n")
        ctx = context(ca)
        with tls_client(x.port, ca, ctx=ctx) as c:
            r = c.get("/blob.bin")
            assert (r.status, r.body) == (200, (site.root / "blob.bin").read_bytes())
            assert c.sock.version() == "TLSv1.3"
            session = c.sock.session
        # Each connection is a new process with its own ticket keys: a session cannot be resumed.
        raw_sock = socket.create_connection((HOST, x.port), timeout=5)
        with Client.on(ctx.wrap_socket(raw_sock, server_hostname="localhost", session=session)) as c:
            assert c.get("/a.txt", close=True).status == 200
            assert not c.sock.session_reused
        with x.connect() as c:
            c.send("GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            raw = c.read_to_eof()
        text = b"400 Bad Request: this port speaks HTTPS (TLS), not plain HTTP. Use https://t/\n"
        assert without_date(raw) == (b"HTTP/1.1 400 Bad Request\r\nDate: *\r\nServer: httpd/0.1.0\r\n"
                                     b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
                                     + str(len(text)).encode() + b"\r\nConnection: close\r\n\r\n" + text)
    finally:
        assert alone.stop() == 0
    assert x.wait_no_children(5), x.children()


# --------------------------------------------------------------------------------------------
# Keys and the privilege drop
# --------------------------------------------------------------------------------------------


@pytest.fixture
def world_sites():
    """Sites under a world-readable folder in /tmp (tmp_path is 0700, unreadable by nobody)."""
    base = Path(tempfile.mkdtemp(prefix="httpd-tls-", dir="/tmp"))
    os.chmod(base, 0o755)
    factory = Sites(base)
    yield factory
    factory.cleanup()
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_reload_after_privilege_drop_reads_a_root_only_key_in_the_master(ca, world_sites):
    """With `User nobody` and a key only root can read (certbot's way), the start (as root) reads it before
    dropping and serves, and a reload still reads it: the master, which stays root, reloads with a new worker
    (and logs why); `-t` and the start say nothing about it. Once nobody may read the key, a reload is made in
    place by the worker again."""
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user nobody")
    a, b, c = ca.issue("priv-a"), ca.issue("priv-b"), ca.issue("priv-c")
    site = tls_site(world_sites, "priv", *a)
    run_dir = site.dir / "run"
    run_dir.mkdir()
    os.chown(run_dir, nobody.pw_uid, nobody.pw_gid)
    site.pid_file = run_dir / "httpd.pid"
    lines = [line for line in site.conf.read_text().splitlines() if not line.startswith("PidFile")]
    group = grp.getgrgid(nobody.pw_gid).gr_name
    site.write_conf(lines=lines + ["PidFile run/httpd.pid", "User nobody", f"Group {group}"])
    live = site.dir / "live"
    assert (live / "key.pem").stat().st_mode & 0o777 == 0o600 and (live / "key.pem").stat().st_uid == 0
    r = check(site.conf, ca.env, site.dir)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"{site.conf}: Syntax OK\n", "")
    pid = start(site, ca.env)
    assert site.wait_error_log("running as user nobody"), site.error_text()
    assert "not readable by user nobody" not in site.error_text()
    assert served_serial(site.port) == serial_of(a[0])
    install_pair(live, *b)
    os.kill(pid, signal.SIGHUP)
    assert site.wait_error_log(
        rf"\[notice\] \[pid {pid}\] SIGHUP: reloading {re.escape(str(site.conf))} with new workers \(TLSCertificateKeyFile "
        rf"{re.escape(str(live / 'key.pem'))} is readable by root only\)$"), site.error_text()
    assert site.wait_error_log(rf"\[pid {pid}\] configuration reloaded \(generation 2\): worker pid \d+ serves; "), \
        site.error_text()
    assert wait_until(lambda: served_serial(site.port) == serial_of(b[0]), 5)
    # Readable by nobody: the worker reloads in place.
    install_pair(live, *c)
    for f in ("key.pem", "cert.pem"):
        os.chown(live / f, nobody.pw_uid, nobody.pw_gid)
    os.kill(pid, signal.SIGHUP)
    assert site.wait_error_log(r"\[notice\] \[pid \d+\] configuration reloaded \(generation 3\)$"), site.error_text()
    assert served_serial(site.port) == serial_of(c[0])



# --------------------------------------------------------------------------------------------
# etc/certbot-deploy-hook
# --------------------------------------------------------------------------------------------


def test_certbot_deploy_hook(ca, sites):
    """etc/certbot-deploy-hook (HTTPD and HTTPD_CONF from the environment) checks the configuration and reloads
    the daemon: the new serial is served; with a mismatched pair it exits 1, says why, and reloads nothing."""
    hook = REPO / "etc" / "certbot-deploy-hook"
    assert os.access(hook, os.X_OK)
    assert hook.read_text().startswith("#!/bin/sh\n")
    a, b, c = (ca.issue(f"hook-{n}") for n in "abc")
    site = tls_site(sites, "hook", *a)
    pid = start(site, ca.env)
    live = site.dir / "live"
    install_pair(live, *b)
    env = {**ca.env, "HTTPD": HTTPD_BIN, "HTTPD_CONF": str(site.conf), "RENEWED_LINEAGE": str(live),
           "RENEWED_DOMAINS": "localhost"}
    r = subprocess.run([str(hook)], capture_output=True, text=True, env=env, cwd="/", timeout=30)
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    assert r.stderr == (f"certbot-deploy-hook: checking {site.conf} (renewed: localhost)\n"
                        f"{site.conf}: Syntax OK\n"
                        f"certbot-deploy-hook: reloading: {HTTPD_BIN} -s reload -f {site.conf}\n")
    assert site.wait_error_log(RELOADED), site.error_text()
    assert served_serial(site.port) == serial_of(b[0])
    install_pair(live, c[0], b[1])
    r = subprocess.run([str(hook)], capture_output=True, text=True, env=env, cwd="/", timeout=30)
    assert (r.returncode, r.stdout) == (1, ""), r.stderr
    assert r.stderr == (f"certbot-deploy-hook: checking {site.conf} (renewed: localhost)\n"
                        f"httpd: error: {site.conf}:3: TLSCertificateKeyFile {live / 'key.pem'}: does not match "
                        f"the certificate in {live / 'cert.pem'}\n"
                        f"certbot-deploy-hook: {site.conf} fails the check: httpd not reloaded (it keeps "
                        "serving the certificate it has)\n")
    time.sleep(0.3)
    assert site.error_text().count("SIGHUP") == 1
    assert served_serial(site.port) == serial_of(b[0])


def test_reload_switches_a_kept_address_between_plain_and_tls(ca, sites):
    """A reload that adds or removes `tls` on a Listen address it keeps switches the bound socket in place
    (no second bind of the same port): after each SIGHUP the same port answers over TLS, then plain again."""
    cert, key = ca.issue("switch")
    site = tls_site(sites, "switch", cert, key)
    plain_lines = [line.replace(" tls", "") if line.startswith("Listen") else line for line in site.conf.read_text().splitlines()]
    tls_text = site.conf.read_text()
    site.conf.write_text("\n".join(plain_lines) + "\n")
    pid = start(site, ca.env)
    assert Client(HOST, site.port).get("/a.txt").body == b"hello\n"
    site.conf.write_text(tls_text)
    os.kill(pid, signal.SIGHUP)
    assert site.wait_error_log(re.escape(f"{HOST}:{site.port} now speaks TLS")), site.error_text()
    assert site.wait_error_log(r"configuration reloaded \(generation 2\)"), site.error_text()
    with tls_client(site.port, ca) as c:
        assert c.get("/a.txt").body == b"hello\n"
    site.conf.write_text("\n".join(plain_lines) + "\n")
    os.kill(pid, signal.SIGHUP)
    assert site.wait_error_log(re.escape(f"{HOST}:{site.port} now speaks plain HTTP")), site.error_text()
    assert site.wait_error_log(r"configuration reloaded \(generation 3\)"), site.error_text()
    assert Client(HOST, site.port).get("/a.txt").body == b"hello\n"
    assert "failed" not in site.error_text()
