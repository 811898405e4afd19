"""Path decoding and normalization, traversal attempts, dotfiles, symlinks, non-regular files."""

import os

import pytest

from httpdkit import assert_error, bad_request

FILES = {
    "index.html": "<p>index</p>\n",
    "a/b.txt": "b\n",
    "a/index.html": "<p>a index</p>\n",
    "sp ace.txt": "space\n",
    "caf\u00e9.txt": "cafe\n",
    "%2e%2e": "literal\n",
    ".env": "SECRET=1\n",
    "a/.git/config": "[core]\n",
    ".well-known/x.txt": "well known\n",
    "plus+sign.txt": "plus\n",
}


def get_ok(srv, target, body):
    resp = srv.request(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode("latin-1"))
    assert resp.status_line == "HTTP/1.1 200 OK", (target, resp.status_line)
    assert resp.body == body


def get_404(srv, target):
    with srv.client() as c:
        resp = c.request(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode("latin-1"))
        assert_error(resp, 404)
        c.expect_open(0.05)


@pytest.mark.parametrize("target", [
    "/%2e%2e/etc/passwd", "/../x", "/a/../../x", "/..", "/%2E%2E/%2E%2E/etc/passwd",
    "/a/%2e%2e/%2e%2e/x", "/./../x", "/a/..%2f..%2fx",
])
def test_traversal_400(server, target):
    """Any path that climbs above the root (plain or percent-encoded) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")


@pytest.mark.parametrize("target,body", [
    ("/a/../index.html", b"<p>index</p>\n"),
    ("/./index.html", b"<p>index</p>\n"),
    ("/a/./b.txt", b"b\n"),
    ("/a/%2e%2e/index.html", b"<p>index</p>\n"),
    ("/a/%2E/b.txt", b"b\n"),
])
def test_dot_segments_removed(server, target, body):
    """Dot segments that stay inside the root are removed: '/a/../index.html' serves the index."""
    srv = server(files=FILES)
    get_ok(srv, target, body)


@pytest.mark.parametrize("target", ["/a%2fb.txt", "/a%2Fb.txt", "/a/b.txt%2f"])
def test_encoded_slash_400(server, target):
    """An encoded slash (%2f) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")


@pytest.mark.parametrize("target", ["/a\\b.txt", "/a%5cb.txt", "/..\\..\\x", "/a%5C..%5Cx"])
def test_backslash_400(server, target):
    """A backslash (raw or %5c) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")


@pytest.mark.parametrize("target", ["/index.html%00", "/index.html%00.txt", "/%00"])
def test_encoded_nul_400(server, target):
    """%00 gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")


@pytest.mark.parametrize("target", ["/%zz", "/%4", "/a%", "/%g0", "/%%"])
def test_bad_escape_400(server, target):
    """A bad percent escape (%zz, %4, trailing %) gets 400 and close."""
    srv = server(files=FILES)
    bad_request(srv, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")


@pytest.mark.parametrize("target", ["/%ff", "/%c3", "/%c3%28", "/%ed%a0%80", "/%c0%af"])
def test_non_utf8_after_decoding_400(server, target):
    """A path that is not valid UTF-8 after decoding (incl. overlong/surrogates) gets 400."""
    srv = server(files=FILES)
    bad_request(srv, f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")


def test_double_encoding_not_decoded_twice(server):
    """'%252e%252e' decodes once to a literal '%2e%2e' name (served here, never '..')."""
    srv = server(files=FILES)
    get_ok(srv, "/%252e%252e", b"literal\n")


def test_double_encoding_traversal_404(server):
    """'/%252e%252e/etc/passwd' looks for a folder literally named '%2e%2e': 404."""
    srv = server(files={"index.html": "x"})
    get_404(srv, "/%252e%252e/%252e%252e/etc/passwd")


def test_percent_decoded_names(server):
    """Percent-encoded names are decoded once: %20 (space), UTF-8 %C3%A9, %2B."""
    srv = server(files=FILES)
    get_ok(srv, "/sp%20ace.txt", b"space\n")
    get_ok(srv, "/caf%C3%A9.txt", b"cafe\n")
    get_ok(srv, "/caf%c3%a9.txt", b"cafe\n")
    get_ok(srv, "/plus%2Bsign.txt", b"plus\n")
    get_ok(srv, "/plus+sign.txt", b"plus\n")
    get_ok(srv, "/%61/b.txt", b"b\n")


def test_query_and_fragment_ignored_for_lookup(server):
    """The query string does not take part in the file lookup."""
    srv = server(files=FILES)
    get_ok(srv, "/a/b.txt?x=1&y=/../../etc/passwd", b"b\n")
    get_ok(srv, "/a/b.txt?", b"b\n")


@pytest.mark.parametrize("target", ["/.env", "/a/.git/config", "/a/.git/", "/.env?x", "/%2eenv"])
def test_dotfiles_hidden(server, target):
    """Any path segment starting with a dot gets 404 by default."""
    srv = server(files=FILES)
    get_404(srv, target)


def test_dotfiles_served_when_not_hidden(server):
    """With HideDotfiles off, dotfiles are served."""
    srv = server(files=FILES, args=["HideDotfiles off"])
    get_ok(srv, "/.env", b"SECRET=1\n")
    get_ok(srv, "/a/.git/config", b"[core]\n")


def test_well_known_served(server):
    """/.well-known/ stays reachable with HideDotfiles on."""
    srv = server(files=FILES)
    get_ok(srv, "/.well-known/x.txt", b"well known\n")


def test_dotfile_under_well_known_hidden(server):
    """A dotfile below /.well-known/ is still hidden."""
    srv = server(files={".well-known/.secret": "s"})
    get_404(srv, "/.well-known/.secret")


def make_symlinks(root):
    outside = root.parent / "outside.txt"
    outside.write_bytes(b"outside\n")
    (root / "inside.txt").write_bytes(b"inside\n")
    (root / "to_outside.txt").symlink_to(outside)
    (root / "to_inside.txt").symlink_to(root / "inside.txt")
    (root / "rel_inside.txt").symlink_to("inside.txt")
    (root / "outdir").symlink_to(root.parent)
    (root / "sub").mkdir()
    (root / "sub" / "up.txt").symlink_to("../inside.txt")
    (root / "sub" / "escape.txt").symlink_to("../../outside.txt")


def test_symlink_outside_404_by_default(server):
    """Default FollowSymlinks inside: a symlink to a file outside the root gets 404."""
    srv = server(setup=make_symlinks)
    get_404(srv, "/to_outside.txt")
    get_404(srv, "/sub/escape.txt")


def test_symlinked_dir_outside_404_by_default(server):
    """Default: a file reached through a symlinked directory pointing outside gets 404."""
    srv = server(setup=make_symlinks)
    get_404(srv, "/outdir/outside.txt")


def test_symlink_inside_served_by_default(server):
    """Default: a symlink whose target lies inside the root is served."""
    srv = server(setup=make_symlinks)
    get_ok(srv, "/to_inside.txt", b"inside\n")
    get_ok(srv, "/rel_inside.txt", b"inside\n")
    get_ok(srv, "/sub/up.txt", b"inside\n")


def test_symlink_follow_on(server):
    """FollowSymlinks on: a symlink pointing outside is served."""
    srv = server(setup=make_symlinks, args=["FollowSymlinks on"])
    get_ok(srv, "/to_outside.txt", b"outside\n")
    get_ok(srv, "/to_inside.txt", b"inside\n")


def test_symlink_follow_off(server):
    """FollowSymlinks off: every symlink gets 404, plain files are served."""
    srv = server(setup=make_symlinks, args=["FollowSymlinks off"])
    get_404(srv, "/to_outside.txt")
    get_404(srv, "/to_inside.txt")
    get_404(srv, "/sub/up.txt")
    get_ok(srv, "/inside.txt", b"inside\n")


def test_dangling_symlink_404(server):
    """A dangling symlink gets 404."""
    def setup(root):
        (root / "dangling").symlink_to(root / "nothing")
    srv = server(setup=setup)
    get_404(srv, "/dangling")


def test_fifo_403(server):
    """A non-regular file (a FIFO) gets 403, without blocking the server."""
    def setup(root):
        os.mkfifo(root / "fifo")
        (root / "a.txt").write_bytes(b"a\n")
    srv = server(setup=setup)
    with srv.client() as c:
        resp = c.request(b"GET /fifo HTTP/1.1\r\nHost: t\r\n\r\n")
        assert_error(resp, 403)
        assert c.get("/a.txt").body == b"a\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_unreadable_file_403(server):
    """A file without read permission gets 403."""
    def setup(root):
        p = root / "secret.txt"
        p.write_bytes(b"s")
        p.chmod(0)
    srv = server(setup=setup)
    with srv.client() as c:
        assert_error(c.get("/secret.txt"), 403)


def test_missing_file_404_keeps_connection(server):
    """A missing file gets the built-in 404 and the connection stays open."""
    srv = server(files=FILES)
    with srv.client() as c:
        assert_error(c.get("/nothing.txt"), 404)
        assert_error(c.get("/a/nothing/deeper.txt"), 404)
        assert c.get("/a/b.txt").body == b"b\n"


def test_file_as_directory_404(server):
    """'/a/b.txt/x' (a file used as a folder) gets 404."""
    srv = server(files=FILES)
    get_404(srv, "/a/b.txt/x")


def test_file_with_trailing_slash_404(server):
    """'/a/b.txt/' (a file with a trailing slash) gets 404."""
    srv = server(files=FILES)
    get_404(srv, "/a/b.txt/")


# Paths are bytes: a combining mark glued to `/` still leaves a `/`, and canonically equivalent names
# (NFC and NFD, U+212A KELVIN SIGN and K) are different files with different cache entries.

def quoted(name: str) -> str:
    """NAME's UTF-8 bytes, percent-encoded except ASCII letters, digits, '.', '-' and '/'."""
    return "".join(chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in ".-/") else f"%{b:02X}"
                   for b in name.encode("utf-8"))


SIDE_BY_SIDE = [
    ("caf\u00e9.txt", "cafe\u0301.txt"),
    ("\u212a.txt", "K.txt"),
    ("\u00c5", "A\u030a"),
]


@pytest.mark.parametrize("first,second", SIDE_BY_SIDE)
def test_equivalent_names_are_different_files(server, first, second):
    """Two names that differ only by Unicode normalization each serve their own bytes, also on
    repeated requests answered by the open-file cache, in either order, on one connection."""
    srv = server(files={first: "first\n", second: "second\n"})
    with srv.client() as c:
        for target in [first, second, first, second, second, first] * 2:
            resp = c.get("/" + quoted(target))
            assert resp.status == 200, (target, resp.status_line)
            assert resp.body == (b"first\n" if target == first else b"second\n"), target


def test_equivalent_names_listed_apart(server):
    """Autoindex lists NFC and NFD names as two entries with their own links; a dot then a mark is a dotfile."""
    srv = server(files={"d/caf\u00e9": "1", "d/cafe\u0301": "2", "d/.\u0301x": "3"}, args=["Autoindex on"])
    resp = srv.get("/d/")
    assert resp.status == 200
    text = resp.body.decode("utf-8")
    assert 'href="./caf%C3%A9"' in text and 'href="./cafe%CC%81"' in text
    assert "%CC%81x" not in text


@pytest.mark.parametrize("target", [
    "/../%CC%81x", "/%CC%81/../../%CC%81x", "/a%D8%80/../../%CC%81x", "/d/../../%CC%81x",
])
def test_mark_after_slash_does_not_escape(server, target):
    """With FollowSymlinks on and HideDotfiles off, a combining mark after '/' (or a prepend character
    before it) does not hide a '..' segment: the file outside the root is never served."""
    def setup(root):
        (root.parent / "\u0301x").write_bytes(b"outside\n")
        (root / "a\u0600").mkdir()
        (root / "\u0301").mkdir()
        (root / "d").mkdir()
    srv = server(setup=setup, args=["FollowSymlinks on", "HideDotfiles off"])
    with srv.client() as c:
        resp = c.request(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n")
        assert resp.status in (400, 404), (target, resp.status_line)
        assert b"outside" not in resp.body


def test_dot_then_mark_is_hidden(server):
    """A name whose first byte is '.' is a dotfile even when a combining mark follows the dot."""
    srv = server(files={".\u0301x": "secret\n", "a/.\u0301/b.txt": "b\n"})
    get_404(srv, "/.%CC%81x")
    get_404(srv, "/a/.%CC%81/b.txt")


@pytest.mark.parametrize("policy", ["inside", "on"])
def test_symlink_into_dot_directory_hidden(server, policy):
    """HideDotfiles on: a file whose resolved path inside the root has a dot component gets 404
    (docs -> .git), whatever the request path says; /.well-known/ stays served."""
    def setup(root):
        (root / "docs").symlink_to(".git")
        (root / "env.txt").symlink_to(".env")
        (root / "wk").symlink_to(".well-known")
    srv = server(files={".git/config": "[core]\n", ".git/index.html": "git\n", ".env": "SECRET=1\n",
                        ".well-known/x.txt": "well known\n", "plain.txt": "plain\n"},
                 setup=setup, args=[f"FollowSymlinks {policy}", "Autoindex on"])
    get_404(srv, "/docs/config")
    get_404(srv, "/docs/")
    get_404(srv, "/env.txt")
    get_ok(srv, "/.well-known/x.txt", b"well known\n")
    get_ok(srv, "/wk/x.txt", b"well known\n")
    get_ok(srv, "/plain.txt", b"plain\n")
    listing = srv.get("/").body.decode("utf-8")
    assert "docs" not in listing and "env.txt" not in listing and "plain.txt" in listing


def test_symlink_into_dot_directory_served_when_not_hidden(server):
    """HideDotfiles off: the same symlink is served as before."""
    def setup(root):
        (root / "docs").symlink_to(".git")
    srv = server(files={".git/config": "[core]\n"}, setup=setup, args=["HideDotfiles off"])
    get_ok(srv, "/docs/config", b"[core]\n")


def test_symlink_into_equivalent_sibling_404(server):
    """Default FollowSymlinks inside: the root is compared as bytes, so a symlink into a sibling folder
    whose name is the root's name in NFD (canonically equal, another folder) is outside and gets 404."""
    def setup(root):
        root.rmdir()
        real_root = root.parent / "caf\u00e9"
        real_root.mkdir()
        root.symlink_to(real_root.name)
        sibling = root.parent / "cafe\u0301"
        sibling.mkdir()
        (sibling / "secret.txt").write_bytes(b"secret\n")
        (real_root / "inside.txt").write_bytes(b"inside\n")
        (real_root / "leak.txt").symlink_to("../cafe\u0301/secret.txt")
        (real_root / "ok.txt").symlink_to("inside.txt")
    srv = server(setup=setup)
    get_404(srv, "/leak.txt")
    get_ok(srv, "/ok.txt", b"inside\n")
    get_ok(srv, "/inside.txt", b"inside\n")
