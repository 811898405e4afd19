"""Static files: types, validators, directories, autoindex, error pages, Cache-Control."""

import os
import re
import time

import pytest

from httpdkit import IMF_FIXDATE, assert_common_head, assert_error, error_body, http_date

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
FILES = {
    "index.html": "<!DOCTYPE html><title>home</title>\n",
    "style.css": "body { color: red; }\n",
    "img.png": PNG,
    "blob.qqqzz": b"\x00\x01\x02binary",
    "noext": b"no extension",
    "a.txt": "hello\n",
    "dir/index.html": "<p>dir index</p>\n",
    "empty/.keep": "",
    "empty.txt": "",
}
MTIME = 1700000000  # Tue, 14 Nov 2023 22:13:20 GMT


@pytest.mark.parametrize("path,ctype", [
    ("/index.html", "text/html; charset=utf-8"),
    ("/style.css", "text/css; charset=utf-8"),
    ("/img.png", "image/png"),
    ("/blob.qqqzz", "application/octet-stream"),
    ("/noext", "application/octet-stream"),
    ("/a.txt", "text/plain; charset=utf-8"),
])
def test_content_type_by_extension(server, path, ctype):
    """Content-Type follows the extension; text types get charset=utf-8; unknown → octet-stream."""
    srv = server(files=FILES)
    resp = srv.get(path)
    assert resp.status == 200
    assert resp["Content-Type"] == ctype
    assert resp.body == (FILES[path[1:]] if isinstance(FILES[path[1:]], bytes)
                         else FILES[path[1:]].encode())


def test_extension_case_insensitive(server):
    """An upper-case extension (.HTML) maps like the lower-case one."""
    srv = server(files={"UP.HTML": "<p>x</p>"})
    assert srv.get("/UP.HTML")["Content-Type"] == "text/html; charset=utf-8"


def test_png_exact_bytes_and_length(server):
    """A binary file is served byte for byte with the exact Content-Length."""
    srv = server(files=FILES)
    resp = srv.get("/img.png")
    assert resp["Content-Length"] == str(len(PNG))
    assert resp.body == PNG


def test_empty_file(server):
    """An empty file: 200 with Content-Length: 0 and no body."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.get("/empty.txt")
        assert resp.status == 200
        assert resp["Content-Length"] == "0"
        assert resp.body == b""
        assert c.get("/a.txt").body == b"hello\n"


def test_default_type_directive(server):
    """DefaultType sets the type of unknown extensions."""
    srv = server(files=FILES, args=["DefaultType text/plain"])
    assert srv.get("/blob.qqqzz")["Content-Type"] == "text/plain; charset=utf-8"


def test_add_default_charset_off(server):
    """AddDefaultCharset off: text types carry no charset."""
    srv = server(files=FILES, args=["AddDefaultCharset off"])
    assert srv.get("/index.html")["Content-Type"] == "text/html"
    assert srv.get("/img.png")["Content-Type"] == "image/png"


def test_types_config_file(server):
    """TypesConfig reads a mime.types file (relative to the config folder)."""
    def setup(root):
        (root.parent / "my.types").write_text("# test types\napplication/x-test qqqzz zzq\n"
                                              "text/html html htm\n")
    srv = server(files=FILES, setup=setup, conf_lines=["TypesConfig my.types"])
    assert srv.get("/blob.qqqzz")["Content-Type"] == "application/x-test"


def test_types_config_builtin(server):
    """TypesConfig builtin uses the built-in table (html, css, png known)."""
    srv = server(files=FILES, args=["TypesConfig builtin"])
    assert srv.get("/index.html")["Content-Type"] == "text/html; charset=utf-8"
    assert srv.get("/style.css")["Content-Type"] == "text/css; charset=utf-8"
    assert srv.get("/img.png")["Content-Type"] == "image/png"


def test_last_modified_is_mtime(server):
    """Last-Modified is the file's mtime as an IMF-fixdate."""
    def setup(root):
        os.utime(root / "a.txt", (MTIME, MTIME))
    srv = server(files=FILES, setup=setup)
    resp = srv.get("/a.txt")
    assert resp["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert resp["Last-Modified"] == http_date(MTIME)


def test_date_header_is_now(server):
    """Date is an IMF-fixdate close to the current time."""
    srv = server(files=FILES)
    before = int(time.time())
    resp = srv.get("/a.txt")
    after = int(time.time())
    assert IMF_FIXDATE.match(resp["Date"])
    assert resp["Date"] in {http_date(t) for t in range(before - 1, after + 2)}


def test_etag_strong_quoted_stable(server):
    """ETag is strong, quoted and stable across requests."""
    srv = server(files=FILES)
    e1 = srv.get("/a.txt")["ETag"]
    e2 = srv.get("/a.txt")["ETag"]
    assert re.fullmatch(r'"[\x21\x23-\x7e]+"', e1), e1
    assert not e1.startswith("W/")
    assert e1 == e2


def test_etag_differs_between_files(server):
    """Two different files have different ETags."""
    srv = server(files={"x.txt": "1", "y.txt": "22"})
    assert srv.get("/x.txt")["ETag"] != srv.get("/y.txt")["ETag"]


def test_change_seen_without_cache(server):
    """FileCacheValidity 0: a changed file gets a new ETag, body and length at once."""
    srv = server(files=FILES, args=["FileCacheValidity 0"])
    r1 = srv.get("/a.txt")
    p = srv.root / "a.txt"
    p.write_bytes(b"changed content\n")
    os.utime(p, (MTIME, MTIME))
    r2 = srv.get("/a.txt")
    assert r2.body == b"changed content\n"
    assert r2["Content-Length"] == "16"
    assert r2["ETag"] != r1["ETag"]
    assert r2["Last-Modified"] == http_date(MTIME)


def test_change_seen_within_cache_validity(server):
    """With the default 1 s file cache, a change is seen after at most ~1 s."""
    srv = server(files=FILES)
    r1 = srv.get("/a.txt")
    p = srv.root / "a.txt"
    p.write_bytes(b"changed!\n")
    os.utime(p, (MTIME, MTIME))
    time.sleep(1.3)
    r2 = srv.get("/a.txt")
    assert r2.body == b"changed!\n"
    assert r2["ETag"] != r1["ETag"]


def _first_change(srv, path, changed, budget=3.0):
    """Requests PATH every 0.1 s until CHANGED(response) holds; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < budget:
        r = srv.get(path)
        if changed(r):
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"{path}: no change seen within {budget} s")


def test_deploy_seen_while_the_file_keeps_being_requested(server):
    """A cache hit never extends an entry's life: a file requested every 0.1 s is checked again
    within FileCacheValidity (1 s) of a deploy by atomic rename, and of an unlink."""
    srv = server(files=FILES)
    p = srv.root / "a.txt"
    for _ in range(15):  # 1.5 s of steady hits, longer than the validity
        assert srv.get("/a.txt").body == b"hello\n"
        time.sleep(0.1)
    tmp = srv.root / ".a.txt.new"
    tmp.write_bytes(b"deployed\n")
    os.rename(tmp, p)
    took = _first_change(srv, "/a.txt", lambda r: r.body == b"deployed\n")
    assert took <= 1.3, took
    for _ in range(15):
        assert srv.get("/a.txt").body == b"deployed\n"
        time.sleep(0.1)
    p.unlink()
    took = _first_change(srv, "/a.txt", lambda r: r.status == 404)
    assert took <= 1.3, took


def test_new_file_where_a_404_was_is_served_at_once(server):
    """Misses are not cached: a file created where requests got 404 is served on the next request."""
    srv = server(files=FILES)
    for _ in range(5):
        assert srv.get("/new.txt").status == 404
    (srv.root / "new.txt").write_bytes(b"new\n")
    r = srv.get("/new.txt")
    assert r.status == 200 and r.body == b"new\n"


def test_same_size_change_new_etag(server):
    """A same-size rewrite with a different mtime changes the ETag."""
    srv = server(files=FILES, args=["FileCacheValidity 0"])
    p = srv.root / "a.txt"
    os.utime(p, (MTIME, MTIME))
    r1 = srv.get("/a.txt")
    p.write_bytes(b"HELLO\n")
    os.utime(p, (MTIME + 10, MTIME + 10))
    r2 = srv.get("/a.txt")
    assert r2.body == b"HELLO\n"
    assert r2["ETag"] != r1["ETag"]


def test_deleted_file_404(server):
    """A deleted file gets 404 (no cache)."""
    srv = server(files=FILES, args=["FileCacheValidity 0"])
    assert srv.get("/a.txt").status == 200
    (srv.root / "a.txt").unlink()
    assert_error(srv.get("/a.txt"), 404)


def test_field_order_with_cache_control(server):
    """Order: Content-Type, Last-Modified, ETag, Cache-Control, Accept-Ranges, Content-Length."""
    srv = server(files=FILES, args=['CacheControl "public, max-age=60"'])
    resp = srv.get("/a.txt")
    assert resp.names == ["Date", "Server", "Content-Type", "Last-Modified", "ETag",
                          "Cache-Control", "Accept-Ranges", "Content-Length"]
    assert resp["Cache-Control"] == "public, max-age=60"


def test_no_cache_control_by_default(server):
    """Without CacheControl, no Cache-Control field is sent."""
    srv = server(files=FILES)
    assert not srv.get("/a.txt").has("Cache-Control")


def test_cache_control_on_index_and_304(server):
    """Cache-Control is also on directory index responses and on 304."""
    srv = server(files=FILES, args=['CacheControl "public, max-age=60"'])
    r = srv.get("/dir/")
    assert r["Cache-Control"] == "public, max-age=60"
    r304 = srv.get("/dir/", f"If-None-Match: {r['ETag']}\r\n")
    assert r304.status == 304
    assert r304["Cache-Control"] == "public, max-age=60"


# ---- directories ------------------------------------------------------------------------------

def test_directory_redirect(server):
    """'/dir' (a directory) gets 301 with 'Location: /dir/' and keeps the connection."""
    srv = server(files=FILES)
    with srv.client() as c:
        resp = c.get("/dir")
        assert_common_head(resp, 301)
        assert resp["Location"] == "/dir/"
        assert not resp.has("Connection")
        assert c.get("/a.txt").status == 200


def test_directory_redirect_keeps_query(server):
    """'/dir?a=1' gets 301 'Location: /dir/?a=1'."""
    srv = server(files=FILES)
    resp = srv.get("/dir?a=1")
    assert resp.status == 301
    assert resp["Location"] == "/dir/?a=1"


def test_directory_redirect_reencodes_path(server):
    """The Location of a redirect for '/my%20dir' stays a valid, encoded path."""
    srv = server(files={"my dir/index.html": "x"})
    resp = srv.get("/my%20dir")
    assert resp.status == 301
    assert resp["Location"] == "/my%20dir/"


def test_directory_redirect_head(server):
    """HEAD of '/dir' gets the same 301 fields, no body."""
    srv = server(files=FILES)
    with srv.client() as c:
        head = c.get("/dir", method="HEAD")
        get = c.get("/dir")
    assert head.status == 301
    assert head.headers[1:] == get.headers[1:]


def test_directory_index(server):
    """'/dir/' serves its index.html."""
    srv = server(files=FILES)
    resp = srv.get("/dir/")
    assert resp.status == 200
    assert resp["Content-Type"] == "text/html; charset=utf-8"
    assert resp.body == b"<p>dir index</p>\n"


def test_root_index(server):
    """'/' serves the root index.html."""
    srv = server(files=FILES)
    resp = srv.get("/")
    assert resp.status == 200
    assert resp.body == b"<!DOCTYPE html><title>home</title>\n"


def test_directory_index_custom(server):
    """DirectoryIndex lists the files tried in order."""
    srv = server(files={"d/home.htm": "<p>home</p>", "d/index.html": "idx"},
                 args=["DirectoryIndex default.html home.htm index.html"])
    resp = srv.get("/d/")
    assert resp.body == b"<p>home</p>"


def test_directory_without_index_404(server):
    """A directory without index gets 404 when Autoindex is off."""
    srv = server(files=FILES)
    assert_error(srv.get("/empty/"), 404)


def test_autoindex_listing(server):
    """Autoindex on: an HTML listing (200) with escaped names, ./ hrefs, dotfiles hidden."""
    srv = server(files={"list/plain.txt": "p", "list/<b>&x.txt": "x", "list/.hidden": "h",
                        "list/sub/f.txt": "f"}, args=["Autoindex on"])
    resp = srv.get("/list/")
    assert resp.status == 200
    assert resp["Content-Type"] == "text/html; charset=utf-8"
    body = resp.body.decode()
    assert body.lstrip().lower().startswith("<!doctype html>")
    assert 'href="./plain.txt"' in body
    assert "plain.txt</a>" in body
    assert "&lt;b&gt;&amp;x.txt" in body
    assert "<b>&x" not in body
    assert "sub/" in body
    assert ".hidden" not in body
    # The escaped name's href resolves to the real file.
    m = re.search(r'href="(\./[^"]*x\.txt)"', body)
    assert m, body
    href = m.group(1).replace("&amp;", "&")
    follow = srv.get("/list/" + href[2:])
    assert follow.status == 200 and follow.body == b"x"


def test_autoindex_hidden_dotfiles_shown_when_not_hidden(server):
    """Autoindex with HideDotfiles off lists dotfiles too."""
    srv = server(files={"list/.hidden": "h", "list/v.txt": "v"},
                 args=["Autoindex on", "HideDotfiles off"])
    assert ".hidden" in srv.get("/list/").body.decode()


def test_autoindex_index_wins(server):
    """Autoindex on still serves index.html when present."""
    srv = server(files=FILES, args=["Autoindex on"])
    assert srv.get("/dir/").body == b"<p>dir index</p>\n"


def test_autoindex_head(server):
    """HEAD of an autoindex listing: same fields as GET, no body."""
    srv = server(files={"list/a.txt": "a"}, args=["Autoindex on"])
    with srv.client() as c:
        head = c.get("/list/", method="HEAD")
        get = c.get("/list/")
    assert head.status == 200
    assert head["Content-Length"] == get["Content-Length"]
    assert head["Content-Type"] == get["Content-Type"]


# ---- error documents --------------------------------------------------------------------------

def test_error_document_404(server):
    """ErrorDocument 404 /404.html serves that file's bytes with status 404 and its type."""
    page = b"<!DOCTYPE html><p>custom not found</p>\n"
    srv = server(files={"404.html": page, "a.txt": "a"}, conf_lines=["ErrorDocument 404 /404.html"])
    with srv.client() as c:
        resp = c.get("/missing")
        assert_common_head(resp, 404)
        assert resp["Content-Type"] == "text/html; charset=utf-8"
        assert resp["Content-Length"] == str(len(page))
        assert resp.body == page
        assert not resp.has("Connection")
        assert c.get("/a.txt").body == b"a"


def test_error_document_head(server):
    """HEAD with an ErrorDocument: exactly GET's 404 fields (the page's length), no body."""
    page = b"<p>custom</p>\n"
    srv = server(files={"404.html": page, "a.txt": "a"}, conf_lines=["ErrorDocument 404 /404.html"])
    with srv.client() as c:
        head = c.get("/missing", method="HEAD")
        get = c.get("/missing")
        assert c.get("/a.txt").body == b"a"
    assert head.status_line == "HTTP/1.1 404 Not Found"
    assert get.body == page
    assert head.headers[1:] == get.headers[1:]
    assert head["Content-Length"] == str(len(page))


def test_error_document_missing_falls_back(server):
    """An ErrorDocument whose file does not exist falls back to the built-in page."""
    srv = server(files={"a.txt": "a"}, conf_lines=["ErrorDocument 404 /nope.html"])
    assert_error(srv.get("/missing"), 404)


def test_error_document_for_400(server):
    """ErrorDocument 400 is used for a bad request, with status 400 and close."""
    page = b"<p>bad</p>\n"
    srv = server(files={"400.html": page}, conf_lines=["ErrorDocument 400 /400.html"])
    with srv.client() as c:
        c.send(b"GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n")
        resp = c.read_response()
        assert resp.status_line == "HTTP/1.1 400 Bad Request"
        assert resp.body == page
        assert resp["Connection"] == "close"
        c.expect_closed()


def test_error_document_not_conditional(server):
    """An ErrorDocument response is never turned into a 304 or a 206."""
    page = b"<p>custom not found, long enough to range over</p>\n"
    srv = server(files={"404.html": page}, conf_lines=["ErrorDocument 404 /404.html"])
    etag = srv.get("/404.html")["ETag"]
    resp = srv.get("/missing", f"If-None-Match: {etag}\r\nRange: bytes=0-3\r\n")
    assert resp.status == 404
    assert resp.body == page


def test_builtin_404_exact(server):
    """The built-in 404 page is byte-exact."""
    srv = server(files=FILES)
    resp = srv.get("/missing")
    assert resp.body == (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
                         b"<body><h1>404 Not Found</h1></body></html>\n")
    assert resp.body == error_body(404)
    assert resp.names == ["Date", "Server", "Content-Type", "Content-Length"]


def test_pre_1970_mtime_is_served(server):
    """A file whose mtime is before 1970 is served (no crash): Last-Modified is its date, the ETag stable."""
    srv = server(files={"old.txt": "old\n"}, setup=lambda root: os.utime(root / "old.txt", (-100000000, -100000000)))
    r1 = srv.get("/old.txt")
    r2 = srv.get("/old.txt")
    assert (r1.status, r1.body) == (200, b"old\n")
    assert r1["last-modified"] == "Mon, 31 Oct 1966 14:13:20 GMT"
    assert r1["etag"] == r2["etag"]
    assert srv.alive()


def test_future_mtime_is_never_later_than_date(server):
    """A file modified in the future gets Last-Modified no later than Date (RFC 9110 §8.8.2.1)."""
    future = time.time() + 10 * 365 * 86400
    srv = server(files={"new.txt": "new\n"}, setup=lambda root: os.utime(root / "new.txt", (future, future)))
    r = srv.get("/new.txt")
    assert r.status == 200
    assert r["last-modified"] == r["date"]


def test_autoindex_leaves_out_symlinks_the_policy_refuses(server, tmp_path):
    """Autoindex lists a symlink only where it would be served: one leaving the root is not shown
    (nor its size), one inside is; with FollowSymlinks off no symlink is listed."""
    outside = tmp_path / "outside-secret.txt"
    outside.write_text("SECRET\n")
    for policy, shown in (("inside", ["inner-link.txt", "plain.txt"]), ("off", ["plain.txt"])):
        def links(root):
            os.symlink(outside, root / "d" / "outer-link.txt")
            os.symlink("plain.txt", root / "d" / "inner-link.txt")
        srv = server(files={"d/plain.txt": "p\n"}, conf_lines=["Autoindex on", f"FollowSymlinks {policy}"], setup=links)
        r = srv.get("/d/")
        assert r.status == 200
        names = re.findall(r'<a href="\./([^"]+)">', r.body.decode())
        assert names == shown, (policy, names)
