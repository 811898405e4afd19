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
from pathlib import Path

from httpdkit import HOST, TIMEOUT, Client


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
              start: str | None = None, end: str | None = None, days: int = 365) -> tuple[Path, Path]:
        """A certificate NAME.pem (leaf + intermediate) and its key NAME.key for CN and SANS (DNS names,
        `IP:` entries allowed; default `localhost` and 127.0.0.1). KEY: `ec` (P-256) or `rsa` (2048).
        START/END: validity as YYYYMMDDHHMMSSZ (else DAYS from now)."""
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
        run("openssl", "ca", "-batch", "-config", str(self.dir / "inter" / "ca.conf"), "-cert", str(self.inter),
            "-keyfile", str(self.dir / "inter" / "key.pem"), "-extensions", "leaf", *dates,
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
               ctx: ssl.SSLContext | None = None) -> Client:
    """A Client (httpdkit) over TLS to 127.0.0.1:PORT, with SNI SERVER_NAME."""
    raw = socket.create_connection((HOST, port), timeout=timeout)
    wrapped = (ctx or context(ca)).wrap_socket(raw, server_hostname=server_name)
    return Client.on(wrapped, timeout=timeout)


def s_client(port: int, *args: str, stdin: bytes = b"", timeout: float = 10.0) -> str:
    """`openssl s_client -connect 127.0.0.1:PORT ARGS`: its stdout and stderr together."""
    p = subprocess.run(["openssl", "s_client", "-connect", f"{HOST}:{port}", *args], input=stdin,
                       capture_output=True, timeout=timeout)
    return (p.stdout + p.stderr).decode("utf-8", "replace")


def tls_lines(cert: Path, key: Path) -> list[str]:
    """The configuration lines of one certificate pair."""
    return [f"TLSCertificateFile {cert}", f"TLSCertificateKeyFile {key}"]
