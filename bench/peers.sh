#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2046,SC2015  # word splitting of space-separated lists is deliberate
# peers.sh: httpd against the static-file servers people run in its place, on the same machine, in the same
# run, interleaved: nginx, lighttpd and h2o, each configured as its users run it for a static site.
#
# Servers (each started by this script in the foreground on its own free 127.0.0.1 port, from its own
# configuration in a temporary folder, as the current user, and stopped by PID on exit; see bench/lib.sh):
#   httpd      httpd -F (one process; AccessLog off)
#   nginx      Debian's nginx: master + 1 worker, sendfile, tcp_nopush, open_file_cache, access_log off
#   lighttpd   Debian's lighttpd 1.4 -D: one process, sendfile (its default network backend), no access log
#   h2o        Debian's h2o 2.2: one thread (num-threads 1), file.dir, no access log, no TLS
# Every one accepts PEER_CONNECTIONS connections (lighttpd: at most half its file descriptors), keeps idle
# keep-alive connections PEER_KEEPALIVE s and serves unlimited requests per connection (lighttpd: 65535).
#
# Rounds: every round starts every server afresh (round 1 from the checks, later rounds restarted) and
# warms it up, then runs every workload against every server in turn, the order of the servers rotating
# from one round to the next. Workloads (wrk -t1 --latency):
#   idle      idle memory (RSS, PSS, USS of all the server's processes, and RSS of its largest process)
#             after IDLE_SETTLE s of quiet, then the same with IDLE_CONNECTIONS idle keep-alive connections
#             open (bench/idle-conns.py: each sends one GET /1k.html, reads the response, stays open); and,
#             at the end of the round, the memory the server kept after all of the round's runs
#   ka1k      1 KiB file, keep-alive, 64 connections
#   ka1k-c1   1 KiB file, keep-alive, 1 connection
#   100k      100 KiB file, keep-alive, 64 connections
#   close1k   1 KiB file, a new connection per request (-H 'Connection: close'), 16 connections
#   10m       10 MiB file, keep-alive, 4 connections
#   c1000     1 KiB file, keep-alive, 1000 connections (latency percentiles; memory sampled under load)
# Server CPU comes from /proc/PID/stat (utime+stime of all the server's processes and threads) before and
# after each run. This script only starts servers, measures and appends TSV rows; bench/report.py computes
# the figures (medians over rounds, CPU per request and per MiB, per-connection memory, ratios to nginx,
# the goals) and writes RESULTS_DIR/peers.md.
#
# Run it with `make bench-peers` (installs what is missing, builds the release binary, runs this) or
#   bench/peers.sh
# Environment (all optional):
#   HTTPD_BIN          httpd binary, relative to the repo root (default .build/release/httpd)
#   NGINX_BIN, LIGHTTPD_BIN, H2O_BIN   binaries (default: found on PATH or in /usr/sbin)
#   SERVERS            a subset of "httpd nginx lighttpd h2o" (the ratios need nginx)
#   WORKLOADS          a subset of "idle ka1k ka1k-c1 100k close1k 10m c1000"
#   ROUNDS             rounds (default 2); medians over rounds are reported
#   DURATION           seconds per load run (default 10)
#   WARMUP             seconds of keep-alive load per server at the start of each round (default 2; 0: none)
#   IDLE_CONNECTIONS   idle connections of the idle test (default 10000)
#   IDLE_SETTLE        seconds of quiet before each idle memory reading (default 2)
#   PEER_CONNECTIONS   connection limit of every server (default 16384)
#   PEER_KEEPALIVE     idle keep-alive timeout of every server, seconds (default 120)
#   RESULTS_DIR        where the TSVs and the report go (default bench/results)
# Output in RESULTS_DIR: peers.tsv (load runs), peers-idle.tsv (idle test), peers-meta.tsv (machine,
# versions, commands, configurations), and from them peers.md. Fails (exit 1) only when it cannot run: a
# missing tool, a server that does not start, dies, or serves other bytes than the files.
set -eu

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init peers

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-2}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
IDLE_SETTLE=${IDLE_SETTLE:-2}
PEER_CONNECTIONS=${PEER_CONNECTIONS:-16384}
PEER_KEEPALIVE=${PEER_KEEPALIVE:-120}
SERVERS=${SERVERS:-httpd nginx lighttpd h2o}
WORKLOADS=${WORKLOADS:-idle ka1k ka1k-c1 100k close1k 10m c1000}
HTTPD_BIN=${HTTPD_BIN:-.build/release/httpd}
THREADS=1

# --- settings and tools ----------------------------------------------------------------------------
whole_numbers DURATION WARMUP ROUNDS IDLE_CONNECTIONS IDLE_SETTLE PEER_CONNECTIONS PEER_KEEPALIVE
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$IDLE_CONNECTIONS" -ge 1 ] || die "DURATION, ROUNDS and IDLE_CONNECTIONS must be at least 1"
for s in $SERVERS; do
    case $s in httpd|nginx|lighttpd|h2o) ;; *) die "unknown server '$s' in SERVERS (httpd nginx lighttpd h2o)" ;; esac
done
for w in $WORKLOADS; do
    case $w in idle|ka1k|ka1k-c1|100k|close1k|10m|c1000) ;; *) die "unknown workload '$w' in WORKLOADS" ;; esac
done
bench_tools wrk curl python3
peer_bins $SERVERS

# Every server and the idle client need a descriptor per connection: the limit goes up to the hard limit
# (inherited by everything started from here) and is written into the configurations.
PEER_NOFILE=$(raise_nofile)
case " $WORKLOADS " in
    *" idle "*) [ "$PEER_NOFILE" -ge $((IDLE_CONNECTIONS + 64)) ] \
        || die "the open-file limit is $PEER_NOFILE (hard limit $(ulimit -H -n)); the idle test needs $((IDLE_CONNECTIONS + 64)): raise the hard limit (ulimit -H -n) or lower IDLE_CONNECTIONS" ;;
esac
[ "$PEER_CONNECTIONS" -gt "$IDLE_CONNECTIONS" ] || die "PEER_CONNECTIONS ($PEER_CONNECTIONS) must be above IDLE_CONNECTIONS ($IDLE_CONNECTIONS)"

# --- files, configurations, servers ----------------------------------------------------------------
WWW=$TMP/www
mkdir -p "$WWW"
write_1k "$WWW/1k.html"
write_random "$WWW/100k.bin" 102400
write_random "$WWW/10m.bin" 10485760

set -- $(free_ports 4)
for s in httpd nginx lighttpd h2o; do
    case $s in httpd) p=$1 ;; nginx) p=$2 ;; lighttpd) p=$3 ;; h2o) p=$4 ;; esac
    case " $SERVERS " in *" $s "*) ;; *) continue ;; esac
    # nginx with its master process, as its users run it (master + 1 worker)
    peer_setup "$s" "$s" "$p"
done
for s in $SERVERS; do peer_start "$s"; done
for s in $SERVERS; do peer_wait_ready "$s" 1k.html; done
for s in $SERVERS; do peer_verify "$s" 1k.html 100k.bin 10m.bin; done
note "all servers serve the three files byte for byte: $SERVERS"

# --- clients ---------------------------------------------------------------------------------------
file_of() { case $1 in 100k) echo 100k.bin ;; 10m) echo 10m.bin ;; *) echo 1k.html ;; esac; }
conns_of() { case $1 in ka1k|100k) echo 64 ;; ka1k-c1) echo 1 ;; close1k) echo 16 ;; 10m) echo 4 ;; c1000) echo 1000 ;; idle) echo "$IDLE_CONNECTIONS" ;; esac; }
client_argv() { # client_argv WORKLOAD SERVER: the client's command line, in CLIENT_ARGV
    local u
    u=$(peer_url "$2" "$(file_of "$1")")
    case $1 in
        close1k) CLIENT_ARGV=(wrk -t"$THREADS" -c"$(conns_of "$1")" -d"${DURATION}s" --latency -H "Connection: close" "$u") ;;
        idle)    CLIENT_ARGV=(python3 bench/idle-conns.py "$u" "$IDLE_CONNECTIONS") ;;
        *)       CLIENT_ARGV=(wrk -t"$THREADS" -c"$(conns_of "$1")" -d"${DURATION}s" --latency "$u") ;;
    esac
}

IDLE_COLUMNS="server round position connections opened failed alive closed rss_kib pss_kib uss_kib processes rss_max_kib conns_rss_kib conns_pss_kib conns_uss_kib conns_processes conns_rss_max_kib cpu_ticks clk_tck settle_s first_error after_rss_kib after_pss_kib after_uss_kib after_processes after_rss_max_kib"
declare -A IDLE_ROW
# idle_run SERVER ROUND POSITION: the server's memory after IDLE_SETTLE s of quiet, then with
# IDLE_CONNECTIONS idle keep-alive connections open (after IDLE_SETTLE s more); kept in IDLE_ROW, written
# to peers-idle.tsv with the memory after the round (idle_after).
idle_run() {
    local s=$1 out=$TMP/idle-$1-$2.txt before rmax after amax t0 t1 rc=0 opened failed first_error alive closed
    settle "$s"
    pause "$IDLE_SETTLE"
    peer_alive "$s"
    before=$(svc_mem "$s"); rmax=$(svc_rss_max "$s"); t0=$(svc_ticks "$s")
    note "measuring $s: idle, round $2 (memory; then $IDLE_CONNECTIONS idle keep-alive connections)"
    client_argv idle "$s"
    "${CLIENT_ARGV[@]}" > "$out" 2>&1 &
    CLIENT_PID=$!
    for _ in $(seq 1800); do   # the client gives up after 120 s of opening
        grep -q '^ready ' "$out" && break
        kill -0 "$CLIENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^ready ' "$out" || { stop "$CLIENT_PID"; CLIENT_PID=""; cat "$out" >&2; die "the idle client did not get ready against $s"; }
    pause "$IDLE_SETTLE"
    after=$(svc_mem "$s"); amax=$(svc_rss_max "$s")
    kill -USR1 "$CLIENT_PID"
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    [ "$rc" -eq 0 ] && grep -q '^alive ' "$out" || { cat "$out" >&2; die "the idle client failed against $s (exit status $rc)"; }
    read -r _ opened failed first_error <<< "$(grep '^ready ' "$out")"
    read -r _ alive closed <<< "$(grep '^alive ' "$out")"
    peer_alive "$s"
    [ "$failed" -eq 0 ] || note "$s: $failed idle connections failed (the first: ${first_error//_/ })"
    [ "$closed" -eq 0 ] || note "$s: closed $closed of the $opened idle connections before they were counted"
    pause "$IDLE_SETTLE"   # the server closes its side of every connection
    t1=$(svc_ticks "$s")
    IDLE_ROW[$s]="$s $2 $3 $IDLE_CONNECTIONS $opened $failed $alive $closed $before $rmax $after $amax $((t1 - t0)) $HZ $IDLE_SETTLE $first_error"
}
# idle_after ROUND: after the round's runs, IDLE_SETTLE s of quiet, then each server's memory: one row of
# peers-idle.tsv per server (its idle_run figures, then these).
idle_after() {
    local s
    note "memory after round $1's runs"
    for s in $SERVERS; do settle "$s"; done
    pause "$IDLE_SETTLE"
    for s in $SERVERS; do
        peer_alive "$s"
        [ -n "${IDLE_ROW[$s]:-}" ] || continue
        tsv_row "$TMP/$IDLE" ${IDLE_ROW[$s]} $(svc_mem "$s") "$(svc_rss_max "$s")"
        IDLE_ROW[$s]=""
    done
}
# start_round ROUND: round 1 warms up the servers started above; later rounds restart them first, so that
# every round (its idle test above all) starts from a freshly started server.
start_round() {
    local s
    if [ "$1" -gt 1 ]; then
        note "round $1: restarting the servers"
        for s in $SERVERS; do peer_stop "$s"; peer_start "$s"; done
        for s in $SERVERS; do peer_wait_ready "$s" 1k.html; done
    fi
    for s in $SERVERS; do warm_up "$s" "$WARMUP" 64 1k.html; done
}

# --- measure ---------------------------------------------------------------------------------------
LOAD=peers.tsv IDLE=peers-idle.tsv
tsv_header "$TMP/$LOAD" $LOAD_COLUMNS
tsv_header "$TMP/$IDLE" $IDLE_COLUMNS
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    start_round "$round"
    # rotate the order: round 1 starts with the first server, round 2 with the second, ...
    set -- $SERVERS
    for _ in $(seq $(((round - 1) % $#))); do set -- "${@:2}" "$1"; done
    order="$*"
    for w in $WORKLOADS; do
        pos=1
        for s in $order; do
            if [ "$w" = idle ]; then
                idle_run "$s" "$round" "$pos"
            else
                mem=no; [ "$w" = c1000 ] && mem=yes
                client_argv "$w" "$s"
                load_run "$TMP/$LOAD" "$s" "$w" "$round" "$pos" "$(conns_of "$w")" "$mem" "${CLIENT_ARGV[@]}"
            fi
            pos=$((pos + 1))
        done
    done
    case " $WORKLOADS " in *" idle "*) idle_after "$round" ;; esac
done
meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- what the report needs besides the figures -------------------------------------------------------
meta_machine
for v in DURATION WARMUP ROUNDS THREADS SERVERS WORKLOADS IDLE_CONNECTIONS IDLE_SETTLE PEER_CONNECTIONS PEER_KEEPALIVE PEER_NOFILE; do
    meta "setting:$v" "${!v}"
done
meta_peer_versions $SERVERS
meta version:wrk "wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
meta version:python3 "$(python3 -V 2>&1)"
for w in $WORKLOADS; do
    for s in $SERVERS; do client_argv "$w" "$s"; meta "client:$w:$s" "$(shell_line "${CLIENT_ARGV[@]}")"; done
done
meta_logs 'raised RLIMIT_NOFILE|is ready to serve requests|\(server\.c\.[0-9]+\) server started' $SERVERS
cp "$META" "$TMP/peers-meta.tsv"

# --- report ----------------------------------------------------------------------------------------
publish_results "$LOAD" "$IDLE" peers-meta.tsv
python3 bench/report.py --results "$RESULTS_DIR" peers
