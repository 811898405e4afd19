#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2046,SC2015  # word splitting of space-separated lists is deliberate
# standalone-vs-inetd.sh: the cost of running a static-file server stand-alone (always resident)
# against starting it per connection from the inetd super-server, measured on loopback.
#
# Servers (each started by this script on its own free 127.0.0.1 port, from its own configuration in
# a temporary folder, and stopped by PID on exit; see bench/lib.sh):
#   httpd          httpd -F (stand-alone, one process)
#   httpd-inetd    httpd --inetd under xinetd (wait = no: one httpd process per connection)
#   nginx          Debian's nginx, stand-alone (master + 1 worker, access_log off, sendfile on)
#   busybox-inetd  busybox httpd -i under xinetd (one process per request: busybox has no keep-alive)
# Each xinetd runs with its own config (xinetd -dontfork -f FILE), instances/per_source UNLIMITED and
# cps 1000000, no per-connection logging and no libwrap, so xinetd's throttles are not what is measured.
# HTTPS part (HTTPS=1, the default), servers of its own with the same ECDSA P-256 certificate, made here with
# openssl (self-signed, for 127.0.0.1), and the same TLS settings (bench/lib.sh's PEER_TLS_*: TLS 1.2 and 1.3,
# session tickets and a session cache):
#   httpd-tls        httpd -F with a `Listen ... tls` listener
#   httpd-inetd-tls  httpd --inetd with the TLS directives under xinetd: every connection starts a process that
#                    loads OpenSSL, reads the certificate and key and makes a full handshake (it cannot resume a
#                    session: each process has its own ticket keys)
#   nginx-tls        nginx as above, `listen ... ssl`
#
# Workloads (wrk -t1 unless said):
#   ka1k        1 KiB file, keep-alive, $CONNECTIONS connections
#   close1k     1 KiB file, a new connection per request: wrk -H 'Connection: close', $CLOSE_CONNECTIONS connections
#   close1k-ab  the same with ab (HTTP/1.0, no -k), as a cross-check of wrk's figure
#   100k        100 KiB file, keep-alive, $CONNECTIONS connections
#   10m         10 MiB file, keep-alive, $CONNECTIONS connections
#   then: cold time to first byte (curl, a new connection after a pause, $TTFB_SAMPLES times),
#   the start-up cost of each binary, and idle cost (resident memory of all the service's processes,
#   super-server included, and CPU time over $IDLE_SECONDS s of idleness).
# HTTPS workloads ($DURATION s each):
#   full     a new TLS connection per request, a full handshake each time: $HANDSHAKE_CLIENTS parallel
#            `openssl s_time -new -www /1k.html` (one HTTP/1.0 GET of the 1 KiB file per connection)
#   resumed  the same with `s_time -reuse`: every connection resumes the first one's session (what browsers get
#            from a resident daemon); httpd --inetd cannot resume, so its connections stay full handshakes
#            (measured anyway: the report shows how many the client saw resumed)
#   ka1k     1 KiB over TLS, keep-alive, wrk -c$CONNECTIONS
#   then: cold time to first byte over HTTPS (curl, a new connection and a full handshake after a pause,
#   $TTFB_SAMPLES times), and the idle cost of the TLS servers (measured with the others).
# Server CPU comes from the processes' own accounting (/proc/PID/stat): utime+stime of the server's
# processes, plus cutime+cstime of the top process (xinetd reaps its per-connection children, so their
# whole CPU time lands there), before and after each run.
#
# This script only starts servers, measures and appends TSV rows; bench/report.py then computes every
# figure (per-request CPU, medians, break-even) and writes the reports.
#
# Run it with `make bench` (installs what is missing, builds the release binary, runs this) or
#   bench/standalone-vs-inetd.sh
# Environment (all optional):
#   HTTPD_BIN           httpd binary, relative to the repo root (default .build/release/httpd)
#   DURATION            seconds per measured run (default 10)
#   WARMUP              seconds of keep-alive load per server before the first run (default 1; 0: none)
#   CONNECTIONS         wrk connections for keep-alive runs (default 64)
#   CLOSE_CONNECTIONS   concurrent clients for the new-connection runs, every server alike (default 16:
#                       16 concurrent process starts already keep 2 CPUs busy; 64 gave the same rate under
#                       xinetd with 3.5 times the latency, i.e. it only adds queueing)
#   IDLE_SECONDS        length of the idle measurement (default 60)
#   TTFB_SAMPLES        cold requests per server (default 21), TTFB_PAUSE seconds of quiet before each (default 1)
#   STARTUP_RUNS        runs of each command in the start-up cost table (default 50)
#   GB_PER_VCPU         price of 1 vCPU in GB of RAM, for the break-even model (default 9: AWS Fargate's
#                       list prices, $0.04048 per vCPU-hour and $0.004445 per GB-hour)
#   SERVERS, WORKLOADS  subsets of the lists above, space separated
#   HTTPS               1 (default): also the HTTPS part; 0: plain HTTP only; only: the HTTPS part alone, added to the
#                       plain part already in RESULTS_DIR (its TSVs are left as they are; the report says the two
#                       parts come from different runs)
#   HTTPS_SERVERS, HTTPS_WORKLOADS   subsets of "httpd-tls httpd-inetd-tls nginx-tls" and "full resumed ka1k"
#   HANDSHAKE_CLIENTS   parallel s_time clients in full and resumed (default 2, as bench/tls.sh)
#   NGINX_BIN, XINETD_BIN, BUSYBOX_BIN   binaries (default: found on PATH or in /usr/sbin)
#   RESULTS_DIR         where the TSVs and reports go (default bench/results)
#   DOC                 the page whose generated section is rewritten (default docs/standalone-vs-inetd.md
#                       when RESULTS_DIR is bench/results, else RESULTS_DIR/standalone-vs-inetd.md, a copy)
# Output in RESULTS_DIR: standalone-vs-inetd.tsv (load runs), standalone-vs-inetd-ttfb.tsv,
# standalone-vs-inetd-startup.tsv, standalone-vs-inetd-servers.tsv, standalone-vs-inetd-meta.tsv; for the HTTPS
# part standalone-vs-inetd-tls.tsv (wrk), -tls-handshakes.tsv (s_time), -tls-ttfb.tsv, -tls-servers.tsv and
# -tls-meta.tsv (its own date, settings, commands and configurations); and from them (bench/report.py)
# REPORT.md, standalone-vs-inetd.png and .dat, and the generated part of DOC.
# Fails (exit 1) only when it cannot run: a missing tool, a server that does not start, dies, or serves
# other bytes than the files.
set -eu

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init standalone-vs-inetd

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-64}
CLOSE_CONNECTIONS=${CLOSE_CONNECTIONS:-16}
THREADS=1
IDLE_SECONDS=${IDLE_SECONDS:-60}
TTFB_SAMPLES=${TTFB_SAMPLES:-21}
TTFB_PAUSE=${TTFB_PAUSE:-1}
STARTUP_RUNS=${STARTUP_RUNS:-50}
GB_PER_VCPU=${GB_PER_VCPU:-9}
SERVERS=${SERVERS:-httpd httpd-inetd nginx busybox-inetd}
WORKLOADS=${WORKLOADS:-ka1k close1k close1k-ab 100k 10m}
HTTPS=${HTTPS:-1}
HTTPS_SERVERS=${HTTPS_SERVERS:-httpd-tls httpd-inetd-tls nginx-tls}
HTTPS_WORKLOADS=${HTTPS_WORKLOADS:-full resumed ka1k}
HANDSHAKE_CLIENTS=${HANDSHAKE_CLIENTS:-2}
HTTPD_BIN=${HTTPD_BIN:-.build/release/httpd}
if [ "$RESULTS_DIR" = bench/results ]; then DOC=${DOC:-docs/standalone-vs-inetd.md}; else DOC=${DOC:-$RESULTS_DIR/standalone-vs-inetd.md}; fi

# --- settings and tools ----------------------------------------------------------------------------
whole_numbers DURATION WARMUP CONNECTIONS CLOSE_CONNECTIONS IDLE_SECONDS TTFB_SAMPLES STARTUP_RUNS HANDSHAKE_CLIENTS
[ "$DURATION" -ge 2 ] || die "DURATION must be at least 2"
[ "$CONNECTIONS" -ge 1 ] && [ "$CLOSE_CONNECTIONS" -ge 1 ] && [ "$TTFB_SAMPLES" -ge 1 ] && [ "$STARTUP_RUNS" -ge 1 ] \
    && [ "$HANDSHAKE_CLIENTS" -ge 1 ] || die "CONNECTIONS, CLOSE_CONNECTIONS, TTFB_SAMPLES, STARTUP_RUNS and HANDSHAKE_CLIENTS must be at least 1"
case "$TTFB_PAUSE$GB_PER_VCPU" in *[!0-9.]*) die "TTFB_PAUSE and GB_PER_VCPU must be numbers" ;; esac
for s in $SERVERS; do
    case $s in httpd|httpd-inetd|nginx|busybox-inetd) ;; *) die "unknown server '$s' in SERVERS" ;; esac
done
for w in $WORKLOADS; do
    case $w in ka1k|close1k|close1k-ab|100k|10m) ;; *) die "unknown workload '$w' in WORKLOADS" ;; esac
done
for s in $HTTPS_SERVERS; do
    case $s in httpd-tls|httpd-inetd-tls|nginx-tls) ;; *) die "unknown server '$s' in HTTPS_SERVERS (httpd-tls httpd-inetd-tls nginx-tls)" ;; esac
done
for w in $HTTPS_WORKLOADS; do
    case $w in full|resumed|ka1k) ;; *) die "unknown workload '$w' in HTTPS_WORKLOADS (full resumed ka1k)" ;; esac
done
case $HTTPS in
    0) HTTPS_SERVERS="" ;;
    1) ;;
    only) SERVERS=""   # the plain part stays as the last full run left it
          [ -f "$RESULTS_DIR/standalone-vs-inetd-meta.tsv" ] \
              || die "HTTPS=only adds the HTTPS part to the plain part of an earlier run, and $RESULTS_DIR has none (run with HTTPS=1)" ;;
    *) die "HTTPS must be 0, 1 or only (got '$HTTPS')" ;;
esac
[ -n "$SERVERS$HTTPS_SERVERS" ] || die "no server to measure"

[ -n "$(find_bin nginx "${NGINX_BIN:-}")" ] && [ -n "$(find_bin xinetd "${XINETD_BIN:-}")" ] \
    && [ -n "$(find_bin busybox "${BUSYBOX_BIN:-}")" ] || bench_tools nginx xinetd busybox
bench_tools wrk ab curl gnuplot ps python3
[ -z "$HTTPS_SERVERS" ] || bench_tools openssl
NGINX_BIN=$(find_bin nginx "${NGINX_BIN:-}");       [ -n "$NGINX_BIN" ] || die "nginx not found"
XINETD_BIN=$(find_bin xinetd "${XINETD_BIN:-}");    [ -n "$XINETD_BIN" ] || die "xinetd not found"
BUSYBOX_BIN=$(find_bin busybox "${BUSYBOX_BIN:-}"); [ -n "$BUSYBOX_BIN" ] || die "busybox not found"
[ -x "$HTTPD_BIN" ] || die "$HTTPD_BIN not found or not executable (build it: swift build -c release)"
HTTPD_BIN=$(abs "$HTTPD_BIN"); NGINX_BIN=$(abs "$NGINX_BIN"); XINETD_BIN=$(abs "$XINETD_BIN")
BUSYBOX_BIN=$(abs "$BUSYBOX_BIN")

# --- files, configurations, servers ----------------------------------------------------------------
WWW=$TMP/www
mkdir -p "$WWW"
write_1k "$WWW/1k.html"
write_random "$WWW/100k.bin" 102400
write_random "$WWW/10m.bin" 10485760
file_of() { case $1 in ka1k|close1k|close1k-ab) echo 1k.html ;; 100k) echo 100k.bin ;; 10m) echo 10m.bin ;; esac; }

# The HTTPS part's metadata goes into a file of its own (META=$TLS_META for its meta calls): with HTTPS=only
# it is published alone, next to the plain part's.
TLS_META=$TMP/standalone-vs-inetd-tls-meta.tsv
tsv_header "$TLS_META" key value
tls_meta() { META=$TLS_META "$@"; }   # tls_meta CMD...: CMD with its meta rows into the HTTPS part's file

set -- $(free_ports 7)
if [ "$HTTPS" != only ]; then
    for s in httpd httpd-inetd nginx busybox-inetd; do
        case $s in httpd) p=$1 ;; httpd-inetd) p=$2 ;; nginx) p=$3 ;; busybox-inetd) p=$4 ;; esac
        peer_setup "$s" "$s" "$p"
    done
fi
if [ -n "$HTTPS_SERVERS" ]; then
    # one certificate for all, as bench/tls.sh makes it: ECDSA P-256, self-signed, for 127.0.0.1 and localhost
    tls_make_cert "$TMP/tls" ecdsa -newkey ec -pkeyopt ec_paramgen_curve:P-256
    PEER_TLS_CERT=$TMP/tls/ecdsa.crt PEER_TLS_KEY=$TMP/tls/ecdsa.key
    for s in $HTTPS_SERVERS; do
        case $s in httpd-tls) k=httpd p=$5 ;; httpd-inetd-tls) k=httpd-inetd p=$6 ;; nginx-tls) k=nginx p=$7 ;; esac
        tls_meta peer_setup "$s" "$k" "$p"
    done
    TLS_CERT=$PEER_TLS_CERT
    PEER_TLS_CERT="" PEER_TLS_KEY=""   # (a server set up from here on would be plain)
fi
for s in $SERVERS $HTTPS_SERVERS; do peer_start "$s"; done
for s in $SERVERS $HTTPS_SERVERS; do peer_wait_ready "$s" 1k.html; done
for s in $SERVERS; do peer_verify "$s" 1k.html 100k.bin 10m.bin; done
[ -z "$SERVERS" ] || note "all servers serve the three files byte for byte: $SERVERS"
if [ -n "$HTTPS_SERVERS" ]; then
    for s in $HTTPS_SERVERS; do peer_verify "$s" 1k.html 100k.bin; tls_meta tls_check "$s"; done
    note "the HTTPS servers speak TLS 1.3 and serve the files byte for byte over it: $HTTPS_SERVERS"
fi

LOAD=standalone-vs-inetd.tsv TTFB=standalone-vs-inetd-ttfb.tsv STARTUP=standalone-vs-inetd-startup.tsv
PER_SERVER=standalone-vs-inetd-servers.tsv
TLS_LOAD=standalone-vs-inetd-tls.tsv TLS_HS=standalone-vs-inetd-tls-handshakes.tsv TLS_TTFB=standalone-vs-inetd-tls-ttfb.tsv
TLS_PER_SERVER=standalone-vs-inetd-tls-servers.tsv
tsv_header "$TMP/$LOAD" $LOAD_COLUMNS
tsv_header "$TMP/$TTFB" server sample connect_s ttfb_s status
tsv_header "$TMP/$STARTUP" key label runs wall_ns user_s sys_s
tsv_header "$TMP/$TLS_LOAD" $LOAD_COLUMNS
tsv_header "$TMP/$TLS_HS" $HS_COLUMNS
tsv_header "$TMP/$TLS_TTFB" server sample connect_s appconnect_s ttfb_s status
declare -A START_MEM TTFB_TICKS
for s in $SERVERS $HTTPS_SERVERS; do START_MEM[$s]=$(svc_mem "$s"); done

# --- load runs -------------------------------------------------------------------------------------
client_argv() { # client_argv WORKLOAD SERVER: the client's command line, in CLIENT_ARGV
    local u
    u=$(peer_url "$2" "$(file_of "$1")")
    case $1 in
        ka1k|100k|10m) CLIENT_ARGV=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$u") ;;
        close1k)       CLIENT_ARGV=(wrk -t"$THREADS" -c"$CLOSE_CONNECTIONS" -d"${DURATION}s" --latency -H "Connection: close" "$u") ;;
        # ab allocates a record per request up front (-n), and stops at -t seconds or -n requests
        close1k-ab)    CLIENT_ARGV=(ab -q -r -t "$DURATION" -n $((DURATION * 50000)) -c "$CLOSE_CONNECTIONS" "$u") ;;
    esac
}
client_cmd() { client_argv "$@"; shell_line "${CLIENT_ARGV[@]}"; }   # the same as one line of shell
tls_client_argv() { # tls_client_argv WORKLOAD SERVER: the HTTPS client's command line (one of the parallel ones for s_time)
    case $1 in
        full)    CLIENT_ARGV=(openssl s_time -connect "127.0.0.1:${PEER_PORT[$2]}" -new -www /1k.html -time "$DURATION") ;;
        resumed) CLIENT_ARGV=(openssl s_time -connect "127.0.0.1:${PEER_PORT[$2]}" -reuse -www /1k.html -time "$DURATION") ;;
        ka1k)    CLIENT_ARGV=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$(peer_url "$2" 1k.html)") ;;
    esac
}

if [ "$WARMUP" -gt 0 ]; then
    for s in $SERVERS; do warm_up "$s" "$WARMUP" "$CONNECTIONS" 1k.html; done
fi

meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
i=0
[ -n "$SERVERS" ] || WORKLOADS=""   # HTTPS=only
for w in $WORKLOADS; do
    # rotate the order of the servers from one workload to the next
    set -- $SERVERS
    for _ in $(seq $((i % $#))); do set -- "${@:2}" "$1"; done
    pos=1
    for s in "$@"; do
        conns=$CONNECTIONS; case $w in close1k*) conns=$CLOSE_CONNECTIONS ;; esac
        client_argv "$w" "$s"
        load_run "$TMP/$LOAD" "$s" "$w" 1 "$pos" "$conns" yes "${CLIENT_ARGV[@]}"
        pos=$((pos + 1))
    done
    i=$((i + 1))
done

# --- cold time to first byte -----------------------------------------------------------------------
# A new connection after TTFB_PAUSE seconds of quiet, TTFB_SAMPLES times per server (servers in turn).
# curl's time_starttransfer runs from the start of the connection to the first response byte: for the
# inetd services it includes xinetd's accept and fork and the server's exec and start-up.
for s in $SERVERS; do settle "$s"; TTFB_TICKS[$s]=$(svc_ticks "$s"); done
[ -z "$SERVERS" ] || note "cold time to first byte: $TTFB_SAMPLES samples per server, ${TTFB_PAUSE}s pause before each"
for k in $( [ -z "$SERVERS" ] || seq "$TTFB_SAMPLES"); do
    pause "$TTFB_PAUSE"
    set -- $SERVERS
    for _ in $(seq $((k % $#))); do set -- "${@:2}" "$1"; done
    for s in "$@"; do
        got=$(curl -s -o /dev/null --max-time 10 -w '%{time_connect} %{time_starttransfer} %{http_code}' \
            "$(peer_url "$s" 1k.html)") || die "$s: curl failed during the TTFB samples"
        read -r c t code <<< "$got"
        [ "$code" = 200 ] || die "$s: a TTFB sample was not 200 ($code)"
        tsv_row "$TMP/$TTFB" "$s" "$k" "$c" "$t" "$code"
        pause "$TTFB_PAUSE"
    done
done
for s in $SERVERS; do
    settle "$s"
    peer_alive "$s"
    TTFB_TICKS[$s]=$(( $(svc_ticks "$s") - ${TTFB_TICKS[$s]} ))
done

# --- start-up cost of one process ------------------------------------------------------------------
# CPU (the shell's `times` for its children) and wall time, STARTUP_RUNS runs of each command.
startup_cost() { # startup_cost KEY LABEL CMD...
    local key=$1 label=$2 t0 t1 cpu; shift 2
    t0=$(date +%s%N)
    cpu=$( (for _ in $(seq "$STARTUP_RUNS"); do "$@" < /dev/null > /dev/null 2>&1 || true; done; times) | awk '
        function sec(v,  a) { split(v, a, /[ms]/); return a[1] * 60 + a[2] }
        NR == 2 { printf "%.3f %.3f", sec($1), sec($2) }')
    t1=$(date +%s%N)
        tsv_row "$TMP/$STARTUP" "$key" "$label" "$STARTUP_RUNS" $((t1 - t0)) $cpu
}
if [ "$HTTPS" != only ]; then
    note "start-up cost: $STARTUP_RUNS runs of each command"
    startup_cost true "/bin/true (fork + exec floor)" /bin/true
    startup_cost busybox-true "busybox true" "$BUSYBOX_BIN" true
    startup_cost httpd-version "httpd --version (Swift runtime, dynamic linking)" "$HTTPD_BIN" --version
    startup_cost httpd-t "httpd -t -f httpd-inetd.conf (+ configuration, /etc/mime.types)" "$HTTPD_BIN" -t -f "$TMP/httpd-inetd.conf"
    startup_cost httpd-t-builtin "httpd -t ... -c 'TypesConfig builtin' (the same without /etc/mime.types)" "$HTTPD_BIN" -t -f "$TMP/httpd-inetd.conf" -c "TypesConfig builtin"
fi

# --- HTTPS: a new TLS connection per request, cold time to first byte, keep-alive ---------------------
# The same accounting as above; s_time's runs through lib.sh's handshake_run (one row each, with how many
# connections the client saw resumed and, for the stand-alone httpd, its own handshake counters).
if [ -n "$HTTPS_SERVERS" ]; then
    if [ "$WARMUP" -gt 0 ]; then
        for s in $HTTPS_SERVERS; do warm_up "$s" "$WARMUP" "$CONNECTIONS" 1k.html; done
    fi
    tls_meta meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
    i=0
    for w in $HTTPS_WORKLOADS; do
        set -- $HTTPS_SERVERS
        for _ in $(seq $((i % $#))); do set -- "${@:2}" "$1"; done
        pos=1
        for s in "$@"; do
            tls_client_argv "$w" "$s"
            case $w in
                full|resumed) handshake_run "$TMP/$TLS_HS" "$s" "$w" 1 "$pos" "$HANDSHAKE_CLIENTS" "${CLIENT_ARGV[@]}" ;;
                *)            load_run "$TMP/$TLS_LOAD" "$s" "$w" 1 "$pos" "$CONNECTIONS" yes "${CLIENT_ARGV[@]}" ;;
            esac
            pos=$((pos + 1))
        done
        i=$((i + 1))
    done

    # cold time to first byte over HTTPS: as above, curl (a new process: no session to resume, so a full
    # handshake every time); time_appconnect is the end of the handshake
    for s in $HTTPS_SERVERS; do settle "$s"; TTFB_TICKS[$s]=$(svc_ticks "$s"); done
    note "cold time to first byte over HTTPS: $TTFB_SAMPLES samples per server, ${TTFB_PAUSE}s pause before each"
    for k in $(seq "$TTFB_SAMPLES"); do
        pause "$TTFB_PAUSE"
        set -- $HTTPS_SERVERS
        for _ in $(seq $((k % $#))); do set -- "${@:2}" "$1"; done
        for s in "$@"; do
            got=$(curl -s $(peer_curl_tls "$s") -o /dev/null --max-time 10 \
                -w '%{time_connect} %{time_appconnect} %{time_starttransfer} %{http_code}' \
                "$(peer_url "$s" 1k.html)") || die "$s: curl failed during the TTFB samples"
            read -r c a t code <<< "$got"
            [ "$code" = 200 ] || die "$s: a TTFB sample was not 200 ($code)"
            tsv_row "$TMP/$TLS_TTFB" "$s" "$k" "$c" "$a" "$t" "$code"
            pause "$TTFB_PAUSE"
        done
    done
    for s in $HTTPS_SERVERS; do
        settle "$s"
        peer_alive "$s"
        TTFB_TICKS[$s]=$(( $(svc_ticks "$s") - ${TTFB_TICKS[$s]} ))
    done
    # what the resident httpd counted (its status page), and the libssl each resident server mapped
    case " $HTTPS_SERVERS " in
        *" httpd-tls "*) tls_meta meta status:httpd-tls "$(curl -s $(peer_curl_tls httpd-tls) --max-time 10 "$(peer_url httpd-tls 'server-status?format=json')" \
                             | python3 -c 'import json, sys; t = json.load(sys.stdin)["tls"]; print("handshakes %s, resumed %s, failures %s, file bodies: %s" % (t["handshakes"], t["resumed"], t["failures"], t.get("file_path", "?")))' || echo '?')" ;;
    esac
    for s in $HTTPS_SERVERS; do
        tls_meta meta "libssl:$s" "$(for p in $(svc_pids "$s"); do awk '$6 ~ /libssl/ { print $6; exit }' "/proc/$p/maps" 2>/dev/null; done | sort -u | paste -sd ' ')"
    done
fi

# --- idle cost -------------------------------------------------------------------------------------
# CPU from schedstat (ns) when no thread came or went, else from clock ticks; wake-ups: context switches.
note "idle cost: ${IDLE_SECONDS}s with no requests"
# Every server at once, the HTTPS ones included (their rows go to their own TSV).
for s in $SERVERS $HTTPS_SERVERS; do settle "$s"; done
pause 2
declare -A IDLE0
for s in $SERVERS $HTTPS_SERVERS; do IDLE0[$s]="$(svc_ticks "$s") $(svc_sched "$s") $(svc_switches "$s")"; done
pause "$IDLE_SECONDS"
for f in "$PER_SERVER" "$TLS_PER_SERVER"; do
    tsv_header "$TMP/$f" server rss_start_kib pss_start_kib uss_start_kib processes_start \
        ttfb_samples ttfb_cpu_ticks idle_s idle_rss_kib idle_pss_kib idle_uss_kib idle_processes \
        idle_cpu_ns idle_cpu_ticks idle_same_threads idle_switches clk_tck
done
for s in $SERVERS $HTTPS_SERVERS; do
    peer_alive "$s"
    read -r k0 ns0 tasks0 sw0 <<< "${IDLE0[$s]}"
    k1=$(svc_ticks "$s"); read -r ns1 tasks1 <<< "$(svc_sched "$s")"; sw1=$(svc_switches "$s")
    same=0; [ "$tasks0" = "$tasks1" ] && same=1
    f=$PER_SERVER; case " $HTTPS_SERVERS " in *" $s "*) f=$TLS_PER_SERVER ;; esac
    tsv_row "$TMP/$f" "$s" ${START_MEM[$s]} "$TTFB_SAMPLES" "${TTFB_TICKS[$s]}" "$IDLE_SECONDS" \
        $(svc_mem "$s") $((ns1 - ns0)) $((k1 - k0)) "$same" $((sw1 - sw0)) "$HZ"
done
meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
tls_meta meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- what the report needs besides the figures -------------------------------------------------------
meta_machine
for v in DURATION WARMUP CONNECTIONS CLOSE_CONNECTIONS THREADS IDLE_SECONDS TTFB_SAMPLES TTFB_PAUSE STARTUP_RUNS GB_PER_VCPU SERVERS WORKLOADS; do
    meta "setting:$v" "${!v}"
done
meta version:httpd "$("$HTTPD_BIN" -v 2>&1 | head -n 1)"
meta version:nginx "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //') (Debian $(v_debian nginx-light))"
meta version:xinetd "xinetd $("$XINETD_BIN" -version 2>&1 | head -n 1 | awk '{ print $1 }') (Debian $(v_debian xinetd))"
meta version:busybox "$("$BUSYBOX_BIN" 2>&1 | head -n 1 | sed 's/ multi-call binary\.*//')"
meta version:wrk "wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
meta version:ab "$(ab -V 2>&1 | awk 'NR == 1 { print "ab", $5 }' | tr -d ',<>') (apache2-utils $(v_debian apache2-utils))"
meta version:curl "$(curl -V | awk 'NR == 1 { print $1, $2 }')"
meta version:gnuplot "$(gnuplot -V 2>&1 | head -n 1)"
for w in $WORKLOADS; do
    for s in $SERVERS; do meta "client:$w:$s" "$(client_cmd "$w" "$s")"; done
done
meta_logs 'NOTICE: (2\.3|Started working|Exiting|Reading included)|xinetd\[[0-9]+\]: NOTICE' $SERVERS
cp "$META" "$TMP/standalone-vs-inetd-meta.tsv"

if [ -n "$HTTPS_SERVERS" ]; then
    tls_meta meta_machine
    for v in HTTPS DURATION WARMUP CONNECTIONS THREADS HANDSHAKE_CLIENTS IDLE_SECONDS TTFB_SAMPLES TTFB_PAUSE GB_PER_VCPU HTTPS_SERVERS HTTPS_WORKLOADS; do
        tls_meta meta "setting:$v" "${!v}"
    done
    tls_meta meta version:httpd "$("$HTTPD_BIN" -v 2>&1 | head -n 1)"
    tls_meta meta version:nginx "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //') (Debian $(v_debian nginx-light))"
    tls_meta meta version:xinetd "xinetd $("$XINETD_BIN" -version 2>&1 | head -n 1 | awk '{ print $1 }') (Debian $(v_debian xinetd))"
    tls_meta meta version:openssl "$(openssl version)"
    tls_meta meta version:wrk "wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
    tls_meta meta version:curl "$(curl -V | awk 'NR == 1 { print $1, $2 }')"
    tls_meta meta certificate "$(tls_cert_summary "$TLS_CERT" "ECDSA P-256")"
    tls_meta meta ktls_ulp "$(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null || echo '?')"
    for w in $HTTPS_WORKLOADS; do
        for s in $HTTPS_SERVERS; do
            tls_client_argv "$w" "$s"
            line=$(shell_line "${CLIENT_ARGV[@]}")
            case $w in full|resumed) line="$line   # $HANDSHAKE_CLIENTS at once" ;; esac
            tls_meta meta "client:$w:$s" "$line"
        done
    done
    tls_meta meta_logs 'NOTICE: (2\.3|Started working|Exiting|Reading included)|xinetd\[[0-9]+\]: NOTICE' $HTTPS_SERVERS
fi

# ================================ report ===========================================================
[ "$HTTPS" = only ] || publish_results "$LOAD" "$TTFB" "$STARTUP" "$PER_SERVER" standalone-vs-inetd-meta.tsv
if [ -n "$HTTPS_SERVERS" ]; then
    publish_results "$TLS_LOAD" "$TLS_HS" "$TLS_TTFB" "$TLS_PER_SERVER" standalone-vs-inetd-tls-meta.tsv
fi
python3 bench/report.py --results "$RESULTS_DIR" --doc "$DOC" standalone-vs-inetd
