#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2046,SC2015  # word splitting of space-separated lists is deliberate
# compare-nginx.sh: throughput of httpd against nginx on the same machine, in the same run; optionally
# of two httpd builds (BASELINE) against nginx, interleaved.
#
# What it measures: requests per second that wrk gets from each server over loopback for one
# static file of exactly 1024 bytes, with keep-alive (`wrk -t1 -c64 -d${DURATION}s`), and the ratio
# httpd/nginx. Each server has one event loop (nginx worker_processes 1, master_process off; httpd as
# configured by default, with its Workers pool for file-system calls), serves the same file from the
# same temporary folder, logs nothing per request, and keeps connections alive for the whole run
# (unlimited requests per connection). It also records each server's CPU time and the errors wrk saw.
# This is a benchmark that reports figures, not a test: it fails only when it cannot run (missing
# tools, a server that does not start or serves the wrong bytes).
#
# How to run it: `make bench-nginx` (installs what is missing, builds the release binary, runs this), or
#   bench/compare-nginx.sh
# from anywhere. Environment (all optional):
#   HTTPD_BIN   httpd binary, relative to the repo root (default .build/release/httpd)
#   BASELINE    a commit (e.g. 2227db5): also benchmark the release binary of that commit, as
#               httpd-baseline, built once in a temporary git worktree and cached in
#               .build/baseline-<full hash>/httpd; the report adds the ratio httpd/httpd-baseline
#   HTTPD_BASELINE_BIN   an httpd binary to use as httpd-baseline instead (no build)
#   NGINX_BIN   nginx binary (default: nginx on PATH, else /usr/sbin/nginx)
#   DURATION    seconds each measurement lasts (default 10)
#   WARMUP      seconds of warm-up load before the first measurement of each server (default 2; 0: none)
#   ROUNDS      measurements per server; the order of the servers rotates from one round to the next;
#               the median is reported (default 1)
#   HTTPD_PORT, NGINX_PORT, HTTPD_BASELINE_PORT   ports on 127.0.0.1 (default: free ports picked by the kernel)
#   RESULTS_DIR where the results go (default bench/results)
# Output: RESULTS_DIR/compare-nginx.tsv (one row per measurement) and compare-nginx-meta.tsv, and from them
# (bench/report.py) the summary on stdout and in RESULTS_DIR/compare-nginx.txt. Every process it
# starts is stopped by its PID on exit.
set -eu

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init compare-nginx

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-1}
THREADS=1
CONNECTIONS=64
HTTPD_BIN=${HTTPD_BIN:-.build/release/httpd}
BASELINE=${BASELINE:-}
HTTPD_BASELINE_BIN=${HTTPD_BASELINE_BIN:-}
FILE=bench.html

# --- tools -------------------------------------------------------------------------------------
bench_tools wrk curl python3
[ -n "$(find_bin nginx "${NGINX_BIN:-}")" ] || bench_tools nginx
NGINX_BIN=$(abs "$(find_bin nginx "${NGINX_BIN:-}")")
[ -x "$HTTPD_BIN" ] || die "$HTTPD_BIN not found or not executable (build it: swift build -c release)"
whole_numbers DURATION WARMUP ROUNDS
[ "$DURATION" -gt 0 ] && [ "$ROUNDS" -gt 0 ] || die "DURATION and ROUNDS must be at least 1"
HTTPD_LABEL=$HTTPD_BIN
HTTPD_BIN=$(abs "$HTTPD_BIN")
[ -z "$BASELINE" ] || [ -z "$HTTPD_BASELINE_BIN" ] || die "set BASELINE or HTTPD_BASELINE_BIN, not both"
if [ -n "$BASELINE" ]; then
    baseline_build "$BASELINE"
    HTTPD_BASELINE_BIN=$BASELINE_BIN
    meta baseline_commit "$(git rev-parse --short "$BASELINE^{commit}")"
elif [ -n "$HTTPD_BASELINE_BIN" ]; then
    [ -x "$HTTPD_BASELINE_BIN" ] || die "HTTPD_BASELINE_BIN=$HTTPD_BASELINE_BIN is not an executable"
    HTTPD_BASELINE_BIN=$(abs "$HTTPD_BASELINE_BIN")
fi
SERVERS="httpd nginx"
[ -z "$HTTPD_BASELINE_BIN" ] || SERVERS="httpd-baseline httpd nginx"

# --- ports, the 1 KiB file, configurations, servers --------------------------------------------
set -- $(free_ports 3)
HTTPD_PORT=${HTTPD_PORT:-$1} NGINX_PORT=${NGINX_PORT:-$2} HTTPD_BASELINE_PORT=${HTTPD_BASELINE_PORT:-$3}
[ "$HTTPD_PORT" != "$NGINX_PORT" ] && [ "$HTTPD_PORT" != "$HTTPD_BASELINE_PORT" ] && [ "$NGINX_PORT" != "$HTTPD_BASELINE_PORT" ] \
    || die "HTTPD_PORT, NGINX_PORT and HTTPD_BASELINE_PORT must differ"
WWW=$TMP/www
mkdir -p "$WWW"
write_1k "$WWW/$FILE"

peer_setup httpd httpd "$HTTPD_PORT" "$HTTPD_BIN"
# master_process off: a single process (the event loop a worker runs) with a PID we own and can stop.
# It runs as the invoking user (no worker privilege drop), so it can read the mktemp -d folder.
peer_setup nginx nginx "$NGINX_PORT" "$NGINX_BIN" off
[ -z "$HTTPD_BASELINE_BIN" ] || peer_setup httpd-baseline httpd "$HTTPD_BASELINE_PORT" "$HTTPD_BASELINE_BIN"
for s in $SERVERS; do peer_start "$s"; done
for s in $SERVERS; do peer_wait_ready "$s" "$FILE"; done
# Each must serve the file: status 200, exactly 1024 bytes, identical to the file, over keep-alive.
for s in $SERVERS; do peer_verify "$s" "$FILE"; done

# --- measure --------------------------------------------------------------------------------------
LOAD=compare-nginx.tsv
tsv_header "$TMP/$LOAD" $LOAD_COLUMNS
for s in $SERVERS; do warm_up "$s" "$WARMUP" "$CONNECTIONS" "$FILE"; done
for round in $(seq "$ROUNDS"); do
    # rotate the order: round 1 starts with the first server, round 2 with the second, ...
    set -- $SERVERS
    for _ in $(seq $(((round - 1) % $#))); do set -- "${@:2}" "$1"; done
    pos=1
    for s in "$@"; do
        load_run "$TMP/$LOAD" "$s" ka1k "$round" "$pos" "$CONNECTIONS" no \
            wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "$(peer_url "$s" "$FILE")"
        pos=$((pos + 1))
    done
done

# --- what the report needs besides the figures -------------------------------------------------------
meta_machine
for v in DURATION WARMUP ROUNDS THREADS CONNECTIONS SERVERS FILE; do meta "setting:$v" "${!v}"; done
meta version:httpd "$("$HTTPD_BIN" -v 2>&1 | head -n 1)"
meta bin:httpd "$HTTPD_LABEL"
if [ -n "$HTTPD_BASELINE_BIN" ]; then
    meta version:httpd-baseline "$("$HTTPD_BASELINE_BIN" -v 2>&1 | head -n 1)"
    meta bin:httpd-baseline "${HTTPD_BASELINE_BIN#"$ROOT"/}"
fi
meta version:nginx "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')"
meta version:wrk "wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
for s in $SERVERS; do meta "client:ka1k:$s" "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s $(peer_url "$s" "$FILE")"; done
for s in $SERVERS; do
    case $s in httpd*) meta_log "$s" "$TMP/$s-stderr.log" ;; esac
done
cp "$META" "$TMP/compare-nginx-meta.tsv"

# --- report ----------------------------------------------------------------------------------------
publish_results "$LOAD" compare-nginx-meta.tsv
python3 bench/report.py --results "$RESULTS_DIR" compare-nginx
