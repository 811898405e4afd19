"""Chroot (issue 13): started as root with `Chroot` and `User nobody`, the daemon's worker changes its root to the
folder after opening its listeners, logs and keys, and before dropping privileges; the master keeps `/`. Files,
Basic authentication, TLS and the status pages work inside; a symlink to a host file resolves inside; the logs
outside are written to; SIGHUP and SIGUSR1 are refused inside; roots outside are refused by -t and at start;
socket activation chroots its one process, inetd mode does not. Skipped unless the tests run as root.

Every daemon is stopped by PID; everything listens on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from httpdkit import (
    nobody_ids,
    HOST,
    HTTPD_BIN,
    Client,
    Sites,
    assert_error,
    assert_file_response,
    children_of,
    free_port,
    listener,
    parse_auto,
    parse_exposition,
    proc_status,
    processes_with_arg,
    socketpair_child,
    spawn_activated,
    stop,
    wait_for,
    wait_for_log,
    wait_gone,
    wait_until,
)
from sitekit import ask, assert_file, basic, htpasswd
from tlskit import CA, tls_client, tls_lines

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="chroot tests need root")

TEXT = "text/plain; charset=utf-8"
FAKE_PASSWD = b"root:x:0:0:the jail's own passwd:/:/bin/false\n"


@pytest.fixture
def sites():
    """Sites under a world-readable folder in /tmp (tmp_path is 0700: nobody could not enter the jail)."""
    base = Path(os.path.realpath(tempfile.mkdtemp(prefix="httpd-chroot-", dir="/tmp")))
    os.chmod(base, 0o755)
    factory = Sites(base)
    yield factory
    factory.cleanup()
    shutil.rmtree(base, ignore_errors=True)


def jailed(sites, extra=(), user: bool = True, files: dict[str, bytes] | None = None):
    """A daemon site whose config (lines numbered as below) has `Chroot SITE/jail` and `DocumentRoot jail/www`,
    the logs and PID file outside the jail, and `User nobody` unless USER is false; FILES are written under
    the jail (`www/a.txt` is there by default)."""
    _, _, group = nobody_ids()
    site = sites(write=False)
    site.jail = site.dir / "jail"
    for rel, content in {"www/a.txt": b"hello from inside\n", **(files or {})}.items():
        put(site, rel, content)
    lines = [
        f"Listen {HOST}:{site.port}",  # 1
        f"Chroot {site.jail}",  # 2
        "DocumentRoot jail/www",  # 3
        "PidFile logs/httpd.pid",  # 4
        "ErrorLog logs/error.log",  # 5
        "AccessLog logs/access.log combined",  # 6
        "LogLevel info",  # 7
    ]
    if user:
        lines += ["User nobody", f"Group {group}"]  # 8, 9
    site.write_conf(lines=lines + list(extra))
    return site


def put(site, rel: str, content: bytes) -> Path:
    """Writes CONTENT to REL under the site's jail (folders made as needed, world-readable)."""
    path = site.jail / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def worker_of(master: int) -> int:
    [worker] = children_of(master)
    return worker


def log_lines(site, pattern: str) -> list[str]:
    """The error log's messages (after `[date] [level] [pid N] `) matching PATTERN, with their level and pid."""
    out = []
    for line in site.error_text().splitlines():
        m = re.match(r"^\[[^\]]+\] \[(\w+)\] \[pid (\d+)\] (.*)$", line)
        if m and re.search(pattern, m.group(3)):
            out.append(f"[{m.group(1)}] [pid {m.group(2)}] {m.group(3)}")
    return out


def test_worker_serves_inside_the_chroot_as_nobody(sites):
    """The worker's root is the jail (its working directory too), the master's stays `/`; the worker runs as
    nobody and answers from the jail exactly; the access and error logs outside the jail get their lines."""
    uid, gid, _ = nobody_ids()
    site = jailed(sites, extra=["Autoindex on"], files={"www/sub/b.txt": b"bravo\n"})
    master = site.start()
    worker = worker_of(master)
    assert os.readlink(f"/proc/{worker}/root") == str(site.jail)
    assert os.readlink(f"/proc/{worker}/cwd") == str(site.jail)
    assert os.readlink(f"/proc/{master}/root") == "/"
    assert proc_status(worker)["Uid"].split() == [str(uid)] * 4
    assert proc_status(worker)["Gid"].split() == [str(gid)] * 4
    with Client(HOST, site.port) as c:
        assert_file_response(c.get("/a.txt"), site.jail / "www/a.txt", TEXT)
        listing = c.get("/sub/")
        assert listing.status == 200 and b'<a href="./b.txt">b.txt</a>' in listing.body
        assert_error(c.get("/missing.txt"), 404)
    assert log_lines(site, r"^(chroot|running as)") == [
        f"[notice] [pid {worker}] chroot: worker serves inside {site.jail}",
        f"[info] [pid {worker}] running as user nobody (uid {uid}, gid {gid})",
    ]
    assert log_lines(site, "warn|error") == []
    requests = wait_for(lambda: [(m["request"], m["status"]) for m in site.access_lines()], lambda r: len(r) == 3)
    assert requests == [("GET /a.txt HTTP/1.1", "200"), ("GET /sub/ HTTP/1.1", "200"), ("GET /missing.txt HTTP/1.1", "404")]
    assert site.access_log.stat().st_uid == 0


def test_a_symlink_to_a_host_file_resolves_inside_the_chroot(sites):
    """`passwd -> /etc/passwd` in the DocumentRoot names the jail's /etc/passwd, never the host's: 404 while the
    jail has none; once it has one, FollowSymlinks on serves the jail's bytes and FollowSymlinks inside refuses
    it as outside the DocumentRoot."""
    site = jailed(sites, extra=[
        "LogLevel debug", "FileCacheValidity 0",
        "<VirtualHost *>", "ServerName inside.test", "DocumentRoot jail/www", "</VirtualHost>",
        "<VirtualHost *>", "ServerName on.test", "DocumentRoot jail/www", "FollowSymlinks on", "</VirtualHost>",
    ])
    os.symlink("/etc/passwd", site.jail / "www/passwd")
    site.start()
    with Client(HOST, site.port) as c:
        for host in ("inside.test", "on.test"):
            assert_error(ask(c, host, "/passwd"), 404)
    assert log_lines(site, r'^\[client [^\]]+\] 404 "GET /passwd') == [
        f'[debug] [pid {worker_of(site.pid())}] [client 127.0.0.1] 404 "GET /passwd HTTP/1.1": /www/passwd: No such file or directory'
    ] * 2
    put(site, "etc/passwd", FAKE_PASSWD)
    assert FAKE_PASSWD != Path("/etc/passwd").read_bytes()
    with Client(HOST, site.port) as c:
        assert_file(ask(c, "on.test", "/passwd"), FAKE_PASSWD, "application/octet-stream")
        assert_error(ask(c, "inside.test", "/passwd"), 404)
    assert log_lines(site, "symlink leaves") == [
        f'[debug] [pid {worker_of(site.pid())}] [client 127.0.0.1] 404 "GET /passwd HTTP/1.1": '
        "symlink leaves the document root or is not allowed: /www/passwd -> /etc/passwd"
    ]


def test_status_and_metrics_keep_memory_and_load(sites):
    """/proc is not inside the jail: /server-status and /metrics still give the worker's memory (non-zero) and
    the load average, from the /proc files opened before the chroot."""
    site = jailed(sites)
    site.start()
    worker = worker_of(site.pid())
    j = site.fetch("/server-status?format=json").json()
    assert j["pid"] == worker
    assert j["process"]["resident_memory_bytes"] > 1024 * 1024
    m = parse_exposition(site.fetch("/metrics").text)
    assert m.value("process_resident_memory_bytes") > 1024 * 1024
    assert m.value("httpd_process_id") == worker

    def loads():
        before = Path("/proc/loadavg").read_text().split()[:3]
        auto = dict(parse_auto(site.fetch("/server-status?auto").text))
        after = Path("/proc/loadavg").read_text().split()[:3]
        return [auto["Load1"], auto["Load5"], auto["Load15"]], before, after

    got = wait_for(loads, lambda r: [float(x) for x in r[0]] in ([float(x) for x in r[1]], [float(x) for x in r[2]]))
    assert [float(x) for x in got[0]] in ([float(x) for x in got[1]], [float(x) for x in got[2]]), got
    assert "Resident memory" in site.fetch("/server-status").text


def test_basic_authentication_inside_the_chroot(sites):
    """A password file inside the jail (htpasswd -B: libcrypt was loaded before the chroot) lets alice in, keeps
    others out, and is re-read inside the jail when it changes."""
    site = jailed(sites, extra=[
        "<Location /private>", "AuthType Basic", 'AuthName "Staff"', "AuthUserFile jail/auth/users",
        "Require valid-user", "</Location>",
    ], files={"www/private/secret.txt": b"the plans\n"})
    users = site.jail / "auth/users"
    users.parent.mkdir()
    htpasswd(users, "alice", "wonderland", "-B", create=True)
    os.chmod(users, 0o644)
    site.start()
    r = site.fetch("/private/secret.txt")
    assert r.status == 401
    assert r["WWW-Authenticate"] == 'Basic realm="Staff", charset="UTF-8"'
    r = site.fetch("/private/secret.txt", headers=basic("alice", "wonderland"))
    assert r.status == 200 and r.body == b"the plans\n"
    assert site.fetch("/private/secret.txt", headers=basic("alice", "looking-glass")).status == 401
    htpasswd(users, "alice", "looking-glass", "-B")
    r = wait_for(lambda: site.fetch("/private/secret.txt", headers=basic("alice", "looking-glass")),
                 lambda r: r.status == 200, timeout=5)
    assert r.status == 200 and r.body == b"the plans\n"
    assert site.fetch("/private/secret.txt", headers=basic("alice", "wonderland")).status == 401
    assert log_lines(site, "libcrypt|AuthUserFile|warn|error") == []
    alice = re.compile(r'^127\.0\.0\.1 - alice \[[^\]]+\] "GET /private/secret.txt HTTP/1.1" 200 10 ', re.M)
    assert wait_until(lambda: len(alice.findall(site.access_log.read_text())) == 2, 3), site.access_log.read_text()


def test_tls_inside_the_chroot(sites):
    """A TLS listener with a root-only key outside the jail: the key was read before the chroot, and
    handshakes (OpenSSL seeded before) work inside."""
    ca = CA(sites.base / "ca")
    cert, key = ca.issue("server")
    port = free_port()
    site = jailed(sites, extra=[f"Listen {HOST}:{port} tls", *tls_lines(cert, key)])
    site.start()
    for _ in range(2):
        with tls_client(port, ca) as c:
            assert_file_response(c.get("/a.txt"), site.jail / "www/a.txt", TEXT)
            assert_file_response(c.get("/a.txt"), site.jail / "www/a.txt", TEXT)
    with Client(HOST, site.port) as c:
        assert_file_response(c.get("/a.txt"), site.jail / "www/a.txt", TEXT)
    assert log_lines(site, "warn|error") == []


def test_reload_and_reopen_with_one_chrooted_worker_start_a_new_worker(sites):
    """A chrooted worker can reach neither the configuration file nor the log paths, so the master (outside)
    does both: SIGHUP reads the file and starts a new worker on it (which enters the jail); SIGUSR1 reopens the
    logs and starts a new worker on the new files. Each time the old worker finishes and exits."""
    site = jailed(sites)
    master = site.start()
    worker = worker_of(master)
    site.write_conf(lines=site.conf.read_text().splitlines() + ['Header set X-Reloaded "yes"'])
    assert site.run("-s", "reload").returncode == 0
    assert site.wait_error_log(
        rf"\[notice\] \[pid {master}\] configuration reloaded \(generation 2\): worker pid \d+ serves; {worker} finishes "
        r"its connections$", 5), site.error_text()
    r = wait_for(lambda: site.fetch("/a.txt"), lambda r: r.has("X-Reloaded"))
    assert r.status == 200 and r["X-Reloaded"] == "yes"
    assert wait_gone(worker, 5)
    reloaded = worker_of(master)
    assert os.readlink(f"/proc/{reloaded}/root") == str(site.jail)
    assert log_lines(site, "^SIGHUP ignored") == []
    # logrotate: rename, then reopen; the new worker writes the new file.
    rotated = site.access_log.with_name("access.log.1")
    os.rename(site.access_log, rotated)
    assert site.run("-s", "reopen").returncode == 0
    assert site.wait_error_log(
        rf"\[notice\] \[pid {master}\] logs reopened: worker pid \d+ writes the new files; {reloaded} finishes its "
        r"connections$", 5), site.error_text()
    assert wait_gone(reloaded, 5)
    assert site.fetch("/a.txt").status == 200
    assert wait_until(lambda: site.access_log.exists() and [m["request"] for m in site.access_lines()]
                      == ["GET /a.txt HTTP/1.1"], 3), site.access_log.exists() and site.access_log.read_text()
    assert os.readlink(f"/proc/{worker_of(master)}/root") == str(site.jail)
    assert log_lines(site, "^log files not reopened") == []


def test_several_workers_reload_with_a_new_generation_inside_the_chroot(sites):
    """With WorkerProcesses 2 the master (outside) reads the configuration on SIGHUP and starts new workers, which
    enter the jail in turn: the reload applies, and the old workers finish and exit."""
    site = jailed(sites, extra=["WorkerProcesses 2"])
    master = site.start()
    old = children_of(master)
    assert len(old) == 2 and all(os.readlink(f"/proc/{w}/root") == str(site.jail) for w in old)
    site.write_conf(lines=site.conf.read_text().splitlines() + ['Header set X-Reloaded "yes"'])
    assert site.run("-s", "reload").returncode == 0
    assert site.wait_error_log(r"configuration reloaded \(generation 2\)"), site.error_text()
    r = wait_for(lambda: site.fetch("/a.txt"), lambda r: r.has("X-Reloaded"))
    assert r.status == 200 and r["X-Reloaded"] == "yes"
    new = wait_until(lambda: (now := children_of(master)) and not set(now) & set(old) and now, 10)
    assert new and len(new) == 2, children_of(master)
    assert all(os.readlink(f"/proc/{w}/root") == str(site.jail) for w in new)
    assert log_lines(site, "^SIGHUP ignored") == []


def test_binary_upgrade_keeps_the_chroot(sites):
    """`-s upgrade`: the new master (outside the jail, as the old one) starts a worker that enters the jail."""
    site = jailed(sites)
    binary = site.dir / "bin/httpd"
    binary.parent.mkdir()
    shutil.copy2(HTTPD_BIN, binary)
    r = subprocess.run([binary, "-f", site.conf], cwd=site.dir, capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    old = site.pid()
    old_worker = worker_of(old)
    r = subprocess.run([binary, "-f", site.conf, "-s", "upgrade"], cwd=site.dir, capture_output=True, text=True,
                       timeout=90)
    assert r.returncode == 0 and r.stderr == "", r
    new = site.pid()
    assert new != old and wait_gone(old, 10)
    worker = worker_of(new)
    assert os.readlink(f"/proc/{new}/root") == "/"
    assert os.readlink(f"/proc/{worker}/root") == str(site.jail)
    with Client(HOST, site.port) as c:
        assert_file_response(c.get("/a.txt"), site.jail / "www/a.txt", TEXT)
    assert log_lines(site, "^chroot") == [
        f"[notice] [pid {pid}] chroot: worker serves inside {site.jail}" for pid in (old_worker, worker)
    ]


def test_document_root_outside_the_chroot_is_refused(sites):
    """A DocumentRoot outside the jail, or inside through a symlink that leads out, and an AuthUserFile outside:
    `file:line: message` and exit 1, from -t and at start (nothing left running, no PID file)."""
    outside = sites.base / "outside"
    outside.mkdir()
    site = jailed(sites, extra=[
        "<VirtualHost *>", "DocumentRoot jail/linked", "</VirtualHost>",  # 10-12
        "<VirtualHost *>", f"DocumentRoot {outside}", "AuthType Basic", "AuthName x",  # 13-16
        f"AuthUserFile {outside}/users", "Require valid-user", "</VirtualHost>",  # 17-19
    ])
    os.symlink(outside, site.jail / "linked")
    conf = site.conf
    expected = (
        f"{conf}:11: DocumentRoot {site.jail}/linked is outside Chroot {site.jail} (it resolves to {outside})\n"
        f"{conf}:14: DocumentRoot {outside} is outside Chroot {site.jail}\n"
        f"{conf}:17: AuthUserFile {outside}/users is outside Chroot {site.jail}\n"
    )
    for args in (["-t"], []):
        r = site.run(*args)
        assert (r.returncode, r.stdout, r.stderr) == (1, "", expected)
    assert processes_with_arg(str(conf)) == []
    assert not site.pid_file.exists()


def test_check_and_sites_listing_show_the_chroot(sites):
    """-t passes for a jail holding its root; -S shows the Chroot and each root with its path inside."""
    site = jailed(sites)
    r = site.run("-t")
    assert (r.returncode, r.stdout, r.stderr) == (0, f"{site.conf}: Syntax OK\n", "")
    r = site.run("-S")
    assert r.returncode == 0, r.stderr
    assert f"Chroot: {site.jail}  {site.conf}:2: the worker serves inside it\n" in r.stdout
    assert f"    root: {site.jail}/www (/www inside the chroot)\n" in r.stdout


def test_chroot_needs_root(sites):
    """Started by nobody, httpd refuses Chroot at start with the directive's line, exit 1."""
    uid, gid, _ = nobody_ids()
    site = jailed(sites, user=False)
    os.chown(site.logs, uid, gid)
    r = subprocess.run([HTTPD_BIN, "-f", str(site.conf)], cwd=site.dir, capture_output=True, text=True,
                       timeout=10, user=uid, group=gid, extra_groups=[])
    assert (r.returncode, r.stdout, r.stderr) == (1, "", f"{site.conf}:2: Chroot needs httpd to start as root\n")
    assert processes_with_arg(str(site.conf)) == []
    # -t checks the configuration, which is sound, whoever runs it.
    r = subprocess.run([HTTPD_BIN, "-t", "-f", str(site.conf)], cwd=site.dir, capture_output=True, text=True,
                       timeout=10, user=uid, group=gid, extra_groups=[])
    assert (r.returncode, r.stderr) == (0, "")


def test_chroot_without_user_warns(sites):
    """Without User the worker still chroots, and warns that root can leave a chroot."""
    site = jailed(sites, user=False)
    master = site.start()
    worker = worker_of(master)
    assert os.readlink(f"/proc/{worker}/root") == str(site.jail)
    assert proc_status(worker)["Uid"].split() == ["0"] * 4
    assert site.fetch("/a.txt").body == b"hello from inside\n"
    assert log_lines(site, "^chroot") == [
        f"[notice] [pid {worker}] chroot: worker serves inside {site.jail}",
        f"[warn] [pid {worker}] chroot: no User is set, so httpd serves as root inside {site.jail}, and root can leave a chroot",
    ]


def test_socket_activation_chroots_its_one_process(sites, procs):
    """Socket activation (one process) chroots that process, in the same order; the PID file it wrote is left
    behind on stop (it cannot remove it from inside), unlocked, so `-s stop` calls it stale."""
    site = jailed(sites)
    ls = listener()
    log = site.dir / "stderr.log"
    proc = spawn_activated(procs, site, [ls], log=log)
    wait_for_log(log, f"chroot: httpd serves inside {site.jail}", proc)
    assert os.readlink(f"/proc/{proc.pid}/root") == str(site.jail)
    assert proc_status(proc.pid)["Uid"].split()[0] == str(nobody_ids()[0])
    with Client(HOST, ls.getsockname()[1]) as c:
        assert_file_response(c.get("/a.txt"), site.jail / "www/a.txt", TEXT)
        assert c.get("/server-status?format=json").json()["process"]["resident_memory_bytes"] > 1024 * 1024
    ls.close()
    assert stop(proc) == 0
    assert site.pid_file.read_text() == f"{proc.pid}\n"
    r = site.run("-s", "stop")
    assert r.returncode == 1 and "is stale" in r.stderr, r.stderr


def test_inetd_mode_ignores_chroot(sites, procs):
    """inetd mode serves without changing its root (the super-server chooses the user and root), and says so
    at debug level."""
    site = jailed(sites, extra=["LogLevel debug"])
    conn, proc = socketpair_child(procs, site)
    with conn:
        assert_file_response(conn.get("/a.txt"), site.jail / "www/a.txt", TEXT)
        assert os.readlink(f"/proc/{proc.pid}/root") == "/"
    assert proc.wait(timeout=5) == 0
    assert log_lines(site, "Chroot") == [f"[debug] [pid {proc.pid}] inetd mode: Chroot {site.jail} ignored (README)"]
