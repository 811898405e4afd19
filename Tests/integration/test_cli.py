"""Command line and configuration-file handling."""

import socket

import pytest

from httpdkit import Client, has_ipv6_loopback, run_httpd


def write_conf(tmp_path, text, name="httpd.conf", docroot=True):
    if docroot:
        (tmp_path / "www").mkdir(exist_ok=True)
    p = tmp_path / name
    p.write_text(text)
    return p


def test_version_short():
    """-v prints exactly 'httpd 0.1.0' and exits 0."""
    r = run_httpd("-v")
    assert (r.returncode, r.stdout) == (0, b"httpd 0.1.0\n")


def test_version_long():
    """--version prints exactly 'httpd 0.1.0' and exits 0."""
    r = run_httpd("--version")
    assert (r.returncode, r.stdout) == (0, b"httpd 0.1.0\n")


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help(flag):
    """-h/--help prints a usage text naming every option and exits 0."""
    r = run_httpd(flag)
    assert r.returncode == 0
    out = r.stdout.decode()
    assert out.startswith("usage: httpd")
    for opt in ("-f", "-c", "-F", "--foreground", "-t", "--check-config", "-v", "--version",
                "-h", "--help"):
        assert opt in out, opt


def test_list_directives():
    """-L lists every directive (name and arguments, help, arity/default/context) and exits 0."""
    r = run_httpd("-L")
    assert (r.returncode, r.stderr) == (0, b"")
    lines = r.stdout.decode().splitlines()
    assert len(lines) % 3 == 0 and len(lines) > 120
    assert lines[:3] == [
        "Listen [addr:]port [tls]",
        "    address and port to listen on, tls for HTTPS; repeatable ([::1]:8080 for IPv6, *:8080 for every IPv4 address)",
        "    takes 1 to 2 arguments; default: 127.0.0.1:8080; in: server config",
    ]
    assert "ErrorDocument code /path" in lines
    assert "    takes 2 arguments; default: none; in: server config, <VirtualHost>, <Location>" in lines
    assert lines[lines.index("ServerAlias name|*.name ...") + 2] == "    takes at least 1 argument; default: none; in: <VirtualHost>"


def test_block_is_an_unknown_block(tmp_path):
    """A block httpd does not know is reported as an unknown block, with its file and line, by -t; a directive
    a known block does not allow is reported at its own line."""
    conf = write_conf(tmp_path, "Listen 127.0.0.1:8080\n<Directory /srv>\nWorkers 2\n</Directory>\n")
    r = run_httpd("-t", "-f", str(conf))
    assert (r.returncode, r.stdout) == (1, b"")
    assert r.stderr.decode().splitlines() == [f"{conf}:2: unknown block <Directory>"]
    conf = write_conf(tmp_path, "Listen 127.0.0.1:8080\n<VirtualHost *:80>\nWorkers 2\n</VirtualHost>\n")
    r = run_httpd("-t", "-f", str(conf))
    assert (r.returncode, r.stdout) == (1, b"")
    assert r.stderr.decode().splitlines() == [f"{conf}:3: Workers is not allowed in <VirtualHost>"]


@pytest.mark.parametrize("flag", ["--bogus", "-Z"])
def test_unknown_option_exits_2(flag):
    """An unknown command-line option exits with status 2 and a message on stderr."""
    r = run_httpd(flag)
    assert r.returncode == 2
    assert r.stdout == b""
    assert flag.encode() in r.stderr


def test_check_config_ok(tmp_path):
    """-t on a valid file prints 'FILE: Syntax OK' on stdout and exits 0."""
    conf = write_conf(tmp_path, "# comment\nDocumentRoot www\nListen 127.0.0.1:8080\n")
    r = run_httpd("-t", "-f", str(conf))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{conf}: Syntax OK\n".encode()


def test_check_config_long_flag(tmp_path):
    """--check-config behaves like -t."""
    conf = write_conf(tmp_path, "DocumentRoot www\n")
    r = run_httpd("--check-config", "-f", str(conf))
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"{conf}: Syntax OK\n".encode()


def test_check_config_default_file_in_cwd(tmp_path):
    """Without -f, httpd reads ./httpd.conf from the current folder."""
    write_conf(tmp_path, "DocumentRoot www\n")
    r = run_httpd("-t", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"httpd.conf: Syntax OK\n"


def test_check_config_unknown_directive_line_3(tmp_path):
    """An unknown directive on line 3 is reported as 'CONF:3: unknown directive 'Foo'', exit 1."""
    conf = write_conf(tmp_path, "DocumentRoot www\n# a comment\nFoo bar\n")
    r = run_httpd("-t", "-f", str(conf))
    assert r.returncode == 1
    assert r.stdout == b""
    assert f"{conf}:3: unknown directive 'Foo'".encode() in r.stderr


@pytest.mark.parametrize("line", [
    "KeepAlive maybe",
    "Listen 1.2.3:80",
    "ErrorDocument 99 /x",
    "KeepAliveTimeout abc",
    "Listen 127.0.0.1:70000",
    "Autoindex yes-please",
    "FollowSymlinks sometimes",
])
def test_check_config_bad_values(tmp_path, line):
    """A bad directive value is reported as 'CONF:LINE: ...' on stderr and -t exits 1."""
    conf = write_conf(tmp_path, f"DocumentRoot www\n\n{line}\n")
    r = run_httpd("-t", "-f", str(conf))
    assert r.returncode == 1, (line, r.stdout, r.stderr)
    assert f"{conf}:3: ".encode() in r.stderr, r.stderr


def test_check_config_unterminated_quote(tmp_path):
    """An unterminated quoted value is a syntax error on its line."""
    conf = write_conf(tmp_path, 'DocumentRoot www\nCacheControl "public, max-age=60\n')
    r = run_httpd("-t", "-f", str(conf))
    assert r.returncode == 1
    assert f"{conf}:2: ".encode() in r.stderr


def test_quoted_value_and_relative_docroot(server):
    """Quoted values may hold spaces; a relative DocumentRoot is relative to the config folder."""
    srv = server(conf_lines=['CacheControl "public, max-age=60"'], files={"a.txt": "x"})
    resp = srv.get("/a.txt")
    assert resp.status == 200
    assert resp["Cache-Control"] == "public, max-age=60"


def test_bad_dash_c_directive(tmp_path):
    """An unknown directive given with -c is reported with '-c:1:' and exit 1."""
    conf = write_conf(tmp_path, "DocumentRoot www\n")
    r = run_httpd("-t", "-f", str(conf), "-c", "Bogus 1")
    assert r.returncode == 1
    assert b"-c:1:" in r.stderr
    assert b"Bogus" in r.stderr


def test_second_dash_c_numbered(tmp_path):
    """The second -c directive is reported as '-c:2:'."""
    conf = write_conf(tmp_path, "DocumentRoot www\n")
    r = run_httpd("-t", "-f", str(conf), "-c", "KeepAlive on", "-c", "KeepAlive maybe")
    assert r.returncode == 1
    assert b"-c:2:" in r.stderr


def test_missing_config_file(tmp_path):
    """A config file that does not exist is an error, exit 1."""
    r = run_httpd("-t", "-f", str(tmp_path / "nope.conf"))
    assert r.returncode == 1
    assert b"nope.conf" in r.stderr


def test_missing_docroot(tmp_path):
    """A DocumentRoot that does not exist: exit 1 with 'httpd: error: DocumentRoot ...'."""
    conf = write_conf(tmp_path, "DocumentRoot nothere\nListen 127.0.0.1:0\n", docroot=False)
    r = run_httpd("-F", "-f", str(conf))
    assert r.returncode == 1
    assert b"httpd: error: DocumentRoot" in r.stderr, r.stderr


def test_port_in_use(tmp_path):
    """Listening on a busy port: exit 1 with 'cannot listen on ...: Address already in use'."""
    conf = write_conf(tmp_path, "DocumentRoot www\n")
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        r = run_httpd("-F", "-f", str(conf), "-c", f"Listen 127.0.0.1:{port}")
    finally:
        blocker.close()
    assert r.returncode == 1
    assert (f"httpd: error: cannot listen on 127.0.0.1:{port}: Address already in use"
            .encode()) in r.stderr, r.stderr


def test_dash_c_listen_replaces_file_listen(server):
    """A Listen given with -c replaces the file's Listen (the file's fixed port is not bound)."""
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    busy = blocker.getsockname()[1]
    try:
        # If the file's Listen were kept too, binding the busy port would make httpd exit 1.
        srv = server(conf_lines=[f"Listen 127.0.0.1:{busy}"], files={"a.txt": "x"})
        assert srv.port != busy
        assert len(srv.addresses) == 1
        assert srv.get("/a.txt").status == 200
    finally:
        blocker.close()


def test_sigterm_exits_zero(server):
    """SIGTERM stops a running server with exit status 0."""
    srv = server(files={"a.txt": "x"})
    assert srv.get("/a.txt").status == 200
    assert srv.stop() == 0
    srv.proc = None  # already stopped


def test_listening_log_line(server):
    """The 'listening on http://127.0.0.1:PORT/' notice is logged with the real bound port."""
    srv = server()
    assert srv.host == "127.0.0.1"
    assert 0 < srv.port < 65536
    c = Client(srv.host, srv.port)
    c.close()


def test_ipv6_listen(server):
    """Listen [::1]:0 serves over IPv6 loopback."""
    if not has_ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    srv = server(files={"a.txt": "v6"}, listen="[::1]:0")
    assert srv.host == "::1"
    with Client("::1", srv.port) as c:
        resp = c.get("/a.txt")
    assert resp.status == 200
    assert resp.body == b"v6"


def test_server_tokens_prod(server):
    """ServerTokens Prod sends 'Server: httpd'."""
    srv = server(conf_lines=["ServerTokens Prod"], files={"a.txt": "x"})
    resp = srv.get("/a.txt")
    assert resp.get("Server") == "httpd"
    resp = srv.get("/missing")
    assert resp.get("Server") == "httpd"


def test_workers_one_serves_concurrently(server):
    """Workers 1: a single pool thread still serves several clients (and keep-alive reuse)."""
    srv = server(args=["Workers 1"], files={f"f{i}.txt": str(i) for i in range(10)})
    clients = [srv.client() for _ in range(5)]
    try:
        for c in clients:
            c.send(b"".join(b"GET /f%d.txt HTTP/1.1\r\nHost: t\r\n\r\n" % i for i in range(10)))
        for c in clients:
            assert [c.read_response().body for _ in range(10)] == [str(i).encode() for i in range(10)]
    finally:
        for c in clients:
            c.close()


def test_workers_zero_refused(tmp_path):
    """Workers 0 is not a valid pool size: -t reports the line and exits 1."""
    conf = write_conf(tmp_path, "DocumentRoot www\nWorkers 0\n")
    r = run_httpd("-t", "-f", str(conf))
    assert r.returncode == 1
    assert f"{conf}:2: ".encode() in r.stderr
