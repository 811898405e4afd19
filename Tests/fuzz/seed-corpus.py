#!/usr/bin/env python3
"""Seeds Tests/fuzz/corpus/<target>/ from the unit-test vectors: the string literals of the unit tests
(Tests/HTTPDaemonTests), unescaped and sorted to the targets that read them, plus a few hand-made inputs
(a request with each body framing, pipelined requests, the shipped httpd.conf, an excerpt of a mime.types).
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


def main():
    seeds = {t: set() for t in ["head", "request", "path", "ranges", "conditionals", "config", "mime", "accesslog"]}
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
