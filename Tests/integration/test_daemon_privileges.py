"""Daemon privileges (issue 3): started as root with User/Group, httpd binds and opens its logs as
root, then runs as that user (supplementary groups too); unknown users are refused; -t checks that
the user can read DocumentRoot. Skipped unless the tests run as root."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from httpdkit import Sites, children_of, fetch, nobody_ids, processes_with_arg, proc_status, wait_gone, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="privilege tests need root")


@pytest.fixture
def sites():
    """Sites under a world-readable folder in /tmp (tmp_path is 0700, unreadable by nobody)."""
    base = Path(tempfile.mkdtemp(prefix="httpd-priv-", dir="/tmp"))
    os.chmod(base, 0o755)
    factory = Sites(base)
    yield factory
    factory.cleanup()
    shutil.rmtree(base, ignore_errors=True)


def user_site(sites, extra=(), pid_dir_owner_nobody=True):
    uid, gid, group = nobody_ids()
    site = sites(write=False)
    run = site.dir / "run"
    run.mkdir()
    if pid_dir_owner_nobody:
        os.chown(run, uid, gid)
    site.pid_file = run / "httpd.pid"
    lines = [line for line in site.base_lines() if not line.startswith("PidFile")]
    site.write_conf(lines=lines + ["PidFile run/httpd.pid", "User nobody", f"Group {group}", *extra])
    return site


def ids(pid_or_task: str) -> tuple[list[int], list[int], list[int]]:
    st = {}
    for line in Path(pid_or_task, "status").read_text().splitlines():
        k, _, v = line.partition(":")
        st[k] = v.split()
    return [int(x) for x in st["Uid"]], [int(x) for x in st["Gid"]], sorted(int(x) for x in st["Groups"])


def test_drops_to_user_and_group_before_serving(sites):
    """Every thread of the worker runs as nobody/nogroup (real, effective, saved, fs) with nobody's groups only
    (the master, which serves nothing, stays root to bind and to fork new workers)."""
    uid, gid, _ = nobody_ids()
    site = user_site(sites)
    site.file("secret.txt", "root only\n")
    os.chmod(site.root / "secret.txt", 0o600)
    pid = site.start()
    assert fetch(site.port, "/a.txt").status == 200
    expected_groups = sorted(set(os.getgrouplist("nobody", gid)))
    [worker] = children_of(pid)
    tasks = list(Path(f"/proc/{worker}/task").iterdir())
    assert tasks
    for task in tasks:
        u, g, groups = ids(str(task))
        assert u == [uid] * 4, (task, u)
        assert g == [gid] * 4, (task, g)
        assert groups == expected_groups, (task, groups)
    # Requests are served as nobody: a root-only file cannot be read.
    assert fetch(site.port, "/secret.txt").status == 403
    # The logs were opened as root before the drop, and are written to.
    assert site.access_log.stat().st_uid == 0
    assert wait_until(lambda: b"GET /a.txt" in site.access_log.read_bytes(), 1.5)
    assert "running as user nobody" in site.error_text()


def test_user_with_pid_file_in_a_root_owned_folder(sites):
    """With User nobody and the PID file in a folder only root can write (as /run), the daemon still starts and writes it."""
    site = user_site(sites, pid_dir_owner_nobody=False)
    r = site.run()
    assert r.returncode == 0, r.stderr
    [worker] = children_of(site.pid())
    assert proc_status(worker)["Uid"].split()[0] == str(nobody_ids()[0])
    assert fetch(site.port, "/a.txt").status == 200


def test_user_pid_file_removed_on_stop(sites):
    """After dropping to nobody, a clean stop leaves no PID: nobody cannot unlink in a root-owned
    folder, so the file is emptied through the descriptor httpd holds (lighttpd's way)."""
    site = user_site(sites, pid_dir_owner_nobody=False)
    r = site.run()
    assert r.returncode == 0, r.stderr
    pid = site.pid()
    r = site.run("-s", "stop")
    assert r.returncode == 0, r.stderr
    assert wait_gone(pid, 5)
    assert not site.pid_file.exists() or site.pid_file.read_bytes() == b"", "stale PID left after a clean stop"
    # The emptied file blocks nothing: the next start works, and -s says no daemon runs.
    r = site.run("-s", "stop")
    assert r.returncode == 1 and "no running httpd" in r.stderr
    r = site.run()
    assert r.returncode == 0, r.stderr
    assert site.pid_file.read_text() == f"{site.pid()}\n"


def test_unknown_user_is_refused(sites):
    """`User doesnotexist` as root: exit 1 with a message, nothing left running."""
    site = sites(extra=["User doesnotexist"])
    r = site.run()
    assert r.returncode == 1
    assert r.stderr == "httpd: error: User doesnotexist does not exist\n"
    assert processes_with_arg(str(site.conf)) == []


def test_unknown_group_is_refused(sites):
    """`Group doesnotexist` as root: exit 1 with a message."""
    site = sites(extra=["User nobody", "Group doesnotexist"])
    r = site.run()
    assert r.returncode == 1
    assert r.stderr == "httpd: error: Group doesnotexist does not exist\n"
    assert processes_with_arg(str(site.conf)) == []


def test_check_config_rejects_root_unreadable_by_user(sites, tmp_path):
    """`httpd -t` as root with User nobody and a DocumentRoot nobody cannot read: exit 1 and a message."""
    hidden = tmp_path / "www"  # tmp_path is 0700: nobody cannot reach it
    hidden.mkdir()
    os.chmod(tmp_path, 0o700)
    site = sites(extra=["User nobody", f"DocumentRoot {hidden}"])
    r = site.run("-t")
    assert r.returncode == 1
    assert r.stderr == f"httpd: error: DocumentRoot {hidden} is not readable by user nobody\n"


def test_check_config_accepts_root_readable_by_user(sites):
    """`httpd -t` as root with User nobody and a world-readable DocumentRoot: Syntax OK, exit 0."""
    site = sites(extra=["User nobody"])
    r = site.run("-t")
    assert (r.returncode, r.stderr) == (0, "")
    assert "Syntax OK" in r.stdout
