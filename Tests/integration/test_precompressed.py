"""Precompressed variants (x.gz / x.br beside x) with Precompressed on."""

import os

import pytest

CSS = b"body { color: red; }\n" * 20
GZ = b"\x1f\x8b\x08\x00fake-gzip-bytes"
BR = b"\x0b\x02fake-brotli-bytes!"
MTIME = 1700000000


def make(server, on=True, gz_mtime=MTIME + 10, br_mtime=MTIME + 10, with_br=True, extra=()):
    def setup(root):
        (root / "x.css").write_bytes(CSS)
        os.utime(root / "x.css", (MTIME, MTIME))
        (root / "x.css.gz").write_bytes(GZ)
        os.utime(root / "x.css.gz", (gz_mtime, gz_mtime))
        if with_br:
            (root / "x.css.br").write_bytes(BR)
            os.utime(root / "x.css.br", (br_mtime, br_mtime))
    args = ["Precompressed on"] if on else []
    return server(setup=setup, args=args + list(extra))


def get(srv, ae=None, method="GET"):
    return srv.get("/x.css", f"Accept-Encoding: {ae}\r\n" if ae is not None else "", method)


def test_gzip_variant(server):
    """Accept-Encoding: gzip → the .gz bytes, Content-Encoding: gzip, Vary, original type."""
    srv = make(server, with_br=False)
    ident = get(srv)
    resp = get(srv, "gzip")
    assert resp.status_line == "HTTP/1.1 200 OK"
    assert resp.body == GZ
    assert resp["Content-Length"] == str(len(GZ))
    assert resp["Content-Encoding"] == "gzip"
    assert resp["Vary"] == "Accept-Encoding"
    assert resp["Content-Type"] == "text/css; charset=utf-8"
    assert resp["ETag"] != ident["ETag"]
    assert resp.names == ["Date", "Server", "Content-Type", "Last-Modified", "ETag", "Vary",
                          "Accept-Ranges", "Content-Encoding", "Content-Length"]


def test_br_preferred(server):
    """With both accepted, br is preferred over gzip."""
    srv = make(server)
    resp = get(srv, "gzip, deflate, br")
    assert resp.body == BR
    assert resp["Content-Encoding"] == "br"
    assert resp["Vary"] == "Accept-Encoding"


def test_br_only(server):
    """Accept-Encoding: br → the .br bytes."""
    srv = make(server)
    resp = get(srv, "br")
    assert resp.body == BR
    assert resp["Content-Encoding"] == "br"


def test_variant_etags_distinct(server):
    """Identity, gzip and br responses carry three different ETags."""
    srv = make(server)
    tags = {get(srv)["ETag"], get(srv, "gzip")["ETag"], get(srv, "br")["ETag"]}
    assert len(tags) == 3


def test_gzip_q0_identity(server):
    """'gzip;q=0' refuses gzip → identity (with Vary)."""
    srv = make(server, with_br=False)
    resp = get(srv, "gzip;q=0")
    assert resp.body == CSS
    assert not resp.has("Content-Encoding")
    assert resp["Vary"] == "Accept-Encoding"


def test_br_q0_gzip_chosen(server):
    """'br;q=0, gzip' → gzip."""
    srv = make(server)
    resp = get(srv, "br;q=0, gzip")
    assert resp.body == GZ
    assert resp["Content-Encoding"] == "gzip"


def test_no_accept_encoding_identity_with_vary(server):
    """No Accept-Encoding → identity, still with Vary: Accept-Encoding."""
    srv = make(server)
    resp = get(srv)
    assert resp.body == CSS
    assert not resp.has("Content-Encoding")
    assert resp["Vary"] == "Accept-Encoding"
    assert resp.names == ["Date", "Server", "Content-Type", "Last-Modified", "ETag", "Vary",
                          "Accept-Ranges", "Content-Length"]


def test_accept_encoding_case_and_spaces(server):
    """Codings are case-insensitive and OWS is allowed: ' GZIP ; q=1.0' → gzip."""
    srv = make(server, with_br=False)
    resp = get(srv, "identity, GZIP ; q=1.0")
    assert resp.body == GZ


def test_older_gz_not_used(server):
    """A .gz older than the original is not used → identity."""
    srv = make(server, gz_mtime=MTIME - 100, with_br=False)
    resp = get(srv, "gzip")
    assert resp.body == CSS
    assert not resp.has("Content-Encoding")


def test_older_br_falls_back_to_gz(server):
    """An outdated .br is skipped in favour of a fresh .gz."""
    srv = make(server, br_mtime=MTIME - 100)
    resp = get(srv, "br, gzip")
    assert resp.body == GZ
    assert resp["Content-Encoding"] == "gzip"


def test_precompressed_off_never(server):
    """Precompressed off (default): never a variant, no Vary."""
    srv = make(server, on=False)
    resp = get(srv, "gzip, br")
    assert resp.body == CSS
    assert not resp.has("Content-Encoding")
    assert not resp.has("Vary")


def test_gz_file_requested_directly(server):
    """Requesting x.css.gz directly serves it as a file of its own, without Content-Encoding."""
    srv = make(server)
    resp = srv.get("/x.css.gz")
    assert resp.status == 200
    assert resp.body == GZ
    assert not resp.has("Content-Encoding")


def test_variant_range(server):
    """A Range on the gzip variant applies to the .gz bytes."""
    srv = make(server, with_br=False)
    resp = srv.get("/x.css", "Accept-Encoding: gzip\r\nRange: bytes=0-3\r\n")
    assert resp.status == 206
    assert resp["Content-Range"] == f"bytes 0-3/{len(GZ)}"
    assert resp.body == GZ[:4]
    assert resp["Content-Encoding"] == "gzip"


def test_variant_conditional(server):
    """If-None-Match with the gzip ETag → 304 with Vary; the identity ETag does not match it."""
    srv = make(server, with_br=False)
    gz_tag = get(srv, "gzip")["ETag"]
    id_tag = get(srv)["ETag"]
    r = srv.get("/x.css", f"Accept-Encoding: gzip\r\nIf-None-Match: {gz_tag}\r\n")
    assert r.status == 304
    assert r["Vary"] == "Accept-Encoding"
    assert r["ETag"] == gz_tag
    r2 = srv.get("/x.css", f"Accept-Encoding: gzip\r\nIf-None-Match: {id_tag}\r\n")
    assert r2.status == 200 and r2.body == GZ


def test_head_variant(server):
    """HEAD with Accept-Encoding: gzip → the gzip variant's fields, no body."""
    srv = make(server, with_br=False)
    with srv.client() as c:
        head = c.get("/x.css", "Accept-Encoding: gzip\r\n", "HEAD")
        get_ = c.get("/x.css", "Accept-Encoding: gzip\r\n")
    assert head.headers[1:] == get_.headers[1:]


@pytest.mark.parametrize("ae", ["*", "*;q=1"])
def test_wildcard_accepts_variant(server, ae):
    """'Accept-Encoding: *' accepts any coding: a variant is served."""
    srv = make(server)
    resp = get(srv, ae)
    assert resp.has("Content-Encoding")
    assert resp.body in (GZ, BR)
