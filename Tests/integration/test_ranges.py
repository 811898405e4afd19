"""Range requests: single, suffix, open-ended, clipping, 416, multipart/byteranges, coalescing,
limits against amplification, If-Range."""

import os
import re
import time

import pytest

from httpdkit import assert_common_head, http_date

DATA = bytes((i * 7 + 3) % 256 for i in range(1000))
LEN = len(DATA)
MTIME = 1700000000


def make(server, **kw):
    def setup(root):
        (root / "d.bin").write_bytes(DATA)
        os.utime(root / "d.bin", (MTIME, MTIME))
    return server(setup=setup, **kw)


def rng(srv, spec, extra="", method="GET"):
    with srv.client() as c:
        resp = c.get("/d.bin", f"Range: {spec}\r\n{extra}", method)
        # The connection stays usable (the body was framed correctly).
        follow = c.get("/d.bin")
        assert follow.status == 200 and follow.body == DATA
    return resp


def assert_206(resp, first, last):
    assert_common_head(resp, 206)
    assert resp["Content-Range"] == f"bytes {first}-{last}/{LEN}"
    assert resp["Content-Length"] == str(last - first + 1)
    assert resp["Content-Type"] == "application/octet-stream"
    assert resp["Accept-Ranges"] == "bytes"
    assert resp.has("ETag") and resp.has("Last-Modified")
    assert resp.body == DATA[first:last + 1]


def assert_full(resp):
    assert resp.status_line == "HTTP/1.1 200 OK"
    assert not resp.has("Content-Range")
    assert resp["Content-Length"] == str(LEN)
    assert resp.body == DATA


def test_range_first_ten(server):
    """bytes=0-9 → 206, 'Content-Range: bytes 0-9/LEN', exact 10 bytes."""
    assert_206(rng(make(server), "bytes=0-9"), 0, 9)


def test_range_field_order(server):
    """A 206 keeps the static field order (type, validators, Accept-Ranges) and ends with Content-Length."""
    resp = rng(make(server), "bytes=0-9")
    names = resp.names
    assert names.index("Content-Type") < names.index("Last-Modified") < names.index("ETag")
    assert names.index("ETag") < names.index("Accept-Ranges")
    assert names[-1] == "Content-Length"


def test_range_middle(server):
    """bytes=100-199 → the exact middle slice."""
    assert_206(rng(make(server), "bytes=100-199"), 100, 199)


def test_range_suffix(server):
    """bytes=-10 → the last 10 bytes."""
    assert_206(rng(make(server), "bytes=-10"), LEN - 10, LEN - 1)


def test_range_suffix_larger_than_file(server):
    """bytes=-5000 (suffix longer than the file) → the whole file as 206 0-(LEN-1)."""
    assert_206(rng(make(server), "bytes=-5000"), 0, LEN - 1)


def test_range_open_ended(server):
    """bytes=5- → from byte 5 to the end."""
    assert_206(rng(make(server), "bytes=5-"), 5, LEN - 1)


def test_range_single_byte(server):
    """bytes=0-0 → exactly the first byte."""
    assert_206(rng(make(server), "bytes=0-0"), 0, 0)


def test_range_last_byte(server):
    """bytes=999-999 → exactly the last byte."""
    assert_206(rng(make(server), f"bytes={LEN - 1}-{LEN - 1}"), LEN - 1, LEN - 1)


def test_range_clipped_at_end(server):
    """bytes=990-5000 is clipped to the end of the file."""
    assert_206(rng(make(server), "bytes=990-5000"), 990, LEN - 1)


def test_range_whitespace_tolerated(server):
    """Optional whitespace around range specs ('bytes=0-9 , 500-509' is a valid list)."""
    resp = rng(make(server), "bytes=0-4, 500-504")
    assert resp.status == 206


def test_range_start_at_end_416(server):
    """bytes=LEN- (start at the end) → 416 with 'Content-Range: bytes */LEN', keep-alive."""
    srv = make(server)
    with srv.client() as c:
        resp = c.get("/d.bin", f"Range: bytes={LEN}-\r\n")
        assert_common_head(resp, 416)
        assert resp["Content-Range"] == f"bytes */{LEN}"
        assert not resp.has("Connection")
        assert c.get("/d.bin").body == DATA


def test_range_start_beyond_end_416(server):
    """bytes=5000-6000 (entirely beyond the end) → 416 'bytes */LEN'."""
    resp = make(server).get("/d.bin", "Range: bytes=5000-6000\r\n")
    assert resp.status == 416
    assert resp["Content-Range"] == f"bytes */{LEN}"


def test_range_suffix_zero_416(server):
    """bytes=-0 (empty suffix) is unsatisfiable → 416."""
    resp = make(server).get("/d.bin", "Range: bytes=-0\r\n")
    assert resp.status == 416
    assert resp["Content-Range"] == f"bytes */{LEN}"


def test_range_on_empty_file_416(server):
    """bytes=0-0 on an empty file → 416 'bytes */0'."""
    srv = server(files={"e.bin": b""})
    resp = srv.get("/e.bin", "Range: bytes=0-0\r\n")
    assert resp.status == 416
    assert resp["Content-Range"] == "bytes */0"


def test_range_one_satisfiable_among_unsatisfiable(server):
    """bytes=5000-6000,0-9: the satisfiable part is served alone → 206 0-9."""
    assert_206(rng(make(server), "bytes=5000-6000,0-9"), 0, 9)


@pytest.mark.parametrize("spec", ["bytes=abc", "items=0-1", "bytes=9-0", "bytes=", "bytes=-",
                                  "bytes=0-9,x", "bytes 0-9", "bytes=1-2-3", "bytes=--5"])
def test_malformed_range_ignored(server, spec):
    """A malformed or unknown-unit Range is ignored → 200 full body."""
    assert_full(rng(make(server), spec))


def test_range_unit_case_insensitive(server):
    """The range unit is case-insensitive: 'BYTES=0-9' → 206."""
    assert_206(rng(make(server), "BYTES=0-9"), 0, 9)


def parse_multipart(resp):
    ctype = resp["Content-Type"]
    m = re.fullmatch(r"multipart/byteranges; boundary=([0-9A-Za-z'()+_,\-./:=?]{1,70})", ctype)
    assert m, ctype
    boundary = m.group(1).encode()
    body = resp.body
    assert resp["Content-Length"] == str(len(body))
    parts = []
    pos = 0
    delim = b"\r\n--" + boundary
    # The body may start with the delimiter without its leading CRLF.
    if body.startswith(b"--" + boundary + b"\r\n"):
        pos = len(boundary) + 4
    else:
        assert body.startswith(delim + b"\r\n"), body[:100]
        pos = len(delim) + 2
    while True:
        head_end = body.index(b"\r\n\r\n", pos)
        head = body[pos:head_end].split(b"\r\n")
        fields = dict(line.decode().split(": ", 1) for line in head)
        m = re.fullmatch(rf"bytes (\d+)-(\d+)/{LEN}", fields["Content-Range"])
        assert m, fields
        first, last = int(m.group(1)), int(m.group(2))
        data_start = head_end + 4
        data_end = data_start + (last - first + 1)
        parts.append((fields, first, last, body[data_start:data_end]))
        assert body[data_end:data_end + len(delim)] == delim, body[data_end:data_end + 80]
        pos = data_end + len(delim)
        if body[pos:pos + 2] == b"--":
            assert body[pos:] == b"--\r\n", body[pos:]
            break
        assert body[pos:pos + 2] == b"\r\n"
        pos += 2
    return boundary, parts


def test_multipart_two_ranges(server):
    """bytes=0-9,200-209 → 206 multipart/byteranges, parts with type and range, exact framing."""
    resp = rng(make(server), "bytes=0-9,200-209")
    assert_common_head(resp, 206)
    assert not resp.has("Content-Range")
    boundary, parts = parse_multipart(resp)
    assert [(p[1], p[2]) for p in parts] == [(0, 9), (200, 209)]
    for fields, first, last, data in parts:
        assert fields["Content-Type"] == "application/octet-stream"
        assert data == DATA[first:last + 1]
    expected = b"".join(
        b"\r\n--" + boundary + b"\r\nContent-Type: application/octet-stream\r\n"
        + f"Content-Range: bytes {a}-{b}/{LEN}\r\n\r\n".encode() + DATA[a:b + 1]
        for a, b in [(0, 9), (200, 209)]) + b"\r\n--" + boundary + b"--\r\n"
    assert resp.body == expected


def test_multipart_three_ranges(server):
    """Three far-apart ranges (out of order) → exactly three parts with the right bytes."""
    resp = rng(make(server), "bytes=800-809,0-9,400-409")
    assert resp.status == 206
    _, parts = parse_multipart(resp)
    assert sorted((p[1], p[2]) for p in parts) == [(0, 9), (400, 409), (800, 809)]
    for _, first, last, data in parts:
        assert data == DATA[first:last + 1]


def test_multipart_with_suffix(server):
    """bytes=0-9,-10 → parts 0-9 and the last ten bytes."""
    resp = rng(make(server), "bytes=0-9,-10")
    _, parts = parse_multipart(resp)
    assert [(p[1], p[2]) for p in parts] == [(0, 9), (LEN - 10, LEN - 1)]


def test_multipart_range_on_head_ignored(server):
    """HEAD with a multi-range Range is ignored: 200 with the full length."""
    srv = make(server)
    with srv.client() as c:
        resp = c.get("/d.bin", "Range: bytes=0-9,200-209\r\n", "HEAD")
        assert resp.status_line == "HTTP/1.1 200 OK"
        assert resp["Content-Length"] == str(LEN)
        assert not resp.has("Content-Range")
        assert c.get("/d.bin").body == DATA


def test_overlapping_ranges_merged(server):
    """bytes=0-50,40-100 → one 206 covering 0-100."""
    assert_206(rng(make(server), "bytes=0-50,40-100"), 0, 100)


def test_adjacent_ranges_merged(server):
    """bytes=0-9,10-19 → one 206 covering 0-19."""
    assert_206(rng(make(server), "bytes=0-9,10-19"), 0, 19)


def test_close_ranges_merged(server):
    """bytes=0-9,20-29 (gap under 80 bytes) → one 206 covering 0-29."""
    assert_206(rng(make(server), "bytes=0-9,20-29"), 0, 29)


def test_close_ranges_out_of_order_merged(server):
    """bytes=20-29,0-9 → merged into one 206 0-29."""
    assert_206(rng(make(server), "bytes=20-29,0-9"), 0, 29)


def test_many_identical_ranges_merged(server):
    """Fifty copies of bytes=0-9 → a single 206 0-9 (no amplification)."""
    assert_206(rng(make(server), "bytes=" + ",".join(["0-9"] * 50)), 0, 9)


def test_more_than_16_ranges_full(server):
    """17 far-apart ranges after merging → 200 with the full body."""
    spec = "bytes=" + ",".join(f"{i * 100}-{i * 100 + 1}" for i in range(17))
    srv = server(files={"d.bin": DATA * 2})
    resp = srv.get("/d.bin", f"Range: {spec}\r\n")
    assert resp.status == 200
    assert resp.body == DATA * 2


def test_16_ranges_multipart(server):
    """16 far-apart ranges → a multipart 206 with 16 parts."""
    spec = "bytes=" + ",".join(f"{i * 100}-{i * 100 + 1}" for i in range(16))
    srv = server(files={"d.bin": DATA * 2})
    resp = srv.get("/d.bin", f"Range: {spec}\r\n")
    assert resp.status == 206
    assert resp["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert resp.body.count(b"Content-Range: bytes ") == 16


def test_more_than_100_specs_full(server):
    """More than 100 range specs (even if they would merge) → 200 full."""
    spec = "bytes=" + ",".join(["0-0"] * 101)
    assert_full(rng(make(server), spec))


def test_range_on_head_ignored(server):
    """HEAD with bytes=0-9 → 200 with the full Content-Length, no Content-Range."""
    srv = make(server)
    with srv.client() as c:
        resp = c.get("/d.bin", "Range: bytes=0-9\r\n", "HEAD")
        assert resp.status_line == "HTTP/1.1 200 OK"
        assert resp["Content-Length"] == str(LEN)
        assert not resp.has("Content-Range")
        assert c.get("/d.bin").body == DATA


def test_if_range_current_etag(server):
    """If-Range with the current ETag → 206."""
    srv = make(server)
    etag = srv.get("/d.bin")["ETag"]
    assert_206(rng(srv, "bytes=0-9", f"If-Range: {etag}\r\n"), 0, 9)


def test_if_range_old_etag(server):
    """If-Range with an old ETag → 200 full."""
    assert_full(rng(make(server), "bytes=0-9", 'If-Range: "old-etag"\r\n'))


def test_if_range_weak_etag(server):
    """If-Range with a weak ETag never matches (strong comparison) → 200 full."""
    srv = make(server)
    etag = srv.get("/d.bin")["ETag"]
    assert_full(rng(srv, "bytes=0-9", f"If-Range: W/{etag}\r\n"))


def test_if_range_last_modified(server):
    """If-Range with the Last-Modified date → 206."""
    assert_206(rng(make(server), "bytes=0-9", f"If-Range: {http_date(MTIME)}\r\n"), 0, 9)


def test_if_range_other_date(server):
    """If-Range with a date that is not exactly Last-Modified → 200 full."""
    assert_full(rng(make(server), "bytes=0-9", f"If-Range: {http_date(MTIME + 1)}\r\n"))


def test_multipart_responses_to_slow_readers_hold_one_descriptor_per_file(server):
    """20 clients ask for 16 ranges of a large file and do not read: the daemon holds one descriptor for
    the file (its sendfile segment serves every part), not one per part (issue 9, item 6)."""
    import os
    import socket

    big = bytes(range(256)) * 4096 * 40  # 40 MiB: 16 parts of 2 MiB outgrow every socket buffer
    srv = server(files={"big.bin": big})
    assert srv.get("/big.bin", headers={"Range": "bytes=0-0"}).status == 206
    fds_before = len(os.listdir(f"/proc/{srv.pid}/fd"))
    ranges = ",".join(f"{i * 2_500_000}-{i * 2_500_000 + 1_999_999}" for i in range(16))
    socks = []
    try:
        for _ in range(20):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect((srv.host, srv.port))
            s.sendall(f"GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes={ranges}\r\n\r\n".encode())
            socks.append(s)
        time.sleep(1.0)
        fds = len(os.listdir(f"/proc/{srv.pid}/fd"))
        # One socket per client, plus at most one descriptor for the file (it may have left the cache).
        assert fds - fds_before <= 20 + 1, (fds_before, fds)
        assert srv.alive()
    finally:
        for s in socks:
            s.close()
