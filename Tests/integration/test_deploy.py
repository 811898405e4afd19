"""A deploy under load: while wrk keeps fetching a page (so it is a cache hit again and again), the
page is replaced by an atomic rename and later deleted; a watcher sees the new bytes, then 404, within
FileCacheValidity (1 s) of each change, and wrk reports no socket error."""

import os
import re
import shutil
import subprocess
import time

from httpdkit import fetch


def _first_seen(port: int, path: str, changed, budget: float = 5.0) -> float:
    """Seconds until a fresh request for PATH satisfies CHANGED (polled every 20 ms)."""
    start = time.monotonic()
    while time.monotonic() - start < budget:
        if changed(fetch(port, path)):
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"{path}: change not seen within {budget} s")


def test_rename_and_unlink_seen_under_wrk_load(server):
    wrk = shutil.which("wrk")
    assert wrk, "wrk is needed (scripts/install-deps.sh test installs it)"
    srv = server(files={"page.html": "v1\n" * 100})
    load = subprocess.Popen(
        [wrk, "-t1", "-c8", "-d6s", f"http://127.0.0.1:{srv.port}/page.html"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1.5)  # the page is hot: hit after hit from the cache
        new = srv.root / ".page.html.tmp"
        new.write_bytes(b"v2\n" * 100)
        os.rename(new, srv.root / "page.html")
        renamed = _first_seen(srv.port, "/page.html", lambda r: r.status == 200 and r.body == b"v2\n" * 100)
        time.sleep(1.5)
        (srv.root / "page.html").unlink()
        deleted = _first_seen(srv.port, "/page.html", lambda r: r.status == 404)
    finally:
        out, _ = load.communicate(timeout=30)
    print(f"deploy under load: new bytes after {renamed:.3f} s, 404 after {deleted:.3f} s\n{out}")
    assert renamed <= 1.2 and deleted <= 1.2, (renamed, deleted)
    assert "Socket errors" not in out, out
    assert re.search(r"Requests/sec:\s+\d", out), out
