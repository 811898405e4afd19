"""The pytest fixtures of the httpd integration tests; every helper they use lives in httpdkit.py.

Each fixture starts what a test asks for in tmp_path and stops it by PID at teardown.
"""

from __future__ import annotations

import pytest

from httpdkit import INDEX_BODY, Procs, Server, Sites, Xinetd, exe_of, stop_servers


@pytest.fixture
def server(tmp_path):
    """Factory: server(conf_lines=[...], files={...}, args=[...]) -> a started foreground Server in
    tmp_path/srvN (config: DocumentRoot www, Listen 127.0.0.1:0, LogLevel info, CONF_LINES).

    At teardown every server the test did not stop itself gets SIGTERM and must exit with status 0.
    """
    started: list[Server] = []
    counter = [0]

    def make(conf_lines=None, files=None, args=None, listen="127.0.0.1:0", start=True,
             setup=None, expect_listens=1, preexec=None) -> Server:
        counter[0] += 1
        lines = ["DocumentRoot www", "Listen 127.0.0.1:0", "LogLevel info", *(conf_lines or [])]
        srv = Server(tmp_path / f"srv{counter[0]}", lines, files, args)
        if setup is not None:
            setup(srv.root)
        if start:
            started.append(srv)
            srv.start(listen=listen, expect_listens=expect_listens, preexec=preexec)
        return srv

    yield make
    failures = stop_servers(started)
    assert not failures, "\n".join(failures)


@pytest.fixture
def start_daemon(tmp_path):
    """start_daemon(extra_config="", listen=None) -> a started foreground Server serving
    tmp_path/dN/www (index.html = INDEX_BODY) with `MaxConnections 16` and EXTRA (lines).

    At teardown every server the test did not stop itself gets SIGTERM and must exit with status 0.
    """
    started: list[Server] = []

    def start(extra: str = "", listen: list[str] | None = None, name: str = "d") -> Server:
        lines = ["DocumentRoot www", "MaxConnections 16", *extra.splitlines()]
        d = Server(tmp_path / f"{name}{len(started)}", lines, {"index.html": INDEX_BODY})
        started.append(d)
        return d.start(listen=listen or ["127.0.0.1:0"])

    yield start
    problems = stop_servers(started)
    assert not problems, "\n".join(problems)


@pytest.fixture
def sites(tmp_path):
    """Factory of daemon sites (config + www + logs) in tmp_path; every daemon is stopped at teardown."""
    factory = Sites(tmp_path)
    yield factory
    factory.cleanup()


@pytest.fixture
def procs():
    """Every process the test starts (inetd children, socket-activated httpd); each is stopped by
    its PID at teardown."""
    p = Procs()
    yield p
    p.cleanup()


@pytest.fixture
def xinetd(tmp_path):
    """Factory: xinetd(site) -> a started Xinetd running httpd --inetd -f site.conf.

    At teardown xinetd gets SIGTERM (by PID) after its httpd children have gone; any child still
    alive fails the test.
    """
    started: list[Xinetd] = []

    def make(site, name="xinetd", **kw) -> Xinetd:
        x = Xinetd(tmp_path / name, conf=site.conf, **kw)
        started.append(x)
        return x.start()

    yield make
    leftovers = []
    for x in started:
        if x.proc is None:
            continue
        if not x.wait_no_children(5):
            leftovers += [(pid, exe_of(pid)) for pid in x.children()]
        x.stop()
    assert not leftovers, f"httpd children still running when the test ended: {leftovers}"
