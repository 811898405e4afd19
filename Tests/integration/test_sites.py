"""Several sites per daemon (issue 12): which site answers (Host, absolute-form, SNI, StrictHostCheck, a
listener no <VirtualHost> names), per-site roots, error pages and logs, Header rules, Redirect, TryFiles,
FallbackFile, <Location> precedence, reload adding and removing sites, `httpd -S` and `-t` on bad site
configurations.

Every server is the real binary on 127.0.0.1, started by the fixtures and stopped by PID; certificates
come from tlskit's test CA; curl and openssl s_client are driven as users drive them.
"""

from __future__ import annotations

import re
import signal
import time

import pytest

from httpdkit import (
    CLF_TIME,
    HOST,
    assert_common_head,
    assert_error,
    error_body,
    exit_within,
    free_port,
    make_site,
    run_httpd,
    tcp_child,
    wait_lines,
    wait_until,
)
from sitekit import (
    HTML,
    TEXT,
    ask,
    assert_file,
    assert_redirect,
    fetch_host,
    start_sites,
    tree,
)
from tlskit import CA, context, curl, s_client, tls_client

# Three sites on one port: alpha (first: it answers names no site has), beta (its own combined log),
# gamma (an exact alias under alpha's wildcard, and a longer wildcard under beta's). The main server's
# shared log is in vhost_combined.
THREE = """
AccessLog logs/all.log vhost_combined
<VirtualHost *>
    ServerName alpha.test
    ServerAlias www.alpha.test *.alpha.test
    DocumentRoot alpha
    ErrorDocument 404 /404.html
</VirtualHost>
<VirtualHost *>
    ServerName beta.test
    ServerAlias *.beta.test
    DocumentRoot beta
    ErrorDocument 404 /errors/missing.html
    AccessLog logs/beta.log combined
</VirtualHost>
<VirtualHost *>
    ServerName gamma.test
    ServerAlias x.alpha.test *.deep.beta.test
    DocumentRoot gamma
</VirtualHost>
"""
THREE_FILES = {
    "www/index.html": "main server\n",
    "alpha/index.html": "alpha\n",
    "alpha/404.html": "alpha has no such page\n",
    "beta/index.html": "beta\n",
    "beta/errors/missing.html": "beta: missing\n",
    "gamma/index.html": "gamma\n",
}


def three(server, extra: str = "", **kw):
    return start_sites(server, THREE + extra, THREE_FILES, **kw)


@pytest.mark.parametrize("host,site", [
    ("alpha.test", "alpha"),
    ("ALPHA.Test", "alpha"),            # ASCII case ignored
    ("alpha.test.", "alpha"),           # one trailing dot dropped
    ("alpha.test:8080", "alpha"),       # the port dropped
    ("Beta.TEST.:80", "beta"),
    ("www.alpha.test", "alpha"),        # an exact alias
    ("any.alpha.test", "alpha"),        # *.alpha.test
    ("a.b.alpha.test", "alpha"),        # a wildcard covers every depth
    ("x.alpha.test", "gamma"),          # an exact name wins over a wildcard
    ("X.ALPHA.TEST.", "gamma"),
    ("b.beta.test", "beta"),
    ("deep.beta.test", "beta"),         # *.deep.beta.test does not cover deep.beta.test itself
    ("q.deep.beta.test", "gamma"),      # the longest wildcard wins
    ("gamma.test", "gamma"),
    ("unknown.test", "alpha"),          # no site: the listener's first <VirtualHost>
    ("alpha.test.evil", "alpha"),
    ("beta.test..", "alpha"),          # only one trailing dot is dropped       # (not a suffix match: the first site, as for any unknown name)
    ("127.0.0.1", "alpha"),
    ("[::1]:80", "alpha"),
])
def test_host_picks_the_site(server, host, site):
    """The Host field picks the site by exact name, then the longest wildcard, port, case and one trailing
    dot ignored; a name no site has goes to the first site; each site serves its own root (exact 200)."""
    srv = three(server)
    with srv.client() as c:
        assert_file(ask(c, host, "/"), f"{site}\n")


def test_absolute_form_authority_picks_the_site(server):
    """An absolute-form target's authority picks the site, whatever the Host field says (RFC 9112 §3.2.2)."""
    srv = three(server)
    with srv.client() as c:
        assert_file(ask(c, "alpha.test", "http://beta.test/"), "beta\n")
        assert_file(ask(c, "beta.test", "http://GAMMA.test:8080/index.html"), "gamma\n")
        assert_file(ask(c, "gamma.test", "http://unknown.test/"), "alpha\n")


def test_http10_without_host_goes_to_the_first_site(server):
    """HTTP/1.0 without Host names no site: the first <VirtualHost> answers (StrictHostCheck off)."""
    srv = three(server)
    with srv.client() as c:
        c.send("GET / HTTP/1.0\r\n\r\n")
        r = c.read_response()
    assert r.body == b"alpha\n"
    assert r.status == 200


def test_error_documents_are_per_site(server):
    """Each site's ErrorDocument 404 answers for it (with status 404 and the document's type); a site without
    one gets the built-in page."""
    srv = three(server)
    with srv.client() as c:
        for host, body in (("alpha.test", b"alpha has no such page\n"), ("beta.test", b"beta: missing\n")):
            r = ask(c, host, "/nowhere")
            assert_common_head(r, 404)
            assert r.names == ["Date", "Server", "Content-Type", "Content-Length"], r.headers
            assert r["Content-Type"] == HTML
            assert r["Content-Length"] == str(len(body))
            assert r.body == body
        assert_error(ask(c, "gamma.test", "/nowhere"), 404)
        # A site's error document is looked up in its own root: alpha's page is not beta's.
        assert_error(ask(c, "gamma.test", "/404.html"), 404)


def test_site_logs_exact_lines(server):
    """A site with its own AccessLog writes its lines there (combined); every other site's go to the shared
    vhost_combined log, each line beginning with `site:port` (the listener's real port)."""
    srv = three(server)
    t0 = time.time()
    with srv.client() as c:
        ask(c, "alpha.test", "/", {"User-Agent": "ua/1"})
        ask(c, "BETA.test", "/", {"Referer": "http://r/"})
        ask(c, "q.deep.beta.test", "/nowhere?x=1")
        ask(c, "unknown.test", "/index.html", method="HEAD")
        ask(c, "b.beta.test", "/nowhere")
    n404 = len(error_body(404))
    shared = wait_lines(srv.dir / "logs" / "all.log", 3, 3)
    own = wait_lines(srv.dir / "logs" / "beta.log", 2, 3)
    stamp = rb"\[" + CLF_TIME.encode() + rb"\]"
    port = str(srv.port).encode()
    expected_shared = [
        rb"alpha\.test:" + port + rb' 127\.0\.0\.1 - - ' + stamp + rb' "GET / HTTP/1\.1" 200 6 "-" "ua/1"',
        rb"gamma\.test:" + port + rb' 127\.0\.0\.1 - - ' + stamp + rb' "GET /nowhere\?x=1 HTTP/1\.1" 404 '
        + str(n404).encode() + rb' "-" "-"',
        rb"alpha\.test:" + port + rb' 127\.0\.0\.1 - - ' + stamp + rb' "HEAD /index\.html HTTP/1\.1" 200 - "-" "-"',
    ]
    expected_own = [
        rb'127\.0\.0\.1 - - ' + stamp + rb' "GET / HTTP/1\.1" 200 5 "http://r/" "-"',
        rb'127\.0\.0\.1 - - ' + stamp + rb' "GET /nowhere HTTP/1\.1" 404 14 "-" "-"',
    ]
    assert len(shared) == 3 and all(re.fullmatch(p, l) for p, l in zip(expected_shared, shared)), shared
    assert len(own) == 2 and all(re.fullmatch(p, l) for p, l in zip(expected_own, own)), own
    assert time.time() - t0 < 5


def test_each_site_has_its_own_files_on_one_connection(server):
    """One keep-alive connection going from site to site gets each site's own /index.html (the open-file cache
    keeps one entry per site and path), HEAD included."""
    srv = three(server)
    with srv.client() as c:
        for host in ("alpha.test", "beta.test", "alpha.test", "gamma.test", "beta.test", "unknown", "gamma.test"):
            site = {"unknown": "alpha"}.get(host, host.split(".")[0])
            assert_file(ask(c, host, "/index.html"), f"{site}\n")
            assert_file(ask(c, host, "/", method="HEAD"), f"{site}\n", head=True)


def test_site_error_log_gets_that_sites_request_errors(server):
    """A site's own ErrorLog receives the request errors of that site; the others stay in the server's log."""
    conf = THREE.replace("    AccessLog logs/beta.log combined\n",
                         "    AccessLog logs/beta.log combined\n    ErrorLog logs/beta-error.log\n")
    srv = start_sites(server, conf, THREE_FILES)
    with srv.client() as c:
        for host in ("beta.test", "alpha.test"):
            c.send(f"DELETE /index.html HTTP/1.1\r\nHost: {host}\r\n\r\n")
            assert c.read_response().status == 405
    own = srv.dir / "logs" / "beta-error.log"
    line = r'\[info\] \[pid \d+\] \[client 127\.0\.0\.1\] 405 "DELETE /index\.html HTTP/1\.1"'
    assert wait_until(lambda: own.exists() and re.search(line, own.read_text()), 3), own.read_text()
    assert len(re.findall(line, own.read_text())) == 1
    assert len(re.findall(line, srv.stderr())) == 1, srv.stderr()


def test_location_error_document_and_autoindex(server):
    """A <Location>'s ErrorDocument and Autoindex apply under its prefix only."""
    conf = """
<VirtualHost *>
    ServerName l.test
    DocumentRoot l
    ErrorDocument 404 /404.html
    <Location /docs>
        ErrorDocument 404 /docs/404.html
        Autoindex on
    </Location>
</VirtualHost>
"""
    srv = start_sites(server, conf, {"l/404.html": "site 404\n", "l/docs/404.html": "docs 404\n",
                                     "l/docs/sub/x.txt": "x\n", "l/other/y.txt": "y\n"})
    with srv.client() as c:
        r = ask(c, "l.test", "/docs/nowhere")
        assert (r.status, r.body) == (404, b"docs 404\n")
        r = ask(c, "l.test", "/nowhere")
        assert (r.status, r.body) == (404, b"site 404\n")
        r = ask(c, "l.test", "/docs/sub/")
        assert r.status == 200 and b'<a href="./x.txt">x.txt</a>' in r.body, r.body
        r = ask(c, "l.test", "/other/")
        assert (r.status, r.body) == (404, b"site 404\n")


def test_inetd_mode_picks_sites_and_logs_vhost_combined(tmp_path, procs):
    """httpd --inetd with a TCP connection on fd 0 (as inetd starts it): the Host picks the site among every
    <VirtualHost> (the socket is no configured listener), Header rules and auth apply, and vhost_combined lines
    carry the real local port."""
    blocks = f"""
AccessLog {tmp_path}/all.log vhost_combined
<VirtualHost *>
    ServerName alpha.test
    DocumentRoot {tmp_path}/alpha
    Header always set X-Site alpha
</VirtualHost>
<VirtualHost *>
    ServerName beta.test
    DocumentRoot {tmp_path}/beta
</VirtualHost>
"""
    tree(tmp_path, {"alpha/index.html": "alpha\n", "beta/index.html": "beta\n"})
    site = make_site(tmp_path, conf_lines=blocks.strip("\n").splitlines())
    conn, proc = tcp_child(procs, site)
    local_port = conn.sock.getpeername()[1]
    with conn:
        assert_file(ask(conn, "beta.test", "/"), "beta\n")
        assert_file(ask(conn, "other", "/"), "alpha\n", extra=[("X-Site", "alpha")])
        assert_file(ask(conn, "ALPHA.test.", "/", close=True), "alpha\n", extra=[("X-Site", "alpha")], closes=True)
    assert exit_within(proc, 3) == 0
    lines = (tmp_path / "all.log").read_bytes().splitlines()
    assert [l.split(b" ", 1)[0] for l in lines] == [b"beta.test:%d" % local_port] + [b"alpha.test:%d" % local_port] * 2


STRICT = """
StrictHostCheck on
<VirtualHost *>
    ServerName alpha.test
    DocumentRoot alpha
    Header always set X-Site alpha
</VirtualHost>
<VirtualHost *>
    ServerName beta.test
    DocumentRoot beta
</VirtualHost>
"""


def test_strict_host_check_answers_421_and_monitoring_answers_any_host(server):
    """StrictHostCheck on: a Host naming no site (or no Host at all in HTTP/1.0) gets the exact built-in 421
    (with the first site's `always` rules, as that site answers it) and the connection stays open; named sites
    answer; /healthz, /readyz, /server-status and /metrics answer whatever the Host, with no site's fields."""
    srv = start_sites(server, STRICT, {"alpha/index.html": "alpha\n", "beta/index.html": "beta\n"})
    with srv.client() as c:
        for r in (ask(c, "nobody.test", "/"), ask(c, "nobody.test", "/", method="HEAD")):
            assert_error(r, 421, head=r.body == b"", closes=False, fields=("X-Site",))
            assert r["X-Site"] == "alpha"
        assert_file(ask(c, "beta.test", "/"), "beta\n")
        assert_file(ask(c, "alpha.test", "/"), "alpha\n", extra=[("X-Site", "alpha")])
        for target, ctype, body in (("/healthz", TEXT, b"ok\n"), ("/readyz", TEXT, b"ready\n")):
            r = ask(c, "nobody.test", target)
            assert_common_head(r, 200)
            assert r.names == ["Date", "Server", "Content-Type", "Cache-Control", "Content-Length"], r.headers
            assert (r["Content-Type"], r["Cache-Control"], r.body) == (ctype, "no-store", body)
        for target in ("/server-status?auto", "/metrics", "/server-status?format=json"):
            r = ask(c, "nobody.test", target)
            assert r.status == 200, (target, r.status_line)
    with srv.client() as c:
        c.send("GET / HTTP/1.0\r\n\r\n")
        assert_error(c.read_response(), 421, closes=True, fields=("X-Site",))


def test_pipelined_requests_do_not_inherit_the_previous_site(server):
    """A monitoring request pipelined behind a site's request is no site's: none of that site's Header rules, and
    logged under the main server's name (LogHealth on); the next site request gets its own site's rules."""
    conf = "LogHealth on\nAccessLog logs/all.log vhost_combined\n" + STRICT.replace("StrictHostCheck on\n", "")
    srv = start_sites(server, conf, {"alpha/index.html": "alpha\n", "beta/index.html": "beta\n"})
    with srv.client() as c:
        c.send("GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n"
               "GET /healthz HTTP/1.1\r\nHost: alpha.test\r\n\r\n"
               "GET / HTTP/1.1\r\nHost: beta.test\r\n\r\n")
        assert_file(c.read_response(), "alpha\n", extra=[("X-Site", "alpha")])
        r = c.read_response()
        assert r.names == ["Date", "Server", "Content-Type", "Cache-Control", "Content-Length"], r.headers
        assert_file(c.read_response(), "beta\n")
    sites = [l.split(b" ")[0] for l in wait_lines(srv.dir / "logs" / "all.log", 3, 3)]
    port = str(srv.port).encode()
    assert sites == [b"alpha.test:" + port, b"default:" + port, b"beta.test:" + port], sites


def test_a_listener_no_virtual_host_names_is_the_main_servers(server):
    """<VirtualHost *:P1> blocks serve P1 (unknown names: the first block); P2, which no block names, is
    served by the main server whatever the Host, even one naming a site."""
    p1, p2 = free_port(), free_port()
    conf = f"""
<VirtualHost *:{p1}>
    ServerName alpha.test
    DocumentRoot alpha
</VirtualHost>
<VirtualHost 127.0.0.1:{p1}>
    ServerName beta.test
    DocumentRoot beta
</VirtualHost>
"""
    files = {"www/index.html": "main\n", "alpha/index.html": "alpha\n", "beta/index.html": "beta\n"}
    srv = start_sites(server, conf, files, listen=[f"{HOST}:{p1}", f"{HOST}:{p2}"])
    for port, host, body in ((p1, "alpha.test", "alpha\n"), (p1, "beta.test", "beta\n"), (p1, "other", "alpha\n"),
                             (p2, "alpha.test", "main\n"), (p2, "beta.test", "main\n"), (p2, "other", "main\n")):
        assert_file(fetch_host(port, host, "/"), body, closes=True)


def test_strict_host_check_leaves_the_main_servers_listener_alone(server):
    """StrictHostCheck concerns the names of <VirtualHost> sites: the main server, alone on a listener no block
    names, answers any Host there."""
    p1, p2 = free_port(), free_port()
    conf = f"""
StrictHostCheck on
<VirtualHost *:{p1}>
    ServerName alpha.test
    DocumentRoot alpha
</VirtualHost>
"""
    srv = start_sites(server, conf, {"www/index.html": "main\n", "alpha/index.html": "alpha\n"},
                      listen=[f"{HOST}:{p1}", f"{HOST}:{p2}"])
    assert_error(fetch_host(p1, "other", "/"), 421, closes=True)
    assert_file(fetch_host(p2, "other", "/"), "main\n", closes=True)
    assert srv.alive()


# --------------------------------------------------------------------------------------------
# TLS: SNI picks the certificate; a Host naming another site gets 421
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> CA:
    return CA(tmp_path_factory.mktemp("ca"))


def test_sni_picks_the_sites_certificate_and_a_host_of_another_site_gets_421(server, ca):
    """Two sites on one TLS listener, each with its own certificate inside its block: the SNI name gets that
    site's certificate (Python's ssl verifies it for the name; openssl s_client shows its subject); a Host
    naming the SNI's site gets 200, a Host naming the other site 421 (RFC 9110 §7.4), over Python and curl."""
    a_cert, a_key = ca.issue("alpha", cn="alpha.test", sans=["alpha.test"])
    b_cert, b_key = ca.issue("beta", cn="beta.test", sans=["beta.test", "*.beta.test"])
    port = free_port()
    conf = f"""
<VirtualHost *>
    ServerName alpha.test
    DocumentRoot alpha
    TLSCertificateFile {a_cert}
    TLSCertificateKeyFile {a_key}
</VirtualHost>
<VirtualHost *>
    ServerName beta.test
    ServerAlias *.beta.test
    DocumentRoot beta
    TLSCertificateFile {b_cert}
    TLSCertificateKeyFile {b_key}
</VirtualHost>
"""
    start_sites(server, conf, {"alpha/index.html": "alpha\n", "beta/index.html": "beta\n"},
                listen=f"{HOST}:{port} tls")
    for sni, site, other in (("alpha.test", "alpha", "beta.test"), ("beta.test", "beta", "alpha.test"),
                             ("www.beta.test", "beta", "alpha.test")):
        with tls_client(port, ca, server_name=sni) as c:  # verifies the chain and the name
            assert c.sock.getpeercert()["subject"] == ((("commonName", f"{site}.test"),),)
            assert_file(ask(c, sni, "/"), f"{site}\n")
            assert_file(ask(c, sni.upper() + ":" + str(port), "/"), f"{site}\n")
            assert_error(ask(c, other, "/"), 421, closes=False)
            # An absolute-form target naming the other site is misdirected too.
            assert_error(ask(c, sni, f"https://{other}/"), 421, closes=False)
            assert_file(ask(c, sni, "/"), f"{site}\n")
    out = s_client(port, "-servername", "beta.test", "-CAfile", str(ca.root), "-verify_return_error",
                   stdin=b"")
    assert re.search(r"^subject=CN ?= ?beta\.test$", out, re.M) and "Verify return code: 0 (ok)" in out, out
    out = s_client(port, "-servername", "alpha.test", "-CAfile", str(ca.root), stdin=b"")
    assert re.search(r"^subject=CN ?= ?alpha\.test$", out, re.M), out
    resolve = ["--cacert", str(ca.root), "--resolve", f"beta.test:{port}:{HOST}"]
    r = curl(*resolve, "-i", f"https://beta.test:{port}/")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"HTTP/1.1 200 OK\r\n") and r.stdout.endswith(b"\r\n\r\nbeta\n"), r.stdout
    r = curl(*resolve, "-i", "-H", "Host: alpha.test", f"https://beta.test:{port}/")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"HTTP/1.1 421 Misdirected Request\r\n"), r.stdout
    assert r.stdout.endswith(b"\r\n\r\n" + error_body(421)), r.stdout


def test_tls_without_sni_or_with_an_unknown_name(server, ca):
    """A client that sends no SNI (an IP address) gets the site its Host names; an SNI no site has gets the first
    site's certificate, and on that connection the first site's name is served, the other site's is 421, and the
    unknown name goes to the first site, or gets 421 with StrictHostCheck on."""
    a_cert, a_key = ca.issue("alpha2", cn="alpha.test", sans=["alpha.test"])
    b_cert, b_key = ca.issue("beta2", cn="beta.test", sans=["beta.test"])
    blocks = f"""
<VirtualHost *>
    ServerName alpha.test
    DocumentRoot alpha
    TLSCertificateFile {a_cert}
    TLSCertificateKeyFile {a_key}
</VirtualHost>
<VirtualHost *>
    ServerName beta.test
    DocumentRoot beta
    TLSCertificateFile {b_cert}
    TLSCertificateKeyFile {b_key}
</VirtualHost>
"""
    files = {"alpha/index.html": "alpha\n", "beta/index.html": "beta\n"}
    unverified = context(ca, check_hostname=False)
    for strict in (False, True):
        port = free_port()
        srv = start_sites(server, ("StrictHostCheck on\n" if strict else "") + blocks, files,
                          listen=f"{HOST}:{port} tls")
        with tls_client(port, ca, server_name=None, ctx=unverified) as c:
            assert_file(ask(c, "beta.test", "/"), "beta\n")
            assert_file(ask(c, "alpha.test", "/"), "alpha\n")
            if strict:
                assert_error(ask(c, "other.test", "/"), 421, closes=False)
            else:
                assert_file(ask(c, "other.test", "/"), "alpha\n")
        with tls_client(port, ca, server_name="other.test", ctx=unverified) as c:
            # The first site's certificate answered the unknown name: its own name may be asked for, the other
            # site's not.
            assert c.sock.getpeercert()["subject"] == ((("commonName", "alpha.test"),),)
            if strict:
                assert_error(ask(c, "other.test", "/"), 421, closes=False)
            else:
                assert_file(ask(c, "other.test", "/"), "alpha\n")
            assert_file(ask(c, "alpha.test", "/"), "alpha\n")
            assert_error(ask(c, "beta.test", "/"), 421, closes=False)
        srv.stop()


# --------------------------------------------------------------------------------------------
# Header rules
# --------------------------------------------------------------------------------------------

HEADERS = """
Header always set X-Frame-Options DENY
Header set X-Main main
<VirtualHost *>
    ServerName h.test
    DocumentRoot h
    CacheControl "max-age=60"
    Header set X-Site site
    Header always set X-Always yes
    Header add X-Multi one
    Header add X-Multi two
    Header append X-Joined first
    Header append X-Joined second
    Header append Cache-Control public
    Header unset X-Main
    <Location /deep>
        Header set X-Loc deep
        Header always set X-Site location
        CacheControl "no-cache"
    </Location>
    <Location /deep/er>
        Header unset X-Frame-Options
        CacheControl "public, max-age=31536000, immutable"
    </Location>
</VirtualHost>
"""
HEADER_FILES = {"h/a.txt": "a\n", "h/deep/b.txt": "b\n", "h/deep/er/c.txt": "c\n"}
SITE_FIELDS = [("X-Frame-Options", "DENY"), ("X-Site", "site"), ("X-Always", "yes"), ("X-Multi", "one"),
               ("X-Multi", "two"), ("X-Joined", "first, second")]


def test_headers_on_200_304_and_404_with_and_without_always(server):
    """Header rules apply after httpd's fields, in order, from the main server's to the site's: on 200 and 304
    every rule, on 404 only the `always` ones; `set` replaces, `add` adds a line, `append` joins with `, `
    (also to httpd's own Cache-Control), `unset` removes (the main server's X-Main); HEAD: the same head."""
    srv = start_sites(server, HEADERS, HEADER_FILES)
    with srv.client() as c:
        ok = ask(c, "h.test", "/a.txt")
        assert_file(ok, "a\n", TEXT, extra=SITE_FIELDS, cache_control="max-age=60, public")
        assert_file(ask(c, "h.test", "/a.txt", method="HEAD"), "a\n", TEXT, extra=SITE_FIELDS, head=True,
                    cache_control="max-age=60, public")
        nm = ask(c, "h.test", "/a.txt", {"If-None-Match": ok["ETag"]})
        assert nm.status_line == "HTTP/1.1 304 Not Modified"
        assert nm.headers[2:] == [("Last-Modified", ok["Last-Modified"]), ("ETag", ok["ETag"]),
                                  ("Cache-Control", "max-age=60, public"), *SITE_FIELDS], nm.headers
        missing = ask(c, "h.test", "/nowhere")
        assert_common_head(missing, 404)
        assert missing.headers[2:] == [("Content-Type", HTML), ("X-Frame-Options", "DENY"), ("X-Always", "yes"),
                                       ("Content-Length", str(len(error_body(404))))], missing.headers
        assert missing.body == error_body(404)


def test_location_headers_add_to_the_sites_and_cache_control_per_location(server):
    """A <Location>'s rules apply after the site's; its CacheControl replaces the site's before the rules run.
    A block inside another's prefix adds to it (/deep/er: the site's rules, then /deep's, then its own)."""
    srv = start_sites(server, HEADERS, HEADER_FILES)
    with srv.client() as c:
        assert_file(ask(c, "h.test", "/deep/b.txt"), "b\n", TEXT, cache_control="no-cache, public",
                    extra=[f for f in SITE_FIELDS if f[0] != "X-Site"] + [("X-Loc", "deep"), ("X-Site", "location")])
        assert_file(ask(c, "h.test", "/deep/er/c.txt"), "c\n", TEXT,
                    cache_control="public, max-age=31536000, immutable, public",
                    extra=SITE_FIELDS[2:] + [("X-Loc", "deep"), ("X-Site", "location")])
        missing = ask(c, "h.test", "/deep/nowhere")
        assert_common_head(missing, 404)
        assert missing.headers[2:] == [("Content-Type", HTML), ("X-Frame-Options", "DENY"), ("X-Always", "yes"),
                                       ("X-Site", "location"), ("Content-Length", str(len(error_body(404))))]


def test_always_rules_reach_every_response_of_a_site(server):
    """`Header always set` of the main server and of the site reach every answer a site gives, not only those
    of files: 405, OPTIONS, a dotfile's 404, a bad path's 400, a Redirect, and a 421 (answered by the listener's
    first site)."""
    conf = """
StrictHostCheck on
Header always set X-Content-Type-Options nosniff
<VirtualHost *>
    ServerName h.test
    DocumentRoot h
    Header always set X-Site h
    Redirect 308 /old /new
</VirtualHost>
"""
    srv = start_sites(server, conf, {"h/a.txt": "a\n", "h/.hidden": "x\n"})
    both = [("X-Content-Type-Options", "nosniff"), ("X-Site", "h")]
    with srv.client() as c:
        r = ask(c, "h.test", "/a.txt", method="DELETE")
        assert r.status == 405 and r.headers[2:5] == [("Content-Type", HTML), ("Allow", "GET, HEAD, OPTIONS"),
                                                      *both[:1]], r.headers
        assert r.headers[5] == both[1], r.headers
        r = ask(c, "h.test", "/a.txt", method="OPTIONS")
        assert r.status == 200 and r.headers[2:] == [("Allow", "GET, HEAD, OPTIONS"), *both,
                                                     ("Content-Length", "0")], r.headers
        r = ask(c, "h.test", "/.hidden")
        assert r.status == 404 and r.headers[2:] == [("Content-Type", HTML), *both,
                                                     ("Content-Length", str(len(error_body(404))))], r.headers
        assert_redirect(ask(c, "h.test", "/old"), 308, "Permanent Redirect", "/new", extra=both)
        # A 421 is answered by the site that took the request (the first one here): its rules too.
        r = ask(c, "nobody.test", "/a.txt")
        assert r.status == 421 and r.headers[2:] == [("Content-Type", HTML), *both,
                                                     ("Content-Length", str(len(error_body(421))))], r.headers
        r = ask(c, "h.test", "/a%00b")
        assert r.status == 400 and r.headers[2:5] == [("Content-Type", HTML), *both], r.headers


# --------------------------------------------------------------------------------------------
# Redirects
# --------------------------------------------------------------------------------------------

REDIRECTS = """
<VirtualHost *>
    ServerName r.test
    DocumentRoot r
    Redirect 301 /old https://new.example/fresh
    Redirect /temp /elsewhere
    Redirect 303 /see https://see.example
    Redirect 307 /t307 https://t.example/307/
    Redirect 308 /t308 /moved/
    Redirect permanent /perm https://p.example
    Redirect seeother /so https://so.example/x
    Header set X-Rule r
</VirtualHost>
"""
REDIRECT_FILES = {"r/older": "a file whose name begins with old\n", "r/oldest/x.txt": "x\n"}


@pytest.mark.parametrize("target,status,reason,location", [
    ("/old", 301, "Moved Permanently", "https://new.example/fresh"),
    ("/old/", 301, "Moved Permanently", "https://new.example/fresh/"),
    ("/old/a/b.html?x=1&y=%20", 301, "Moved Permanently", "https://new.example/fresh/a/b.html?x=1&y=%20"),
    ("/old/sp%20ace/%C3%A9", 301, "Moved Permanently", "https://new.example/fresh/sp%20ace/%C3%A9"),
    ("/temp/x?q", 302, "Found", "/elsewhere/x?q"),
    ("/see", 303, "See Other", "https://see.example"),
    ("/see/more", 303, "See Other", "https://see.example/more"),
    ("/t307/a", 307, "Temporary Redirect", "https://t.example/307/a"),
    ("/t308/a?b=c", 308, "Permanent Redirect", "/moved/a?b=c"),
    ("/perm/z", 301, "Moved Permanently", "https://p.example/z"),
    ("/so", 303, "See Other", "https://so.example/x"),
    ("/x/../old/y", 301, "Moved Permanently", "https://new.example/fresh/y"),
])
def test_redirect_statuses_locations_and_queries(server, target, status, reason, location):
    """Each Redirect status gets its exact status line and page; the rest of the path (percent-encoded again)
    and the query are appended to the target; the site's Header rules apply; HEAD: the same head, no body."""
    srv = start_sites(server, REDIRECTS, REDIRECT_FILES)
    with srv.client() as c:
        r = ask(c, "r.test", target)
        assert_redirect(r, status, reason, location, extra=[("X-Rule", "r")])
        r = ask(c, "r.test", target, method="HEAD")
        assert_redirect(r, status, reason, location, head=True, extra=[("X-Rule", "r")])


def test_redirect_prefix_stops_at_a_segment_boundary(server):
    """`Redirect /old` covers /old and /old/…, never /older or /oldest/…, which are served as files."""
    srv = start_sites(server, REDIRECTS, REDIRECT_FILES)
    with srv.client() as c:
        r = ask(c, "r.test", "/older")
        assert r.status == 200 and r.body == b"a file whose name begins with old\n", r.raw_head
        r = ask(c, "r.test", "/oldest/x.txt")
        assert r.status == 200 and r.body == b"x\n"
        assert ask(c, "r.test", "/olde").status == 404
        assert ask(c, "r.test", "/old").status == 301


# --------------------------------------------------------------------------------------------
# TryFiles and FallbackFile
# --------------------------------------------------------------------------------------------

CLEAN = """
<VirtualHost *>
    ServerName blog.test
    DocumentRoot blog
    TryFiles $uri $uri.html $uri/ =404
</VirtualHost>
<VirtualHost *>
    ServerName app.test
    DocumentRoot app
    FallbackFile /index.html
</VirtualHost>
"""
CLEAN_FILES = {
    "blog/index.html": "home\n",
    "blog/about.html": "about\n",
    "blog/docs/index.html": "docs\n",
    "blog/style.css": "p{}\n",
    "app/index.html": "<div id=app></div>\n",
    "app/app.css": "css\n",
}


def test_try_files_serves_clean_urls_without_redirects(server):
    """TryFiles $uri $uri.html $uri/ =404: /about serves about.html, /docs serves docs/index.html (no
    redirect to /docs/), an existing file is served as itself, a missing one gets the exact 404."""
    srv = start_sites(server, CLEAN, CLEAN_FILES)
    with srv.client() as c:
        assert_file(ask(c, "blog.test", "/about"), "about\n")
        assert_file(ask(c, "blog.test", "/about?x=1"), "about\n")
        assert_file(ask(c, "blog.test", "/docs"), "docs\n")
        assert_file(ask(c, "blog.test", "/docs/"), "docs\n")
        assert_file(ask(c, "blog.test", "/about.html"), "about\n")
        assert_file(ask(c, "blog.test", "/style.css"), "p{}\n", "text/css; charset=utf-8")
        assert_file(ask(c, "blog.test", "/"), "home\n")
        assert_file(ask(c, "blog.test", "/about", method="HEAD"), "about\n", head=True)
        assert_error(ask(c, "blog.test", "/nothing"), 404)
        assert_error(ask(c, "blog.test", "/docs/nothing"), 404)


@pytest.mark.parametrize("method,target,accept,found", [
    ("GET", "/some/route", None, True),
    ("HEAD", "/some/route", None, True),
    ("GET", "/user/42", "text/html,application/xhtml+xml,*/*;q=0.8", True),
    ("GET", "/x", "text/*", True),
    ("GET", "/x", "*/*", True),
    ("GET", "/app.js", None, False),                # an extension: a missing asset is a 404
    ("GET", "/api/x.json", "*/*", False),
    ("GET", "/api/items", "application/json", False),
    ("GET", "/api/items", "text/html;q=0", False),
    ("POST", "/some/route", None, False),
])
def test_fallback_file_for_html_routes_only(server, method, target, accept, found):
    """FallbackFile /index.html: GET and HEAD of a missing path without an extension that accept HTML get the
    file with 200; an extension, an Accept without HTML, or another method gets the exact 404 (405 for POST)."""
    srv = start_sites(server, CLEAN, CLEAN_FILES)
    headers = {"Accept": accept} if accept else {}
    with srv.client() as c:
        if method == "POST":
            headers["Content-Length"] = "0"
        r = ask(c, "app.test", target, headers, method=method)
        if found:
            assert_file(r, "<div id=app></div>\n", head=method == "HEAD")
        else:
            assert r.status in (404, 405)
            assert_error(r, r.status, fields=("Allow",) if r.status == 405 else ())
        assert_file(ask(c, "app.test", "/app.css"), "css\n", "text/css; charset=utf-8")


# --------------------------------------------------------------------------------------------
# <Location> precedence
# --------------------------------------------------------------------------------------------

LOCATIONS = """
<Location />
    Header set X-Loc root
</Location>
<VirtualHost *>
    ServerName l.test
    DocumentRoot l
    <Location /a>
        Header set X-Loc a
    </Location>
    <Location /a/b/>
        Header set X-Loc a-b
    </Location>
    <Location /a/b/c>
        Header set X-Loc a-b-c
    </Location>
</VirtualHost>
"""


@pytest.mark.parametrize("target,loc", [
    ("/x.txt", "root"),
    ("/a", "a"),
    ("/a/x.txt", "a"),
    ("/ab/x.txt", "root"),
    ("/a/b", "a-b"),
    ("/a/b/x.txt", "a-b"),
    ("/a/b/c/x.txt", "a-b-c"),
    ("/a/b/cd/x.txt", "a-b"),
    ("/%61/b/c/x.txt", "a-b-c"),
    ("/a/b/c/../x.txt", "a-b"),
    ("/A/x.txt", "root"),
])
def test_location_longest_prefix_wins(server, target, loc):
    """The longest <Location> prefix covering the decoded, normalized path applies, on segment boundaries (a
    top-level block applies to every site, below the site's own)."""
    files = {f"l{p}": "x\n" for p in ("/x.txt", "/a", "/ab/x.txt", "/a-b/x.txt", "/a/b/x.txt",
                                      "/a/b/c/x.txt", "/a/b/cd/x.txt", "/A/x.txt")}
    files = {("l/a/x.txt" if k == "l/a" else k): v for k, v in files.items()}
    srv = start_sites(server, LOCATIONS, files)
    r = fetch_host(srv.port, "l.test", target)
    # /a and /a/b are folders: a redirect to the slash (3xx gets the rules too); files: 200.
    assert r.status == (301 if target in ("/a", "/a/b") else 200), r.status_line
    assert r["X-Loc"] == loc, r.headers


# --------------------------------------------------------------------------------------------
# Reload
# --------------------------------------------------------------------------------------------


def test_reload_adds_changes_and_removes_sites_without_dropping_connections(server):
    """SIGHUP with a new site, a changed root and a removed site: a keep-alive connection opened before the
    reload stays open, and its next requests see the new sites; a removed site's name goes to the first site."""
    files = {"one/index.html": "one\n", "two/index.html": "two\n", "two-b/index.html": "two, moved\n",
             "three/index.html": "three\n"}
    def conf(*blocks):
        return "".join(f"<VirtualHost *>\n    ServerName {n}.test\n    DocumentRoot {root}\n</VirtualHost>\n"
                       for n, root in blocks)
    srv = start_sites(server, conf(("one", "one"), ("two", "two")), files)
    with srv.client() as c:
        assert_file(ask(c, "two.test", "/"), "two\n")
        assert_file(ask(c, "three.test", "/"), "one\n")
        lines = ["DocumentRoot www", "Listen 127.0.0.1:0", "LogLevel info"]
        srv.conf.write_text("\n".join(lines) + "\n" + conf(("one", "one"), ("three", "three"), ("two", "two-b")))
        srv.signal(signal.SIGHUP)
        assert wait_until(lambda: "configuration reloaded" in srv.stderr(), 5), srv.stderr()
        assert_file(ask(c, "three.test", "/"), "three\n")
        assert_file(ask(c, "two.test", "/"), "two, moved\n")
        srv.conf.write_text("\n".join(lines) + "\n" + conf(("three", "three"), ("one", "one")))
        srv.signal(signal.SIGHUP)
        assert wait_until(lambda: srv.stderr().count("configuration reloaded") == 2, 5), srv.stderr()
        assert_file(ask(c, "two.test", "/"), "three\n")
        assert_file(ask(c, "one.test", "/"), "one\n")


def test_reload_opens_a_new_sites_log_and_sigusr1_reopens_it(server):
    """A site added by a reload with its own AccessLog writes there at once; after a rename, SIGUSR1 makes it
    write to a new file at the old path (logrotate's way), the old file keeping the earlier lines."""
    files = {"one/index.html": "one\n", "two/index.html": "two\n"}
    one = "<VirtualHost *>\n    ServerName one.test\n    DocumentRoot one\n</VirtualHost>\n"
    two = ("<VirtualHost *>\n    ServerName two.test\n    DocumentRoot two\n"
           "    AccessLog logs/two.log combined\n</VirtualHost>\n")
    srv = start_sites(server, one, files)
    log = srv.dir / "logs" / "two.log"
    with srv.client() as c:
        assert_file(ask(c, "two.test", "/"), "one\n")
        srv.conf.write_text("DocumentRoot www\nListen 127.0.0.1:0\nLogLevel info\n" + one + two)
        srv.signal(signal.SIGHUP)
        assert wait_until(lambda: "configuration reloaded" in srv.stderr(), 5), srv.stderr()
        assert_file(ask(c, "two.test", "/"), "two\n")
        assert len(wait_lines(log, 1, 3)) == 1
        log.rename(srv.dir / "logs" / "two.log.1")
        srv.signal(signal.SIGUSR1)
        assert wait_until(log.exists, 3), "SIGUSR1 did not reopen the site's log"
        assert_file(ask(c, "two.test", "/index.html", {"User-Agent": "after"}), "two\n")
    lines = wait_lines(log, 1, 3)
    assert len(lines) == 1 and lines[0].endswith(b'"GET /index.html HTTP/1.1" 200 4 "-" "after"'), lines
    assert (srv.dir / "logs" / "two.log.1").read_bytes().count(b"\n") == 1


# --------------------------------------------------------------------------------------------
# httpd -S and -t
# --------------------------------------------------------------------------------------------


def test_dash_S_lists_listeners_and_sites(tmp_path):
    """`httpd -S` (and `-t -v`): Syntax OK, then each listener with its sites (the first marked default), then
    each site with its names, root, logs, locations and where it was configured (the main server too, as it
    answers on a listener no <VirtualHost> names); exit 0."""
    for d in ("www", "alpha", "beta", "logs"):
        (tmp_path / d).mkdir()
    (tmp_path / "users").write_text("")
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"""Listen 127.0.0.1:8081
Listen 127.0.0.1:8082
<VirtualHost *:8081>
    ServerName alpha.test
    ServerAlias www.alpha.test *.alpha.test
    DocumentRoot alpha
    AccessLog logs/alpha.log vhost_combined
    Redirect /old /new
    TryFiles $uri $uri.html =404
    <Location /private>
        AuthType Basic
        AuthName "Staff only"
        AuthUserFile users
        Require valid-user
    </Location>
</VirtualHost>
<VirtualHost *:8081>
    ServerName beta.test
    DocumentRoot beta
    FallbackFile /index.html
    Header set X-A 1
</VirtualHost>
""")
    expected = f"""{conf}: Syntax OK
Sites by listener:
  http://127.0.0.1:8081/
    default alpha.test (alpha.test www.alpha.test *.alpha.test)
            beta.test
  http://127.0.0.1:8082/
    default default
Sites:
  default  main server
    root: {tmp_path}/www
  alpha.test  {conf}:3
    aliases: www.alpha.test *.alpha.test
    root: {tmp_path}/alpha
    access log: {tmp_path}/logs/alpha.log vhost_combined
    location /private  {conf}:10: auth "Staff only" {tmp_path}/users
    redirects: 1
    TryFiles: 3 entries
  beta.test  {conf}:17
    root: {tmp_path}/beta
    FallbackFile: /index.html
"""
    for args in (["-S"], ["-t", "-v"]):
        r = run_httpd("-f", conf, *args, text=True)
        assert (r.returncode, r.stderr) == (0, ""), r.stderr
        assert r.stdout == expected, r.stdout


@pytest.mark.parametrize("body,line,message", [
    ("<VirtualHost *>\nServerName a.test\n</VirtualHost>\n<VirtualHost *>\nServerAlias A.test\n</VirtualHost>\n",
     4, "a.test already names the <VirtualHost> at {conf}:1"),
    ("ServerAlias x.test\n", 1, None),
    ("<VirtualHost *>\nStrictHostCheck on\n</VirtualHost>\n", 2, None),
    ("<VirtualHost *>\nHeader set Content-Length 5\n</VirtualHost>\n", 2,
     "Header: Content-Length is set by httpd itself; Header cannot change it"),
    ("<VirtualHost *>\nHeader frob X-A 1\n</VirtualHost>\n", 2, None),
    ("<VirtualHost *>\nHeader always set Server x\n</VirtualHost>\n", 2,
     "Header: Server is set by httpd itself; Header cannot change it"),
    ("<VirtualHost *>\nRedirect 304 /a /b\n</VirtualHost>\n", 2, None),
    ("<VirtualHost *>\nRedirect /a b\n</VirtualHost>\n", 2, None),
    ("<VirtualHost *>\nRedirect 301 /a /a/b\n</VirtualHost>\n", 2,
     "Redirect: the target /a/b is under /a: it would redirect forever"),
    ("Redirect / /new\n", 1, "Redirect: the target /new is under /: it would redirect forever"),
    ("<VirtualHost *>\nRedirect /a //elsewhere.example/b\n</VirtualHost>\n", 2,
     "Redirect: the target //elsewhere.example/b starts with //, which a browser reads as another host"),
    ("<VirtualHost *>\nRedirect /a https://x.example/b?c=d\n</VirtualHost>\n", 2,
     "Redirect: the target has a query or fragment ('?' or '#'); the request's query is passed on"),
    ("<VirtualHost *>\nTryFiles =404 $uri\n</VirtualHost>\n", 2, None),
    ("<VirtualHost *>\nFallbackFile index.html\n</VirtualHost>\n", 2, None),
    ("<VirtualHost *>\n<Location private>\n</Location>\n</VirtualHost>\n", 2, None),
    ("<VirtualHost host.example:80>\n</VirtualHost>\n", 1, None),
    ("<VirtualHost *>\nServerName bad_name!\n</VirtualHost>\n", 2, None),
    ("<VirtualHost *>\n<Location /p>\nAuthType Basic\n</Location>\n</VirtualHost>\n", 3,
     "AuthType Basic needs AuthName, AuthUserFile and Require"),
    # A top-level block is in every site, and in the blocks inside its prefix: its problem is reported once.
    ("<Location /a>\nAuthType Basic\n</Location>\n<Location /a/b>\nHeader set X-A 1\n</Location>\n"
     "<VirtualHost *>\n</VirtualHost>\n<VirtualHost *>\n</VirtualHost>\n", 2,
     "AuthType Basic needs AuthName, AuthUserFile and Require"),
    ("<VirtualHost *>\nRequire valid-user\n</VirtualHost>\n", 2,
     "Require needs AuthType Basic (and AuthName, AuthUserFile)"),
    ("<VirtualHost *>\nDocumentRoot nowhere\n</VirtualHost>\n", None, None),
    ("<VirtualHost *>\n<Location /a>\nRedirect /a /b\n</Location>\n</VirtualHost>\n", 3, None),
    ("<VirtualHost *>\n", 1, None),
    ("<Location /a>\n</VirtualHost>\n", 1, "<Location> is not closed"),
])
def test_check_refuses_bad_site_configurations(tmp_path, body, line, message):
    """`httpd -t` on a bad site configuration: exit 1 and `FILE:LINE: message` naming the line at fault (a
    site's missing DocumentRoot: the error names the site), nothing on stdout."""
    (tmp_path / "www").mkdir()
    conf = tmp_path / "httpd.conf"
    conf.write_text(body)
    r = run_httpd("-t", "-f", conf, text=True)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == ""
    if line is None:
        assert re.fullmatch(r"httpd: error: DocumentRoot \S*nowhere \(<VirtualHost> at \S+:1\): No such file or "
                            r"directory\n", r.stderr), r.stderr
        return
    lines = r.stderr.splitlines()
    assert all(l.startswith(f"{conf}:") for l in lines), r.stderr
    assert len(lines) == 1 or body.startswith("<Location /a>\n</VirtualHost>"), r.stderr
    prefix = f"{conf}:{line}: "
    assert lines[0].startswith(prefix) and len(lines[0]) > len(prefix) + 5, r.stderr
    if message is not None:
        assert lines[0] == prefix + message.format(conf=conf), r.stderr
