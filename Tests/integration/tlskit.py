"""TLS helpers of the integration tests: a test certificate authority made with the openssl tool, and
clients that speak TLS (Python's ssl module, curl, openssl s_client).

The CA lives in a test's tmp_path; nothing is installed in the system's trust store. Clients trust it
by file (`ca.root`), and `httpd -t` finds it through SSL_CERT_FILE (`ca.env`).
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

from httpdkit import HOST, LISTENING, TIMEOUT, Client, free_port


def run(*cmd: str, cwd: Path | None = None) -> str:
    """Runs a command; its stdout (an AssertionError with stderr when it fails)."""
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert p.returncode == 0, f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr}"
    return p.stdout


CA_CONF = """[ca]
default_ca = test
[test]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/issued
serial = {dir}/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
keyUsage = critical, digitalSignature, keyEncipherment
[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
"""


class CA:
    """A root CA and an intermediate; `issue()` makes server certificates signed by the intermediate.

    Files: root.pem (the trust anchor), and per certificate NAME.pem (leaf then intermediate, as
    TLSCertificateFile wants it) and NAME.key (mode 600).
    """

    def __init__(self, dir: Path):
        self.dir = dir
        dir.mkdir(parents=True, exist_ok=True)
        for sub in ("root", "inter"):
            d = dir / sub
            (d / "issued").mkdir(parents=True, exist_ok=True)
            (d / "index.txt").write_text("")
            (d / "serial").write_text("1000\n")
            (d / "ca.conf").write_text(CA_CONF.format(dir=d))
        self.root = dir / "root.pem"
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(dir / "root" / "key.pem"), "-out", str(self.root), "-days", "3650",
            "-subj", "/CN=httpd integration test root",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.inter = dir / "inter.pem"
        csr = dir / "inter.csr"
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(dir / "inter" / "key.pem"), "-out", str(csr), "-subj", "/CN=httpd integration test intermediate")
        run("openssl", "ca", "-batch", "-config", str(dir / "root" / "ca.conf"), "-cert", str(self.root),
            "-keyfile", str(dir / "root" / "key.pem"), "-extensions", "intermediate", "-days", "3650",
            "-in", str(csr), "-out", str(self.inter), "-notext")

    @property
    def env(self) -> dict:
        """The environment in which OpenSSL (httpd -t, curl) trusts this CA as a system root."""
        return {**os.environ, "SSL_CERT_FILE": str(self.root)}

    def issue(self, name: str, cn: str = "localhost", sans: list[str] | None = None, key: str = "ec",
              start: str | None = None, end: str | None = None, days: int = 365,
              crl: str | None = None) -> tuple[Path, Path]:
        """A certificate NAME.pem (leaf + intermediate) and its key NAME.key for CN and SANS (DNS names,
        `IP:` entries allowed; default `localhost` and 127.0.0.1). KEY: `ec` (P-256) or `rsa` (2048).
        START/END: validity as YYYYMMDDHHMMSSZ (else DAYS from now). CRL: a CRL distribution point URI
        written into the leaf (as a public CA's leaves have one; nothing is served there)."""
        sans = sans if sans is not None else ["DNS:localhost", "IP:127.0.0.1"]
        keyfile = self.dir / f"{name}.key"
        csr = self.dir / f"{name}.csr"
        newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if key == "ec" else ["-newkey", "rsa:2048"]
        san = ",".join(s if ":" in s else f"DNS:{s}" for s in sans)
        run("openssl", "req", "-new", *newkey, "-nodes", "-keyout", str(keyfile), "-out", str(csr),
            "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}")
        os.chmod(keyfile, 0o600)
        leaf = self.dir / f"{name}.leaf.pem"
        dates = ["-startdate", start, "-enddate", end] if start and end else ["-days", str(days)]
        extensions = ["-extensions", "leaf"]
        if crl is not None:
            extfile = self.dir / f"{name}.ext"
            extfile.write_text(CA_CONF.split("[leaf]\n", 1)[1].split("[", 1)[0]
                               + f"crlDistributionPoints = URI:{crl}\n")
            extensions = ["-extfile", str(extfile)]
        run("openssl", "ca", "-batch", "-config", str(self.dir / "inter" / "ca.conf"), "-cert", str(self.inter),
            "-keyfile", str(self.dir / "inter" / "key.pem"), *extensions, *dates,
            "-in", str(csr), "-out", str(leaf), "-notext")
        chain = self.dir / f"{name}.pem"
        chain.write_bytes(leaf.read_bytes() + self.inter.read_bytes())
        return chain, keyfile


def serial_of(pem: Path) -> str:
    """The certificate's serial in hex, as `openssl x509 -serial` prints it."""
    return run("openssl", "x509", "-in", str(pem), "-noout", "-serial").strip().split("=", 1)[1]


def context(ca: CA, **kw) -> ssl.SSLContext:
    """A client context trusting CA (hostname checks on, as browsers do)."""
    ctx = ssl.create_default_context(cafile=str(ca.root))
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def tls_client(port: int, ca: CA, server_name: str = "localhost", timeout: float = TIMEOUT,
               ctx: ssl.SSLContext | None = None, session: ssl.SSLSession | None = None) -> Client:
    """A Client (httpdkit) over TLS to 127.0.0.1:PORT, with SNI SERVER_NAME; SESSION (an earlier
    connection's `sock.session`, made with the same CTX) is offered for resumption."""
    raw = socket.create_connection((HOST, port), timeout=timeout)
    wrapped = (ctx or context(ca)).wrap_socket(raw, server_hostname=server_name, session=session)
    return Client.on(wrapped, timeout=timeout)


def s_client(port: int, *args: str, stdin: bytes = b"", timeout: float = 10.0) -> str:
    """`openssl s_client -connect 127.0.0.1:PORT ARGS`: its stdout and stderr together."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"{HOST}:{port}", *args], input=stdin,
                       capture_output=True, timeout=timeout)
    return (p.stdout + p.stderr).decode("utf-8", "replace")


def tls_lines(cert: Path, key: Path) -> list[str]:
    """The configuration lines of one certificate pair."""
    return [f"TLSCertificateFile {cert}", f"TLSCertificateKeyFile {key}"]


def tls_listen() -> list[str]:
    """The `listen` of a server with a plain and a TLS listener on 127.0.0.1 (two `Listen 127.0.0.1:0`
    would be the same address twice: the TLS one takes a port that is free now)."""
    return ["127.0.0.1:0", f"127.0.0.1:{free_port()} tls"]


def listener_ports(srv) -> tuple[int, int]:
    """(plain port, TLS port) of a started Server, from its `listening on http(s)://` lines."""
    found = {}
    for m in LISTENING.finditer(srv.log_path.read_bytes()):
        scheme = "https" if m.group(0).startswith(b"listening on https") else "http"
        found.setdefault(scheme, int(m.group(2)))
    return found["http"], found["https"]


def client_hello(ca: CA, server_name: str = "localhost", ctx: ssl.SSLContext | None = None) -> bytes:
    """The bytes of a real ClientHello (Python's ssl, as tls_client would send it), sent nowhere."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = (ctx or context(ca)).wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def curl(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """curl -sS ARGS, output captured as bytes (the caller checks returncode)."""
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=timeout)


class SClient:
    """An interactive `openssl s_client -connect 127.0.0.1:PORT ARGS`: `send` writes to its stdin (lines
    `R`, `K`, `Q` are its commands), `wait_for` waits until its output (stdout and stderr) holds a
    text, `finish` closes stdin and returns all it printed. Stopped by PID when it does not exit."""

    def __init__(self, port: int, *args: str):
        self.proc = subprocess.Popen(["openssl", "s_client", "-connect", f"{HOST}:{port}", *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = b""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            with self.lock:
                self.buf += chunk

    @property
    def output(self) -> str:
        with self.lock:
            return self.buf.decode("utf-8", "replace")

    def send(self, data: bytes) -> bool:
        """Writes DATA to s_client's stdin; False when it has already exited (a broken pipe)."""
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, ValueError):
            return False

    def wait_for(self, text: str, timeout: float = TIMEOUT) -> bool:
        """True once the output holds TEXT; False at TIMEOUT or when s_client exited without it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output:
                return True
            if self.proc.poll() is not None:
                self.reader.join(1)
                return text in self.output
            time.sleep(0.02)
        return False

    def exited(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def finish(self, timeout: float = TIMEOUT) -> str:
        """Closes stdin, waits for s_client to exit (killing it by PID after TIMEOUT): its output."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        if not self.exited(timeout):
            self.proc.kill()
            self.proc.wait()
        self.reader.join(2)
        self.proc.stdout.close()
        return self.output
