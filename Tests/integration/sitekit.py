"""sitekit: what test_sites.py and test_auth.py share -- a server whose configuration holds several sites
(each with its own folder beside the main server's www/), requests naming a Host, the exact heads of
served files and redirects, and password files made by the real htpasswd (apache2-utils).

Built on httpdkit (the one kit of every test file); nothing here starts a process the fixtures do not stop.
"""

from __future__ import annotations

import base64
import html
import subprocess
from pathlib import Path

from httpdkit import (
    ETAG,
    HOST,
    IMF_FIXDATE,
    Client,
    Response,
    _head_fields,
    assert_common_head,
    program,
)

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


def tree(base: Path, files: dict[str, str | bytes]):
    """Writes FILES (relative path -> content) under BASE, making folders as needed."""
    for rel, content in files.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)


def start_sites(server, conf: str, files: dict[str, str | bytes], args=None, **kw):
    """A started foreground server (the `server` fixture) whose configuration is the fixture's lines
    (DocumentRoot www, Listen, LogLevel info) then CONF; FILES are written relative to the server's folder
    (`www/…` for the main server, `alpha/…` for a site's root), and logs/ exists."""
    def setup(root: Path):
        (root.parent / "logs").mkdir(exist_ok=True)
        tree(root.parent, files)
    return server(conf_lines=conf.strip("\n").splitlines(), setup=setup, args=args, **kw)


def ask(c: Client, host: str | None, target: str, headers: str | dict = "", method: str = "GET",
        close: bool = False) -> Response:
    """METHOD TARGET HTTP/1.1 on the keep-alive client C with `Host: HOST` (none when HOST is None), then
    HEADERS; returns the response."""
    fields = (f"Host: {host}\r\n" if host is not None else "") + _head_fields(headers)
    if close:
        fields += "Connection: close\r\n"
    c.send(f"{method} {target} HTTP/1.1\r\n{fields}\r\n")
    return c.read_response(method)


def fetch_host(port: int, host: str | None, target: str, headers: str | dict = "", method: str = "GET",
               source: str | None = None) -> Response:
    """One request naming HOST on a fresh connection (from SOURCE when given), with `Connection: close`."""
    with Client(HOST, port, source=source) as c:
        return ask(c, host, target, headers, method, close=True)


def assert_file(resp: Response, body: bytes | str, ctype: str = HTML, extra: list[tuple[str, str]] = (),
                head: bool = False, closes: bool = False, cache_control: str | None = None):
    """The exact 200 of a static file: Date, Server, Content-Type, Last-Modified, ETag, Cache-Control (when
    CACHE_CONTROL), Accept-Ranges, then EXTRA (header rules' fields, in order), Content-Length (and
    `Connection: close` when CLOSES); BODY."""
    body = body.encode() if isinstance(body, str) else body
    assert_common_head(resp, 200)
    cc = ["Cache-Control"] if cache_control is not None else []
    names = ["Date", "Server", "Content-Type", "Last-Modified", "ETag", *cc, "Accept-Ranges",
             *[n for n, _ in extra], "Content-Length"] + (["Connection"] if closes else [])
    assert resp.names == names, resp.headers
    assert resp["Content-Type"] == ctype
    assert IMF_FIXDATE.match(resp["Last-Modified"])
    assert ETAG.match(resp["ETag"])
    if cache_control is not None:
        assert resp["Cache-Control"] == cache_control
    assert resp["Accept-Ranges"] == "bytes"
    first = 6 + len(cc)
    assert resp.headers[first:first + len(extra)] == list(extra), resp.headers
    assert resp["Content-Length"] == str(len(body))
    assert resp.body == (b"" if head else body), resp.body


def redirect_body(status: int, reason: str, location: str) -> bytes:
    """The body of httpd's 3xx page (Redirects.response): the location HTML-escaped in a link."""
    link = html.escape(location, quote=True).replace("&#x27;", "&#39;")
    return ("<!DOCTYPE html>\n<html><head><title>"
            f"{status} {reason}</title></head>\n<body><h1>{reason}</h1><p><a href=\"{link}\">"
            f"{link}</a></p></body></html>\n").encode()


def assert_redirect(resp: Response, status: int, reason: str, location: str, head: bool = False,
                    extra: list[tuple[str, str]] = ()):
    """The exact redirect: status line, Date, Server, Location, Content-Type, EXTRA, Content-Length, body."""
    body = redirect_body(status, reason, location)
    assert resp.status_line == f"HTTP/1.1 {status} {reason}", resp.raw_head
    assert resp.names == ["Date", "Server", "Location", "Content-Type", *[n for n, _ in extra],
                          "Content-Length"], resp.headers
    assert resp["Location"] == location
    assert resp["Content-Type"] == HTML
    assert resp.headers[4:4 + len(extra)] == list(extra), resp.headers
    assert resp["Content-Length"] == str(len(body))
    assert resp.body == (b"" if head else body)


# --------------------------------------------------------------------------------------------
# Passwords: files made by the real htpasswd, Authorization values
# --------------------------------------------------------------------------------------------

# htpasswd's flag for each hash scheme and the prefix it writes (-s: {SHA}, -m: Apache's $apr1$ MD5).
SCHEMES = {"-B": "$2y$", "-5": "$6$", "-2": "$5$", "-m": "$apr1$", "-s": "{SHA}"}


def htpasswd(path: Path, user: str, password: str, flag: str = "-B", create: bool = False) -> str:
    """Adds (or replaces) USER in the password file PATH with `htpasswd -b FLAG` (`-c` when CREATE);
    returns the line it wrote. The bcrypt cost is htpasswd's default (5)."""
    args = [program("htpasswd"), "-b" + ("c" if create else ""), flag, str(path), user, password]
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"{' '.join(args)}: {r.stderr}"
    line = next(l for l in path.read_text().splitlines() if l.startswith(user + ":"))
    assert line.split(":", 1)[1].startswith(SCHEMES.get(flag, "")), line
    return line


def basic(user: str, password: str) -> dict:
    """The Authorization field of Basic credentials (RFC 7617, UTF-8)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def challenge(realm: str) -> str:
    """The WWW-Authenticate value httpd sends for REALM (a realm without quotes or backslashes)."""
    return f'Basic realm="{realm}", charset="UTF-8"'
