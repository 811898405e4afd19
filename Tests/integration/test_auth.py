"""Basic authentication (issue 12) against password files made by the real htpasswd (apache2-utils): every
hash scheme it writes, Require, malformed Authorization fields, <Location> coverage, the user in the access
log, the file re-read when it changes, delayed 401s after repeated failures, plaintext lines refused, and
the warning about passwords over plain HTTP.

Every server is the real binary started by the fixtures and stopped by PID; clients connect to 127.0.0.1
only (from other 127.0.0.0/8 addresses where failures from one address must not add up).
"""

from __future__ import annotations

import base64
import re
import threading
import time

import pytest

from httpdkit import (
    CLF_TIME,
    HOST,
    Client,
    assert_common_head,
    assert_error,
    free_port,
    run_httpd,
    wait_for,
    wait_lines,
    wait_until,
)
from sitekit import (
    SCHEMES,
    TEXT,
    ask,
    assert_file,
    basic,
    challenge,
    fetch_host,
    htpasswd,
    tree,
)
from tlskit import curl

AUTH = """
<VirtualHost *>
    ServerName a.test
    DocumentRoot site
    <Location /private>
        AuthType Basic
        AuthName "Staff only"
        AuthUserFile users
        Require valid-user
    </Location>
    <Location /private/alice>
        AuthType Basic
        AuthName "Alice's corner"
        AuthUserFile users
        Require user alice carol
    </Location>
    <Location /private/open>
        AuthType None
    </Location>
    <Location /private/x>
        Header set X-Sub x
        CacheControl "private, max-age=60"
    </Location>
</VirtualHost>
"""
FILES = {
    "site/pub.txt": "public\n",
    "site/private/a.txt": "secret a\n",
    "site/private/x/b.txt": "secret b\n",
    "site/privateer/c.txt": "not private\n",
    "site/private/alice/d.txt": "for alice\n",
    "site/private/open/e.txt": "open again\n",
}
STAFF = challenge("Staff only")
# What /private/x's block adds to a file's 200.
SUB = {"extra": [("X-Sub", "x")], "cache_control": "private, max-age=60"}


def auth_server(server, users: dict[str, tuple[str, str]] | None = None, extra: str = "", conf: str = AUTH,
                prepare=None, **kw):
    """A started server (the `server` fixture) with EXTRA lines then CONF, FILES, and the password file `users`
    made by htpasswd: USERS maps a name to (flag, password), by default alice and bob with bcrypt. PREPARE(dir)
    runs once the folder and configuration are written, before the start."""
    users = users if users is not None else {"alice": ("-B", "wonderland"), "bob": ("-B", "builder")}

    def setup(root):
        base = root.parent
        (base / "logs").mkdir(exist_ok=True)
        tree(base, FILES)
        for i, (name, (flag, password)) in enumerate(users.items()):
            htpasswd(base / "users", name, password, flag, create=i == 0)
        if prepare is not None:
            prepare(base)
    return server(conf_lines=(extra + conf).strip("\n").splitlines(), setup=setup, **kw)


def assert_401(resp, www_authenticate: str = STAFF, head: bool = False, closes: bool = False):
    """The exact built-in 401 with its challenge field (the connection kept open unless the request asked to
    close it)."""
    assert_error(resp, 401, head=head, closes=closes, fields=("WWW-Authenticate",))
    assert resp["WWW-Authenticate"] == www_authenticate


@pytest.mark.parametrize("flag", list(SCHEMES))
def test_every_htpasswd_scheme_logs_in(server, flag):
    """A user whose line htpasswd wrote with FLAG (bcrypt, SHA-512 and SHA-256 crypt, Apache MD5, SHA-1) logs in
    with the right password (exact 200, several times: the second from the credential cache); a wrong password
    and an unknown user get the exact 401 with the challenge, on the same keep-alive connection."""
    srv = auth_server(server, {"alice": (flag, "wonderland"), "bob": (flag, "p@ss w:rd")})
    with srv.client() as c:
        for _ in range(2):
            assert_file(ask(c, "a.test", "/private/a.txt", basic("alice", "wonderland")), "secret a\n", TEXT)
        assert_file(ask(c, "a.test", "/private/a.txt", basic("bob", "p@ss w:rd")), "secret a\n", TEXT)
        assert_401(ask(c, "a.test", "/private/a.txt", basic("alice", "Wonderland")))
        assert_401(ask(c, "a.test", "/private/a.txt", basic("alice", "")))
        assert_401(ask(c, "a.test", "/private/a.txt", basic("mallory", "wonderland")))
        assert_401(ask(c, "a.test", "/private/a.txt", basic("bob", "p@ss")))
        assert_file(ask(c, "a.test", "/private/x/b.txt", basic("alice", "wonderland")), "secret b\n", TEXT, **SUB)
    if flag in ("-m", "-s"):
        # Weak hashes load with a warning in the error log.
        assert wait_until(lambda: re.search(r"\[warn\].*AuthUserFile \S+/users: line 1: user 'alice': .*weak",
                                            srv.stderr()), 3), srv.stderr()


def test_curl_logs_in_and_sees_the_challenge(server):
    """curl without credentials gets 401 with `WWW-Authenticate: Basic realm="Staff only", charset="UTF-8"`;
    `curl -u alice:…` gets the file; a UTF-8 password works."""
    srv = auth_server(server, {"alice": ("-B", "wonderland"), "zoë": ("-B", "pässwörd")})
    url = f"http://{HOST}:{srv.port}/private/a.txt"
    r = curl("-i", "-H", "Host: a.test", url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"HTTP/1.1 401 Unauthorized\r\n"), r.stdout
    assert b'\r\nWWW-Authenticate: Basic realm="Staff only", charset="UTF-8"\r\n' in r.stdout
    r = curl("-H", "Host: a.test", "-u", "alice:wonderland", url)
    assert (r.returncode, r.stdout) == (0, b"secret a\n"), r.stderr
    r = curl("-H", "Host: a.test", "-u", "zoë:pässwörd", url)
    assert (r.returncode, r.stdout) == (0, b"secret a\n"), r.stderr
    r = curl("-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: a.test", "-u", "alice:wrong", url)
    assert r.stdout == b"401"


def test_require_user_refuses_other_valid_users(server):
    """`Require user alice carol` admits alice and refuses bob (right password: still 401, with that block's
    realm, the apostrophe kept); `Require valid-user` above it admits bob."""
    srv = auth_server(server)
    corner = challenge("Alice's corner")
    with srv.client() as c:
        assert_file(ask(c, "a.test", "/private/alice/d.txt", basic("alice", "wonderland")), "for alice\n", TEXT)
        assert_401(ask(c, "a.test", "/private/alice/d.txt", basic("bob", "builder")), corner)
        assert_401(ask(c, "a.test", "/private/alice/d.txt"), corner)
        assert_file(ask(c, "a.test", "/private/a.txt", basic("bob", "builder")), "secret a\n", TEXT)
    assert wait_until(lambda: re.search(r"\[warn\] .*authentication failed: user bob: not admitted by Require",
                                        srv.stderr()), 3), srv.stderr()


@pytest.mark.parametrize("target,protected", [
    ("/private", True),
    ("/private/", True),
    ("/private/a.txt", True),
    ("/private/x/b.txt", True),
    ("/%70rivate/x/b.txt", True),
    ("/%70%72ivate/a.txt", True),
    ("/pub/../private/a.txt", True),
    ("/private/./x/../a.txt", True),
    ("//private//a.txt", True),
    ("/private/alice/d.txt", True),
    ("/privateer/c.txt", False),
    ("/private/open/e.txt", False),
    ("/pub.txt", False),
])
def test_location_covers_the_prefix_and_everything_under_it(server, target, protected):
    """<Location /private> protects /private and every path under it, however the path is written (percent
    escapes, dot segments, doubled slashes), not /privateer; a block for /private/x that only sets a header and
    Cache-Control stays protected; `AuthType None` opens /private/open again."""
    srv = auth_server(server)
    r = fetch_host(srv.port, "a.test", target)
    if protected:
        www = challenge("Alice's corner") if "alice" in target else STAFF
        assert_error(r, 401, fields=("WWW-Authenticate",), closes=True)
        assert r["WWW-Authenticate"] == www
    else:
        assert r.status == 200, r.status_line
    if target == "/private":
        r = fetch_host(srv.port, "a.test", target, basic("alice", "wonderland"))
        assert r.status == 301, r.status_line
    if target in ("/private/x/b.txt", "/%70rivate/x/b.txt"):
        r = fetch_host(srv.port, "a.test", target, basic("alice", "wonderland"))
        assert_file(r, "secret b\n", TEXT, closes=True, **SUB)


def test_keep_alive_401_then_credentials_on_the_same_connection(server):
    """A browser's flow: the 401 keeps the connection open and the retry with credentials is served on it; two
    pipelined authenticated requests are answered in order."""
    srv = auth_server(server)
    with srv.client() as c:
        assert_401(ask(c, "a.test", "/private/a.txt"))
        assert_401(ask(c, "a.test", "/private/a.txt", method="HEAD"), head=True)
        assert_file(ask(c, "a.test", "/private/a.txt", basic("alice", "wonderland")), "secret a\n", TEXT)
        auth = basic("bob", "builder")["Authorization"]
        c.send(f"GET /private/a.txt HTTP/1.1\r\nHost: a.test\r\nAuthorization: {auth}\r\n\r\n"
               f"GET /private/x/b.txt HTTP/1.1\r\nHost: a.test\r\nAuthorization: {auth}\r\n\r\n"
               "GET /pub.txt HTTP/1.1\r\nHost: a.test\r\n\r\n")
        assert_file(c.read_response(), "secret a\n", TEXT)
        assert_file(c.read_response(), "secret b\n", TEXT, **SUB)
        assert_file(c.read_response(), "public\n", TEXT)


def test_pipelined_requests_are_each_authenticated(server):
    """Requests pipelined behind an authenticated one are checked on their own: one without credentials gets
    401, one whose user `Require user` refuses gets 401, and the access log names each request's own user."""
    srv = auth_server(server, extra="AccessLog logs/access.log combined\n")
    alice = basic("alice", "wonderland")["Authorization"]
    bob = basic("bob", "builder")["Authorization"]
    with srv.client() as c:
        c.send(f"GET /private/a.txt HTTP/1.1\r\nHost: a.test\r\nAuthorization: {alice}\r\n\r\n"
               "GET /private/x/b.txt HTTP/1.1\r\nHost: a.test\r\n\r\n"
               f"GET /private/a.txt HTTP/1.1\r\nHost: a.test\r\nAuthorization: {bob}\r\n\r\n"
               "GET /private/alice/d.txt HTTP/1.1\r\nHost: a.test\r\n\r\n"
               "GET /pub.txt HTTP/1.1\r\nHost: a.test\r\n\r\n")
        assert_file(c.read_response(), "secret a\n", TEXT)
        assert_401(c.read_response())
        assert_file(c.read_response(), "secret a\n", TEXT)
        assert_401(c.read_response(), challenge("Alice's corner"))
        assert_file(c.read_response(), "public\n", TEXT)
    users = [l.split(b" ")[2] for l in wait_lines(srv.dir / "logs" / "access.log", 5, 3)]
    assert users == [b"alice", b"-", b"bob", b"-", b"-"], users


BAD_FIELDS = [
    ("Basic !!!!", 400),                                          # not base64
    ("Basic YWxpY2U=", 400),                                      # "alice": no colon
    ("Basic YWxpY2U6d29uZGVybGFuZA", 400),                        # padding missing
    ("Basic YWxpY2U6d29uZGVybGFuZA==x", 400),
    ("Basic", 400),                                               # no credentials
    ("Basic ", 400),
    ("Basic " + "QUFB" * 1100, 400),                              # 4400 bytes of base64: too long
    ("Basic OndvbmRlcmxhbmQ=", 400),                              # ":wonderland": empty user
    ("Basic\tYWxpY2U6d29uZGVybGFuZA==", 400),                     # a tab is not the separator
    ("Bas\x01ic YWxpY2U6d29uZGVybGFuZA==", 400),                  # the scheme is not a token
    ("Bearer abc.def.ghi", 401),                                  # another scheme: the challenge
    ("Digest username=\"alice\", realm=\"Staff only\"", 401),
    ("Basicx YWxpY2U6d29uZGVybGFuZA==", 401),
]


@pytest.mark.parametrize("value,status", BAD_FIELDS, ids=[f"{s}-{i}" for i, (_, s) in enumerate(BAD_FIELDS)])
def test_malformed_authorization_fields(server, value, status):
    """A malformed Basic field gets the exact 400 (which closes); another scheme the exact 401 with the Basic
    challenge; the server keeps serving afterwards (and exits cleanly at teardown)."""
    srv = auth_server(server)
    with srv.client() as c:
        c.send(f"GET /private/a.txt HTTP/1.1\r\nHost: a.test\r\nAuthorization: {value}\r\n\r\n".encode("latin-1"))
        r = c.read_response()
        if status == 400:
            assert_error(r, 400)
            c.expect_closed()
        else:
            assert_401(r)
    assert_file(fetch_host(srv.port, "a.test", "/private/a.txt", basic("alice", "wonderland")), "secret a\n", TEXT,
                closes=True)


def test_lowercase_scheme_and_a_huge_field_below_the_limit(server):
    """The scheme is case-insensitive (`basic`, `BASIC`); a field of 8,000 bytes (below LimitRequestFieldSize)
    is a 400, not a crash; a password of 511 bytes is checked (wrong), of 512 refused as wrong without hashing."""
    srv = auth_server(server)
    token = base64.b64encode(b"alice:wonderland").decode()
    with srv.client() as c:
        for scheme in ("basic", "BASIC", "bAsIc"):
            assert_file(ask(c, "a.test", "/private/a.txt", {"Authorization": f"{scheme}  {token}"}), "secret a\n", TEXT)
        for n in (511, 512, 3000):
            assert_401(ask(c, "a.test", "/private/a.txt", basic("bob", "x" * n)))
    r = fetch_host(srv.port, "a.test", "/private/a.txt", {"Authorization": "Basic " + "A" * 8000})
    assert_error(r, 400)
    assert_file(fetch_host(srv.port, "a.test", "/pub.txt"), "public\n", TEXT, closes=True)


def test_user_name_in_the_access_log(server):
    """The access log's %u is the user authentication let through (`-` on a 401 and on an open page), its bytes
    escaped as Apache's ap_escape_logitem does (UTF-8 bytes as \\xhh, `"` and `\\` backslashed); the error log
    names a failed user the same way, escaped once."""
    users = {"alice": ("-B", "wonderland"), "bob": ("-B", "builder"), "zoë": ("-B", "pw"), 'a"b\\c': ("-B", "pw")}
    srv = auth_server(server, users, extra="AccessLog logs/access.log combined\n")
    with srv.client() as c:
        ask(c, "a.test", "/private/a.txt", basic("alice", "wonderland"))
        ask(c, "a.test", "/private/a.txt", basic("alice", "wrong"))
        ask(c, "a.test", "/pub.txt", basic("bob", "builder"))
        ask(c, "a.test", "/private/x/b.txt", basic("bob", "builder"))
        ask(c, "a.test", "/private/a.txt", basic("zoë", "pw"))
        ask(c, "a.test", "/private/a.txt", basic('a"b\\c', "pw"))
        ask(c, "a.test", "/private/a.txt", basic("zoë", "wrong"))
        ask(c, "a.test", "/private/a.txt", basic('a"b\\c', "wrong"))
    lines = wait_lines(srv.dir / "logs" / "access.log", 8, 3)
    stamp = r"\[" + CLF_TIME + r"\]"
    expected = [
        r'127\.0\.0\.1 - alice ' + stamp + r' "GET /private/a\.txt HTTP/1\.1" 200 9 "-" "-"',
        r'127\.0\.0\.1 - - ' + stamp + r' "GET /private/a\.txt HTTP/1\.1" 401 \d+ "-" "-"',
        r'127\.0\.0\.1 - - ' + stamp + r' "GET /pub\.txt HTTP/1\.1" 200 7 "-" "-"',
        r'127\.0\.0\.1 - bob ' + stamp + r' "GET /private/x/b\.txt HTTP/1\.1" 200 9 "-" "-"',
        r'127\.0\.0\.1 - zo\\xc3\\xab ' + stamp + r' "GET /private/a\.txt HTTP/1\.1" 200 9 "-" "-"',
        r'127\.0\.0\.1 - a\\"b\\\\c ' + stamp + r' "GET /private/a\.txt HTTP/1\.1" 200 9 "-" "-"',
        r'127\.0\.0\.1 - - ' + stamp + r' "GET /private/a\.txt HTTP/1\.1" 401 \d+ "-" "-"',
        r'127\.0\.0\.1 - - ' + stamp + r' "GET /private/a\.txt HTTP/1\.1" 401 \d+ "-" "-"',
    ]
    assert len(lines) == 8, lines
    for pattern, line in zip(expected, lines):
        assert re.fullmatch(pattern, line.decode()), (pattern, line)
    err = srv.stderr()
    assert "authentication failed: user zo\\xc3\\xab: wrong password\n" in err, err
    assert 'authentication failed: user a"b\\\\c: wrong password\n' in err, err


def test_the_user_file_is_read_again_when_it_changes(server):
    """htpasswd changing alice's password (and adding carol) is seen within about a second: the new password
    logs in, the old one (even cached) no longer does. Each poll comes from its own 127.0.0.x address, so the
    failures while waiting are not delayed."""
    srv = auth_server(server)
    assert fetch_host(srv.port, "a.test", "/private/a.txt", basic("alice", "wonderland")).status == 200
    htpasswd(srv.dir / "users", "alice", "looking-glass", "-B")
    htpasswd(srv.dir / "users", "carol", "c4rol", "-5")
    sources = iter(f"127.0.0.{n}" for n in range(20, 250))
    start = time.monotonic()
    r = wait_for(lambda: fetch_host(srv.port, "a.test", "/private/a.txt", basic("alice", "looking-glass"),
                                    source=next(sources)),
                 lambda r: r.status == 200, timeout=3, interval=0.1)
    assert r.status == 200, r.status_line
    assert time.monotonic() - start < 2.5
    assert fetch_host(srv.port, "a.test", "/private/a.txt", basic("alice", "wonderland"),
                      source="127.0.0.2").status == 401
    assert fetch_host(srv.port, "a.test", "/private/alice/d.txt", basic("carol", "c4rol"),
                      source="127.0.0.3").status == 200


def test_repeated_failures_from_one_address_are_delayed(server):
    """Five failures from one address are answered at once; the sixth 401 waits 2 s (then 4, 8, 16, 30), while
    other addresses are served at once meanwhile (the wait blocks nothing else); a client that leaves while its
    401 is held back breaks nothing."""
    srv = auth_server(server)
    wrong = basic("alice", "nope")
    for source in ("127.0.0.7", "127.0.0.11"):
        for i in range(5):
            t0 = time.monotonic()
            assert_401(fetch_host(srv.port, "a.test", "/private/a.txt", wrong, source=source), closes=True)
            assert time.monotonic() - t0 < 0.8, f"failure {i + 1} from {source} was delayed"
    done = {}

    def sixth():
        t0 = time.monotonic()
        done["response"] = fetch_host(srv.port, "a.test", "/private/a.txt", wrong, source="127.0.0.7")
        done["seconds"] = time.monotonic() - t0
    t = threading.Thread(target=sixth)
    t.start()
    # 127.0.0.11's sixth failure, from a client that leaves at once.
    with Client(HOST, srv.port, source="127.0.0.11") as c:
        c.send(f"GET /private/a.txt HTTP/1.1\r\nHost: a.test\r\nAuthorization: {wrong['Authorization']}\r\n\r\n")
    t0 = time.monotonic()
    r = fetch_host(srv.port, "a.test", "/private/a.txt", basic("bob", "builder"), source="127.0.0.8")
    assert r.status == 200 and time.monotonic() - t0 < 0.8
    assert_401(fetch_host(srv.port, "a.test", "/private/a.txt", wrong, source="127.0.0.9"), closes=True)
    t.join(6)
    assert not t.is_alive()
    assert_401(done["response"], closes=True)
    assert 2.0 <= done["seconds"] < 3.5, done["seconds"]
    delayed = (r"\[warn\] .*\[client 127\.0\.0\.(7|11)\] authentication failed: user alice: wrong password "
               r"\(answered after a delay: repeated failures\)")
    assert wait_until(lambda: len(re.findall(delayed, srv.stderr())) == 2, 3), srv.stderr()
    assert_file(fetch_host(srv.port, "a.test", "/pub.txt"), "public\n", TEXT, closes=True)


def test_a_plaintext_line_is_refused_and_reported(server):
    """A plaintext line (htpasswd -p) is refused: that user cannot log in with it, the others can; `httpd -t`
    and the start warn about the line, and a login attempt logs why it failed."""
    checked = {}

    def check(base):
        checked["t"] = run_httpd("-t", "-f", base / "httpd.conf", cwd=str(base), text=True)
        checked["dir"] = base
    srv = auth_server(server, {"alice": ("-B", "wonderland"), "carol": ("-p", "plain")}, prepare=check)
    warning = (f"AuthUserFile {checked['dir']}/users: line 2: user 'carol': plaintext passwords are refused; hash "
               "it with htpasswd -B")
    r = checked["t"]
    assert r.returncode == 0, r.stderr
    assert r.stderr == f"httpd: warning: {warning}\n", r.stderr
    assert wait_until(lambda: re.search(r"\[warn\] \[pid \d+\] " + re.escape(warning) + "$", srv.stderr(), re.M),
                      3), srv.stderr()
    with srv.client() as c:
        assert_401(ask(c, "a.test", "/private/alice/d.txt", basic("carol", "plain")), challenge("Alice's corner"))
        assert_file(ask(c, "a.test", "/private/a.txt", basic("alice", "wonderland")), "secret a\n", TEXT)
    assert wait_until(lambda: re.search(r"authentication failed: user carol: line 2: user 'carol': plaintext",
                                        srv.stderr()), 3), srv.stderr()
    # The file's findings are logged once, at the start, not again at the first login.
    assert srv.stderr().count(warning) == 1, srv.stderr()


def test_an_unreadable_user_file_is_a_500(server):
    """An AuthUserFile that does not exist: 500 (no one can log in; not a 401), logged at error level."""
    srv = auth_server(server, prepare=lambda base: (base / "users").unlink())
    r = fetch_host(srv.port, "a.test", "/private/a.txt", basic("alice", "wonderland"))
    assert_error(r, 500)
    assert wait_until(lambda: re.search(r"\[error\] .*AuthUserFile cannot be read", srv.stderr()), 3), srv.stderr()
    assert_401(fetch_host(srv.port, "a.test", "/private/a.txt"), closes=True)


def test_error_document_401_keeps_the_challenge(server):
    """ErrorDocument 401 in the site: the document is the body, the WWW-Authenticate field stays."""
    conf = AUTH.replace("    DocumentRoot site\n", "    DocumentRoot site\n    ErrorDocument 401 /denied.html\n")
    srv = auth_server(server, conf=conf,
                      prepare=lambda base: (base / "site" / "denied.html").write_text("<p>who are you?</p>\n"))
    with srv.client() as c:
        r = ask(c, "a.test", "/private/a.txt")
        assert_common_head(r, 401)
        assert r.names == ["Date", "Server", "WWW-Authenticate", "Content-Type", "Content-Length"], r.headers
        assert r["WWW-Authenticate"] == STAFF
        assert r.body == b"<p>who are you?</p>\n"


def cleartext_warning(port: int, host: str = "0.0.0.0") -> str:
    return (f"site a.test asks for passwords (\"Staff only\") over plain HTTP on {host}:{port}: they travel in "
            "clear; use a Listen with tls")


def test_warning_about_passwords_over_plain_http_on_a_non_loopback_address(server):
    """`Listen 127.0.0.1:P`: no warning. `Listen 0.0.0.0:P` (reached here through 127.0.0.1 only): `httpd -t`
    and the start warn that the passwords travel in clear."""
    port = free_port()
    checked = {}

    def check(base):
        for host in ("127.0.0.1", "0.0.0.0"):
            checked[host] = run_httpd("-t", "-f", base / "httpd.conf", "-c", f"Listen {host}:{port}", cwd=str(base),
                                      text=True)
    srv = auth_server(server, prepare=check, listen=f"0.0.0.0:{port}")
    r = checked["127.0.0.1"]
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    r = checked["0.0.0.0"]
    assert r.returncode == 0, r.stderr
    assert r.stderr == f"httpd: warning: {cleartext_warning(port)}\n", r.stderr
    assert wait_until(lambda: re.search(r"^\[.*\] \[warn\] \[pid \d+\] " + re.escape(cleartext_warning(port)) + "$",
                                        srv.stderr(), re.M), 3), srv.stderr()
    assert_file(fetch_host(port, "a.test", "/private/a.txt", basic("alice", "wonderland")), "secret a\n", TEXT,
                closes=True)
    assert "warn" not in run_httpd("-t", "-f", srv.conf, "-c", "Listen 127.0.0.1:0", text=True).stderr
