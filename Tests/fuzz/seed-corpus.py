#!/usr/bin/env python3
"""Seeds Tests/fuzz/corpus/<target>/ from the unit-test vectors: the string literals of the unit tests
(Tests/HTTPDaemonTests), unescaped and sorted to the targets that read them, plus a few hand-made inputs
(a request with each body framing, pipelined requests, the shipped httpd.conf, an excerpt of a mime.types),
and fuzz-tls's operation lists (see tls_seeds).
Each seed is a file named by the SHA-1 of its bytes, as libFuzzer names corpus files. Rerun it after the
unit tests change: python3 Tests/fuzz/seed-corpus.py (it adds files and removes none)."""

import hashlib
import re
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "Tests" / "HTTPDaemonTests"
CORPUS = ROOT / "Tests" / "fuzz" / "corpus"

ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", '"': '"', "'": "'", "\\": "\\"}


def unescape(body):
    """A Swift string literal's text; None when it interpolates."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n == "(":
            return None
        if n == "u":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
            continue
        if n == "\n":  # line continuation in a multi-line literal
            i += 2
            continue
        out.append(ESCAPES.get(n, n))
        i += 2
    return "".join(out)


def literals(name):
    """Every string literal (single- and multi-line) of one unit-test file, unescaped."""
    text = (UNIT / name).read_text()
    found = []
    for m in re.finditer(r'"""\n(.*?)\n([ \t]*)"""', text, re.S):
        indent = m.group(2)
        lines = [line[len(indent) :] if line.startswith(indent) else line for line in m.group(1).split("\n")]
        value = unescape("\n".join(lines))
        if value is not None:
            found.append(value)
    text = re.sub(r'""".*?"""', "", text, flags=re.S)
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', text):
        value = unescape(m.group(1))
        if value is not None:
            found.append(value)
    return found


def latin1(s):
    """Bytes as the parser hands them on: one byte per character up to U+00FF, UTF-8 above."""
    return b"".join(bytes([ord(c)]) if ord(c) <= 0xFF else c.encode() for c in s)


def tls_seeds():
    """fuzz-tls inputs, one per feature: a byte of flags (mode, TLS version, handshake first or not, ending), the
    send buffers in 512-byte units, then operations (Tests/fuzz/Sources/fuzz-tls/FuzzTLS.swift reads them)."""
    WRITE, WRITE2, FILE, SHRINK, TRUNCATE, FLUSH, READ, CWRITE, CONSUME, TOGGLE, POLICY, RELEASE, STEPS, DRAIN, SPECIAL, END = range(16)
    # size(): a byte below 0x80 picks from [0, 1, 2, 17, 100, 1000, 4095, 4096, 16383, 16384, 16385, 32768,
    # 65535, 65536, 65537, 71680]; 0xC0 and two bytes: any count below 64 KiB.
    def size(i):
        return bytes([i])
    def any_size(n):
        return bytes([0xC0, n & 0xFF, n >> 8])
    # Region values: 1 = the segment's length, 2 = past it by b >> 3, 5 = b >> 3, 0 = v % (length + 1).
    def at(v):
        return bytes([0, v & 0xFF, (v >> 8) & 0xFF, v >> 16])
    FULL = bytes([1, 0, 0, 0])
    ZERO = bytes([5, 0, 0, 0])
    PAST = bytes([2 | 8 << 3, 0, 0, 0])
    HUGE = bytes([4, 0, 0, 0])
    NEG = bytes([3, 0, 0, 0])
    def op(code, high=0):
        return bytes([code | high << 4])
    def session(flags, sndbuf, client_sndbuf, *ops):
        return bytes([flags, sndbuf, client_sndbuf]) + b"".join(ops)
    seeds = [
        # Every size of write, flushed and drained, on a 4 KiB send buffer; TLS 1.2, 1.3, either.
        *[session(v << 2, 8, 0, *[op(WRITE) + size(i) + op(FLUSH) + op(DRAIN) for i in range(16)]) for v in (0, 1, 2)],
        # Head and body together, then more without a flush between.
        session(0, 8, 0, op(WRITE2) + size(4) + size(8), op(WRITE2) + size(5) + size(15), op(WRITE) + size(9), op(FLUSH),
                op(READ) + size(6), op(STEPS, 3), op(READ) + size(10), op(DRAIN)),
        # The whole file, a 70,000-byte segment of it, regions at its edges, past its end, negative, huge.
        session(0, 8, 0, op(FILE) + ZERO + FULL, op(FLUSH), op(DRAIN), op(FILE, 1) + at(1000) + at(50000), op(FILE) + PAST + FULL,
                op(FILE) + FULL + PAST, op(FILE) + HUGE + FULL, op(FILE) + NEG + FULL, op(FILE) + ZERO + HUGE, op(FLUSH),
                op(READ) + size(8), op(RELEASE), op(DRAIN), op(RELEASE), op(WRITE) + size(3), op(DRAIN)),
        # Bytes, a file region and bytes again, read by the client in small pieces.
        session(0, 2, 0, op(WRITE) + size(4), op(FILE) + at(12345) + at(100000), op(WRITE) + size(6), op(FLUSH),
                *[op(READ) + size(7) + op(STEPS, 1) for _ in range(12)], op(DRAIN)),
        # A file truncated under a queued region: the flush fails with EIO (or the bytes were already read).
        session(0, 8, 0, op(SHRINK) + ZERO + FULL, op(TRUNCATE) + bytes([4, 0]), op(FLUSH), op(DRAIN)),
        session(0, 8, 0, op(SHRINK) + ZERO + FULL, op(FLUSH), op(READ) + size(9), op(TRUNCATE) + bytes([0, 100]), op(DRAIN)),
        # Requests: the client writes, the server reads in pieces, with reading disabled to the cap and enabled.
        session(0, 0, 8, op(CWRITE) + size(5), op(STEPS, 2), op(CONSUME) + size(4), op(CONSUME, 1) + size(10),
                op(POLICY, 2), op(CWRITE) + size(15), op(STEPS, 4), op(DRAIN)),
        session(0, 0, 16, op(TOGGLE), op(POLICY), *[op(CWRITE) + size(15) + op(STEPS, 6) for _ in range(4)], op(CWRITE) + any_size(40000),
                op(CONSUME) + size(9), op(TOGGLE), op(STEPS, 4), op(POLICY, 5), op(DRAIN)),
        # Both ways at once on small buffers, buffers released between exchanges.
        session(0, 8, 8, op(CWRITE) + size(13), op(WRITE) + size(13), op(FLUSH), op(STEPS, 8), op(READ) + size(13),
                op(DRAIN), op(RELEASE), op(CWRITE) + size(4), op(WRITE) + size(4), op(FLUSH), op(DRAIN), op(RELEASE)),
        # TLS 1.3 key updates (asked and not), then close_notify from the client with output still going.
        session(2 << 2, 8, 0, op(WRITE) + size(15), op(FLUSH), op(SPECIAL, 1), op(SPECIAL, 1), op(READ) + size(9),
                op(SPECIAL, 0), op(WRITE) + size(12), op(FLUSH), op(SPECIAL, 3), op(DRAIN)),
        # A half-close without close_notify, then a response.
        session(0, 8, 0, op(CWRITE) + size(4), op(STEPS), op(SPECIAL, 4), op(STEPS, 2), op(WRITE) + size(14), op(FLUSH), op(DRAIN)),
        # A TLS 1.2 renegotiation (refused: the session breaks).
        session(1 << 2, 0, 0, op(WRITE) + size(8), op(FLUSH), op(SPECIAL, 2), op(STEPS, 4), op(READ) + size(15)),
        # Output queued during the handshake.
        session(0x10, 8, 0, op(WRITE) + size(13), op(FLUSH), op(DRAIN)),
        # Each ending: shutdownWrite (a lingering close), the client closing first, close.
        session(1 << 5, 8, 0, op(WRITE) + size(9), op(FLUSH), op(CWRITE) + size(5)),
        session(2 << 5, 8, 0, op(WRITE) + size(9), op(FLUSH), op(READ) + size(3)),
        session(0, 8, 0, op(WRITE) + size(14), op(FLUSH), op(END, 8)),
    ]
    RAW, PARTIAL = 2, 3
    RBYTES, RSTEPS, RWRITE, RFLUSH, RREAD, RTOGGLE, RCONSUME = 0, 2, 3, 4, 5, 6, 7
    def raw(flags, sndbuf, *ops):
        return bytes([flags, sndbuf]) + b"".join(ops)
    def send(data, tls_prefix=False):
        return op(RBYTES, 1 if tls_prefix else 0) + bytes([len(data)]) + data
    request = b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n"
    seeds += [
        # Plain HTTP on the TLS port: bytes both ways as they are.
        raw(RAW, 8, send(request), op(RSTEPS, 1), op(RCONSUME) + size(9), op(RWRITE) + size(13), op(RFLUSH), op(RREAD) + size(15)),
        raw(RAW, 8, op(RTOGGLE), send(request), op(RSTEPS), send(b"more"), op(RTOGGLE), op(RSTEPS, 2)),
        # A handshake record header and junk; garbage; nothing at all.
        raw(RAW, 0, send(b"\x00\x20junk junk junk", True), op(RSTEPS, 3), op(RREAD) + size(9)),
        raw(RAW, 0, send(bytes(range(0x80, 0xC0))), op(RWRITE) + size(5), op(RFLUSH), op(RSTEPS, 2), op(RREAD) + size(9)),
        raw(RAW, 0),
        # Part of a real handshake, then garbage or an end.
        raw(PARTIAL, 8, bytes([1]), send(b"\x17\x03\x03\x00\x05hello"), op(RSTEPS, 3), op(RREAD) + size(9)),
        raw(PARTIAL, 8, bytes([3]), op(RWRITE) + size(9), op(RFLUSH), send(bytes(range(40))), op(RSTEPS, 4)),
        raw(PARTIAL, 8, bytes([15]), op(RSTEPS, 2)),
    ]
    # Inputs that found bugs in TLSSocket (each has a unit test in TLSTests.swift): output queued during the
    # handshake never sent; a region's offset + length overflowing; a half-close without close_notify failing
    # the session; the client's close_notify stopping a response; a KeyUpdate answered after shutdownWrite;
    # a KeyUpdate's answer left unsent by a read that met close_notify.
    seeds += [bytes.fromhex(h) for h in [
        "3d05403d05403d05f2", "7474c66369c663695c", "000a0a00640a0a4e05", "0011746167dedede3e04",
        "2c63306e6e6e6e6e6e26", "0000bebeabbe007669f9088e8e8e8e8ebe",
    ]]
    return seeds


def main():
    seeds = {t: set() for t in ["head", "request", "path", "ranges", "conditionals", "config", "mime", "accesslog", "tls"]}
    heads = [s for f in ["RequestParserTests.swift", "RequestTests.swift", "ConnectionTests.swift"]
             for s in literals(f) if "HTTP/" in s and ("\n" in s or " HTTP/" in s)]
    for s in heads:
        seeds["head"].add(latin1(s))
        seeds["request"].add(latin1(s))
    chunked = b"POST /form HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    for s in literals("BodyDiscarderTests.swift"):
        if "HTTP/" not in s and s:
            seeds["head"].add(chunked + latin1(s))
            seeds["head"].add(b"PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(s) + latin1(s))
    seeds["head"].add(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    seeds["head"].add(chunked + b"5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.0\r\n\r\n")
    for s in literals("PathNormalizerTests.swift"):
        if s.startswith("/"):
            seeds["path"].add(latin1(s))
    for s in literals("ByteRangesTests.swift"):
        if "=" in s or "-" in s:
            for length in [0, 1, 1000, 4095]:
                seeds["ranges"].add(struct.pack("<q", length << 1) + latin1(s))
    validator = struct.pack("<q", 784111777) + b'"abc"\n'
    for s in literals("ConditionalsTests.swift") + literals("HTTPDateTests.swift"):
        if "\n" in s or not s:
            continue
        selectors = [2, 3, 4] if "GMT" in s or ":" in s else [0, 1, 4]
        for sel in selectors:
            seeds["conditionals"].add(validator + bytes([sel]) + latin1(s))
    seeds["conditionals"].add(validator + b"\x00\"abc\"\n\x01W/\"abc\"\n\x02Sun, 06 Nov 1994 08:49:37 GMT\n\x04\"abc\"")
    seeds["config"].add((ROOT / "httpd.conf").read_bytes())
    for s in literals("ConfigReaderTests.swift") + literals("ConfigLoaderTests.swift"):
        if re.match(r"^\s*[<A-Za-z#]", s) and (" " in s or "\n" in s):
            seeds["config"].add(s.encode())
    for s in literals("MIMETypesTests.swift"):
        if "/" in s and (" " in s or "\t" in s):
            seeds["mime"].add(s.encode())
    mime = Path("/etc/mime.types")
    if mime.exists():
        seeds["mime"].add(mime.read_bytes()[:4096])
    seeds["mime"].add(b"# types\ntext/x-a\ta A\napplication/x-b b c # comment\r\nimage/x-js js\n")
    log = [s for s in literals("AccessLogFormatTests.swift") if s and "\n" not in s]
    for i, s in enumerate(log):
        seeds["accesslog"].add(bytes([i & 0x3F, 200 - 100, 2]) + struct.pack("<q", 6) + latin1(s) + b"\0http://ref/\0curl/8.0")
    seeds["tls"].update(tls_seeds())
    total = 0
    for target, values in seeds.items():
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for value in values:
            (folder / hashlib.sha1(value).hexdigest()).write_bytes(value)
        total += len(values)
        print(f"{target}: {len(values)} seeds")
    print(f"total: {total} seeds in {CORPUS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
