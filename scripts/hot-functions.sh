#!/bin/sh
# Writes link/hot-functions.txt, the order in which the release link places functions (Package.swift):
# first every function of the binary that serving requests runs (stand-alone, after start-up), then those
# an inetd-mode process runs from start to exit, then the rest of start-up. Found by running the release
# binary under valgrind's callgrind (installed if missing) on the demo site: a foreground server, dumped once
# started, then 200 requests of every kind (files, ranges, conditionals, 404, a directory, monitoring),
# stopped by SIGTERM; and one inetd connection on a socketpair.
# usage: scripts/hot-functions.sh [BIN]   (default .build/release/httpd; rebuild it afterwards)
set -eu
cd "$(dirname "$0")/.."
bin=$(readlink -f "${1:-.build/release/httpd}" || true)
[ -n "$bin" ] && [ -x "$bin" ] || { echo "hot-functions: $bin not found (build it: make build)" >&2; exit 1; }
command -v valgrind >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends valgrind >/dev/null; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hot-functions.XXXXXX")
# Valgrind 3.19 gives up on the DWARF 5 parts of the toolchain's debug information: profile a copy without
# debug sections (the same code and symbol table).
strip --strip-debug -o "$tmp/httpd" "$bin"
bin=$tmp/httpd
vg=""
# KEEP=1 keeps the profiles (the folder is printed).
cleanup() {
    [ -z "$vg" ] || { kill "$vg" 2>/dev/null || true; wait "$vg" 2>/dev/null || true; }
    if [ -n "${KEEP:-}" ]; then echo "hot-functions: profiles kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# Stand-alone: start-up (dump 1), then serving until stopped (the final dump).
valgrind --tool=callgrind --demangle=no --read-inline-info=no --callgrind-out-file="$tmp/standalone.out" \
    "$bin" -F -f httpd.conf -c "Listen 127.0.0.1:0" -c "PidFile off" -c "ErrorLog $tmp/error.log" \
    -c "AccessLog $tmp/access.log combined" -c "DocumentRoot $PWD/www" > "$tmp/valgrind.log" 2>&1 &
vg=$!
for _ in $(seq 300); do grep -q "listening on" "$tmp/error.log" 2>/dev/null && break; sleep 0.1; done
port=$(grep -o "listening on http://127.0.0.1:[0-9]*" "$tmp/error.log" | head -n 1 | cut -d: -f3)
[ -n "$port" ] || { cat "$tmp/valgrind.log" "$tmp/error.log" >&2; exit 1; }
sleep 1
callgrind_control --dump=startup "$vg" > /dev/null 2>&1
python3 - "$port" <<'EOF'
import re, socket, sys, time
port = int(sys.argv[1])
paths = ["/", "/style.css", "/404.html", "/nothing", "/docs/", "/docs", "/images/", "/healthz", "/readyz",
         "/server-status", "/server-status?auto", "/server-status?format=json", "/metrics", "/index.html"]
extras = ["", "Range: bytes=0-10\r\n", "Range: bytes=0-1,5-6\r\n", "If-None-Match: *\r\n",
          "If-Modified-Since: Sun, 01 Jan 2090 00:00:00 GMT\r\n", "Accept-Encoding: gzip, br\r\n"]
def get(s, path, extra, method="GET"):
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?i)content-length: (\d+)", head)
    n = int(m.group(1)) if m and method == "GET" and not head.startswith(b"HTTP/1.1 304") else 0
    while len(body) < n:
        body += s.recv(65536)
for r in range(len(extras) * 2):
    with socket.create_connection(("127.0.0.1", port)) as s:
        for p in paths:
            get(s, p, extras[r % len(extras)], "HEAD" if r == len(extras) else "GET")
    time.sleep(0.05)
time.sleep(2.5)
EOF
kill -TERM "$vg"
wait "$vg" || true
vg=""

# inetd mode: one connection from exec to exit.
python3 - "$bin" "$tmp" <<'EOF'
import socket, subprocess, sys
binary, tmp = sys.argv[1], sys.argv[2]
a, b = socket.socketpair()
a.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
p = subprocess.Popen(["valgrind", "--tool=callgrind", "--demangle=no", "--read-inline-info=no",
                      f"--callgrind-out-file={tmp}/inetd.out", binary, "--inetd", "-f", "httpd.conf",
                      "-c", f"ErrorLog {tmp}/inetd-error.log", "-c", "AccessLog off", "-c", "PidFile off"],
                     stdin=b, stdout=b, stderr=subprocess.DEVNULL)
b.close()
while a.recv(65536):
    pass
a.close()
p.wait()
EOF

# The binary's functions with a cost in each profile, in order of appearance; callgrind compresses names
# across the dumps of one run, so each run's files are read in sequence.
python3 - "$bin" "$tmp/standalone.out.1" "$tmp/standalone.out" -- "$tmp/inetd.out" > link/hot-functions.txt <<'EOF'
import re, sys
binary = sys.argv[1]
def scan(paths):
    objects, names, found = {}, {}, []
    for path in paths:
        current, seen, out = None, set(), []
        for line in open(path, errors="replace"):
            m = re.match(r"(c?ob|c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if not m:
                continue
            kind, ident, name = m.groups()
            table = objects if kind.endswith("ob") else names
            if name:
                table[ident] = name
            if kind == "ob":
                current = objects.get(ident)
            elif kind == "fn" and current == binary:
                fn = re.sub(r"'\d+$", "", names.get(ident, ""))
                if fn and not fn.startswith("0x") and fn not in seen:  # 0x...: code without a symbol
                    seen.add(fn)
                    out.append(fn)
        found.append(out)
    return found
split = sys.argv.index("--")
startup, serving = scan(sys.argv[2:split])
inetd, = scan(sys.argv[split + 1:])
# Each profile must have run what it is for: reading a request (a truncated profile gives a short list).
for name, functions in (("serving", serving), ("inetd", inetd)):
    if not any("transportReadable" in fn for fn in functions):
        sys.exit(f"hot-functions: the {name} profile has no request in it ({len(functions)} functions)")
done = set()
for fn in serving + inetd + startup:
    if fn not in done:
        done.add(fn)
        print(fn)
EOF
echo "hot-functions: $(wc -l < link/hot-functions.txt) functions in link/hot-functions.txt (rebuild to use them)"
