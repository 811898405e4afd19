#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2046  # word splitting of space-separated lists is deliberate
# sites.sh: what several sites per daemon cost on the common path (issue 12's benchmark note): 1 KiB keep-alive
# requests per second (wrk -t1 -c64) of httpd serving one site, of the same binary with three <VirtualHost>
# blocks (requests for the last one, by Host, so the site is chosen on every request), and optionally of a
# baseline build (BASELINE=<commit>: the binary from before sites existed), interleaved over ROUNDS rounds with
# the order rotating; then user-space instructions per request of the one-site and three-site servers under
# callgrind (wrk -t1 -c8 for CG_SECONDS s), which a busy machine does not disturb the way it does req/s.
#
# How to run it: `make bench-sites` (installs what is missing, builds the release binary, runs this), or
#   bench/sites.sh
# Environment (all optional): HTTPD_BIN (default .build/release/httpd), BASELINE (a commit), DURATION (default 8),
# WARMUP (default 2), ROUNDS (default 3), CG_SECONDS (default 5; 0 skips callgrind), RESULTS_DIR.
# Output: RESULTS_DIR/sites.tsv (one row per run), sites-instructions.tsv, sites-meta.tsv and sites.md (the
# medians and ratios). Every process it starts is stopped by its PID on exit.
set -eu

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init sites

DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-3}
CG_SECONDS=${CG_SECONDS:-5}
CONNECTIONS=64
HTTPD_BIN=${HTTPD_BIN:-.build/release/httpd}
BASELINE=${BASELINE:-}
FILE=bench.html
HOST=c.example

bench_tools wrk curl python3
[ "$CG_SECONDS" -eq 0 ] || bench_tools valgrind strip
peer_bins httpd
whole_numbers DURATION WARMUP ROUNDS CG_SECONDS
SERVERS="httpd-1site httpd-3sites"
if [ -n "$BASELINE" ]; then
    baseline_build "$BASELINE"
    SERVERS="httpd-baseline $SERVERS"
    meta baseline_commit "$(git rev-parse --short "$BASELINE^{commit}")"
fi

set -- $(free_ports 3)
WWW=$TMP/www
mkdir -p "$WWW" "$TMP/a" "$TMP/b"
write_1k "$WWW/$FILE"
cp "$WWW/$FILE" "$TMP/a/$FILE"
cp "$WWW/$FILE" "$TMP/b/$FILE"

peer_setup httpd-1site httpd "$1"
peer_setup httpd-3sites httpd "$2"
# The same settings, plus three sites on the listener; the requests name the third (exact name, one lookup).
{
    cat "$TMP/httpd-3sites.conf"
    for site in a.example:$TMP/a b.example:$TMP/b c.example:$WWW; do
        printf '<VirtualHost *:%s>\n    ServerName %s\n    ServerAlias www.%s\n    DocumentRoot %s\n</VirtualHost>\n' \
            "$2" "${site%%:*}" "${site%%:*}" "${site#*:}"
    done
} > "$TMP/sites.conf"
mv "$TMP/sites.conf" "$TMP/httpd-3sites.conf"
"$HTTPD_BIN" -t -f "$TMP/httpd-3sites.conf" > "$TMP/check.log" 2>&1 || { cat "$TMP/check.log" >&2; die "httpd rejects the three-site configuration"; }
meta "conf:httpd-3sites.conf" "$(cat "$TMP/httpd-3sites.conf")"
[ -z "$BASELINE" ] || peer_setup httpd-baseline httpd "$3" "$BASELINE_BIN"

for s in $SERVERS; do peer_start "$s"; done
meta "callgrind" "$(shell_line valgrind --tool=callgrind --dump-instr=no --read-inline-info=no) (httpd-1site, httpd-3sites)"
for s in $SERVERS; do peer_wait_ready "$s" "$FILE"; done
for s in $SERVERS; do peer_verify "$s" "$FILE"; done
# The three-site server answers the third site's Host from that site's root (and 404 for what only the others have).
curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST" "$(peer_url httpd-3sites "$FILE")" | grep -qx 200 || die "httpd-3sites: Host $HOST not served"

LOAD=sites.tsv
tsv_header "$TMP/$LOAD" $LOAD_COLUMNS
for s in $SERVERS; do warm_up "$s" "$WARMUP" "$CONNECTIONS" "$FILE"; done
for round in $(seq "$ROUNDS"); do
    set -- $SERVERS
    for _ in $(seq $(((round - 1) % $#))); do set -- "${@:2}" "$1"; done
    pos=1
    for s in "$@"; do
        load_run "$TMP/$LOAD" "$s" ka1k "$round" "$pos" "$CONNECTIONS" no \
            wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -H "Host: $HOST" "$(peer_url "$s" "$FILE")"
        pos=$((pos + 1))
    done
done

# --- instructions per request under callgrind ----------------------------------------------------------
INSTR=sites-instructions.tsv
tsv_header "$TMP/$INSTR" server requests instructions instructions_per_request
if [ "$CG_SECONDS" -gt 0 ]; then
    callgrind_argv sites
    # (peer_start runs httpd under valgrind as a copy without debug information: see lib.sh.)
    for s in httpd-1site httpd-3sites; do
        peer_stop "$s"
        peer_start "$s" "${CALLGRIND_ARGV[@]}"
        peer_wait_ready "$s" "$FILE" 60
        wrk -t1 -c8 -d2s -H "Host: $HOST" "$(peer_url "$s" "$FILE")" > /dev/null 2>&1 || true
        cg_zero "$s"
        wrk -t1 -c8 -d"${CG_SECONDS}s" -H "Host: $HOST" "$(peer_url "$s" "$FILE")" > "$TMP/cg-wrk-$s.txt" 2>&1
        dump=$(cg_dump "$s")
        reqs=$(awk '/ requests in / { print $1 }' "$TMP/cg-wrk-$s.txt")
        total=$(cg_total "$dump")
        tsv_row "$TMP/$INSTR" "$s" "$reqs" "$total" "$((total / reqs))"
        peer_stop "$s"
    done
fi

meta_machine
for v in DURATION WARMUP ROUNDS CONNECTIONS SERVERS FILE HOST CG_SECONDS; do meta "setting:$v" "${!v}"; done
meta version:httpd "$("$HTTPD_BIN" -v 2>&1 | head -n 1)"
meta commit "$(git rev-parse --short HEAD)"
cp "$META" "$TMP/sites-meta.tsv"
publish_results "$LOAD" "$INSTR" sites-meta.tsv

# --- report: medians and ratios --------------------------------------------------------------------------
python3 - "$RESULTS_DIR" <<'PY'
import csv, statistics, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/sites.tsv"), delimiter="\t"))
meta = dict(l.rstrip("\n").split("\t", 1) for l in open(f"{d}/sites-meta.tsv") if "\t" in l)
servers = [s for s in ["httpd-baseline", "httpd-1site", "httpd-3sites"] if any(r["server"] == s for r in rows)]
med = {s: statistics.median(float(r["rps"]) for r in rows if r["server"] == s) for s in servers}
errs = {s: sum(int(r["errors"]) + int(r["non2xx"]) for r in rows if r["server"] == s) for s in servers}
out = ["# Several sites per daemon: what they cost (bench/sites.sh)", "",
       f"Commit {meta.get('commit', '?')}, {meta.get('setting:ROUNDS')} rounds of {meta.get('setting:DURATION')} s, "
       f"wrk -t1 -c64, 1 KiB keep-alive, requests for Host {meta.get('setting:HOST')} (the third site).", "",
       "| server | median req/s | runs | errors | vs one site |", "|---|---:|---:|---:|---:|"]
for s in servers:
    runs = ", ".join(f"{float(r['rps']):.0f}" for r in rows if r["server"] == s)
    out.append(f"| {s} | {med[s]:.0f} | {runs} | {errs[s]} | {med[s] / med['httpd-1site']:.3f} |")
try:
    ins = list(csv.DictReader(open(f"{d}/sites-instructions.tsv"), delimiter="\t"))
except FileNotFoundError:
    ins = []
if ins:
    out += ["", "User-space instructions per request (callgrind, wrk -t1 -c8):", "",
            "| server | requests | instructions per request |", "|---|---:|---:|"]
    for r in ins:
        out.append(f"| {r['server']} | {r['requests']} | {r['instructions_per_request']} |")
    one = next((int(r["instructions_per_request"]) for r in ins if r["server"] == "httpd-1site"), 0)
    three = next((int(r["instructions_per_request"]) for r in ins if r["server"] == "httpd-3sites"), 0)
    if one:
        out += ["", f"Three sites cost {three - one:+d} instructions per request ({(three - one) / one * 100:+.2f} %)."]
text = "\n".join(out) + "\n"
open(f"{d}/sites.md", "w").write(text)
print(text)
PY
