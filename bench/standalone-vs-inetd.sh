#!/usr/bin/env bash
# standalone-vs-inetd.sh: the cost of running a static-file server stand-alone (always resident)
# against starting it per connection from the inetd super-server, measured on loopback.
#
# Servers (each started by this script on its own free 127.0.0.1 port, from its own configuration in
# a temporary folder, and stopped by PID on exit):
#   httpd          httpd -F (stand-alone, one process)
#   httpd-inetd    httpd --inetd under xinetd (wait = no: one httpd process per connection)
#   nginx          Debian's nginx, stand-alone (master + 1 worker, access_log off, sendfile on)
#   busybox-inetd  busybox httpd -i under xinetd (one process per request: busybox has no keep-alive)
# Each xinetd runs with its own config (xinetd -dontfork -f FILE), instances/per_source UNLIMITED and
# cps 1000000, no per-connection logging and no libwrap, so xinetd's throttles are not what is measured.
#
# Workloads (wrk -t1 unless said):
#   ka1k        1 KiB file, keep-alive, $CONNECTIONS connections
#   close1k     1 KiB file, a new connection per request: wrk -H 'Connection: close', $CLOSE_CONNECTIONS connections
#   close1k-ab  the same with ab (HTTP/1.0, no -k), as a cross-check of wrk's figure
#   100k        100 KiB file, keep-alive, $CONNECTIONS connections
#   10m         10 MiB file, keep-alive, $CONNECTIONS connections
#   then: cold time to first byte (curl, a new connection after a pause, $TTFB_SAMPLES times, median),
#   the start-up cost of each binary, and idle cost (resident memory of all the service's processes,
#   super-server included, and CPU time over $IDLE_SECONDS s of idleness).
# Server CPU per request comes from the processes' own accounting (/proc/PID/stat): utime+stime of the
# server's processes, plus cutime+cstime of the top process (xinetd reaps its per-connection children,
# so their whole CPU time lands there), before and after each run, divided by the requests wrk counted.
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
#   NGINX_BIN, XINETD_BIN, BUSYBOX_BIN   binaries (default: found on PATH or in /usr/sbin)
# Output: bench/results/REPORT.md, bench/results/standalone-vs-inetd.png (and .dat, the chart's data),
# and the generated part of docs/standalone-vs-inetd.md. Fails (exit 1) only when it cannot run: a
# missing tool, a server that does not start, dies, or serves other bytes than the files.
set -eu

cd "$(dirname "$0")/.."
. bench/nginx-conf.sh
ROOT=$(pwd)

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
HTTPD_BIN=${HTTPD_BIN:-.build/release/httpd}
RESULTS=bench/results
REPORT=$RESULTS/REPORT.md
CHART=$RESULTS/standalone-vs-inetd.png
CHART_DATA=$RESULTS/standalone-vs-inetd.dat
DOC=docs/standalone-vs-inetd.md

die() { echo "standalone-vs-inetd: error: $*" >&2; exit 1; }
note() { echo "standalone-vs-inetd: $*" >&2; }

# --- settings and tools ----------------------------------------------------------------------------
for v in DURATION WARMUP CONNECTIONS CLOSE_CONNECTIONS IDLE_SECONDS TTFB_SAMPLES STARTUP_RUNS; do
    case "${!v}" in ''|*[!0-9]*) die "$v must be a whole number (got '${!v}')" ;; esac
done
[ "$DURATION" -ge 2 ] || die "DURATION must be at least 2"
[ "$CONNECTIONS" -ge 1 ] && [ "$CLOSE_CONNECTIONS" -ge 1 ] && [ "$TTFB_SAMPLES" -ge 1 ] && [ "$STARTUP_RUNS" -ge 1 ] \
    || die "CONNECTIONS, CLOSE_CONNECTIONS, TTFB_SAMPLES and STARTUP_RUNS must be at least 1"
case "$TTFB_PAUSE$GB_PER_VCPU" in *[!0-9.]*) die "TTFB_PAUSE and GB_PER_VCPU must be numbers" ;; esac
for s in $SERVERS; do
    case $s in httpd|httpd-inetd|nginx|busybox-inetd) ;; *) die "unknown server '$s' in SERVERS" ;; esac
done
for w in $WORKLOADS; do
    case $w in ka1k|close1k|close1k-ab|100k|10m) ;; *) die "unknown workload '$w' in WORKLOADS" ;; esac
done
has() { case " $SERVERS " in *" $1 "*) return 0 ;; esac; return 1; }

find_bin() { # find_bin NAME [OVERRIDE]
    if [ -n "${2:-}" ]; then echo "$2"
    elif command -v "$1" >/dev/null 2>&1; then command -v "$1"
    elif [ -x "/usr/sbin/$1" ]; then echo "/usr/sbin/$1"
    fi
}
tools_present() {
    local t
    for t in wrk ab curl gnuplot ps; do command -v "$t" >/dev/null 2>&1 || return 1; done
    [ -n "$(find_bin nginx "${NGINX_BIN:-}")" ] && [ -n "$(find_bin xinetd "${XINETD_BIN:-}")" ] \
        && [ -n "$(find_bin busybox "${BUSYBOX_BIN:-}")" ]
}
if ! tools_present; then
    note "installing what is missing (scripts/install-deps.sh bench)"
    scripts/install-deps.sh bench
fi
for t in wrk ab curl gnuplot ps; do command -v "$t" >/dev/null 2>&1 || die "$t not found"; done
NGINX_BIN=$(find_bin nginx "${NGINX_BIN:-}");       [ -n "$NGINX_BIN" ] || die "nginx not found"
XINETD_BIN=$(find_bin xinetd "${XINETD_BIN:-}");    [ -n "$XINETD_BIN" ] || die "xinetd not found"
BUSYBOX_BIN=$(find_bin busybox "${BUSYBOX_BIN:-}"); [ -n "$BUSYBOX_BIN" ] || die "busybox not found"
[ -x "$HTTPD_BIN" ] || die "$HTTPD_BIN not found or not executable (build it: swift build -c release)"
# xinetd needs absolute paths.
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
HTTPD_BIN=$(abs "$HTTPD_BIN"); NGINX_BIN=$(abs "$NGINX_BIN"); XINETD_BIN=$(abs "$XINETD_BIN")
BUSYBOX_BIN=$(abs "$BUSYBOX_BIN")
"$BUSYBOX_BIN" httpd --help 2>&1 | grep -q -- '-i' || die "$BUSYBOX_BIN has no httpd applet with -i"
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# --- temporary folder and clean-up ----------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/standalone-vs-inetd.XXXXXX")
HTTPD_PID="" NGINX_PID="" XH_PID="" XB_PID="" CLIENT_PID="" SLEEP_PID=""

# Child processes of PID (live or not yet reaped), as a space-separated list.
children() { [ -n "$1" ] && ps -o pid= --ppid "$1" 2>/dev/null | tr -s ' \n' '  ' || true; }

stop() { # stop PID: SIGTERM, up to 5 s, then SIGKILL
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null && [ "$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
        note "PID $pid ignored SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
stop_tree() { # stop_tree PID: the process and then whatever children it left (xinetd's servers, nginx's workers)
    local kids c
    [ -n "$1" ] || return 0
    kids=$(children "$1")
    stop "$1"
    for c in $kids; do stop "$c"; done
}
cleanup() {
    status=$?
    trap - EXIT INT TERM
    stop "$CLIENT_PID"
    stop "$SLEEP_PID"
    stop "$HTTPD_PID"
    stop_tree "$NGINX_PID"
    stop_tree "$XH_PID"
    stop_tree "$XB_PID"
    rm -rf "$TMP"
    rm -f "$REPORT.tmp" "$CHART.tmp" "$DOC.tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# sleep in the background and wait for it, so that a signal is handled at once
pause() { sleep "$1" & SLEEP_PID=$!; wait "$SLEEP_PID" || true; SLEEP_PID=""; }

# --- ports -----------------------------------------------------------------------------------------
ports=$(python3 -c '
import socket
s = [socket.socket() for _ in range(4)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])' 2>/dev/null) || ports="18090 18091 18092 18093"
set -- $ports
PORT_httpd=$1 PORT_httpd_inetd=$2 PORT_nginx=$3 PORT_busybox_inetd=$4
port_of() { local v="PORT_${1//-/_}"; echo "${!v}"; }

# --- files -----------------------------------------------------------------------------------------
WWW=$TMP/www
mkdir -p "$WWW"
awk 'BEGIN {
    s = "<!doctype html>\n<title>bench</title>\n<p>"
    while (length(s) < 1023) s = s "lorem ipsum dolor sit amet "
    printf "%s\n", substr(s, 1, 1023)
}' > "$WWW/1k.html"
head -c 102400 /dev/urandom > "$WWW/100k.bin"
head -c 10485760 /dev/urandom > "$WWW/10m.bin"
[ "$(wc -c < "$WWW/1k.html")" -eq 1024 ] || die "could not write a 1024-byte file"
file_of() { case $1 in ka1k|close1k|close1k-ab) echo 1k.html ;; 100k) echo 100k.bin ;; 10m) echo 10m.bin ;; esac; }
url() { echo "http://127.0.0.1:$(port_of "$1")/$2"; }

# --- configurations --------------------------------------------------------------------------------
RUN_USER=$(id -un)
HTTPD_COMMON="DocumentRoot $WWW
LogLevel warn
KeepAlive on
MaxKeepAliveRequests 0
AccessLog off"
printf 'Listen 127.0.0.1:%s\n%s\n' "$PORT_httpd" "$HTTPD_COMMON" > "$TMP/httpd.conf"
# inetd mode: stderr is the client's socket, so the error log must be a file.
printf '%s\nErrorLog %s\n' "$HTTPD_COMMON" "$TMP/httpd-inetd-error.log" > "$TMP/httpd-inetd.conf"

nginx_conf "$PORT_nginx" "$WWW" on > "$TMP/nginx.conf"
mkdir -p "$TMP/nginx-tmp"

xinetd_conf() { # xinetd_conf NAME PORT SERVER ARGS
    cat <<EOF
defaults
{
    log_type        = FILE $TMP/xinetd-$1-service.log
    log_on_success  =
    log_on_failure  = HOST
    instances       = UNLIMITED
    per_source      = UNLIMITED
    cps             = 1000000 1
}
service bench-$1
{
    type            = UNLISTED
    socket_type     = stream
    protocol        = tcp
    wait            = no
    user            = $RUN_USER
    server          = $3
    server_args     = $4
    bind            = 127.0.0.1
    port            = $2
    instances       = UNLIMITED
    per_source      = UNLIMITED
    cps             = 1000000 1
    flags           = NOLIBWRAP
    disable         = no
}
EOF
}
xinetd_conf httpd "$PORT_httpd_inetd" "$HTTPD_BIN" "--inetd -f $TMP/httpd-inetd.conf" > "$TMP/xinetd-httpd.conf"
xinetd_conf busybox "$PORT_busybox_inetd" "$BUSYBOX_BIN" "httpd -i -h $WWW" > "$TMP/xinetd-busybox.conf"

CMD_httpd="$HTTPD_BIN -F -f $TMP/httpd.conf"
CMD_nginx="$NGINX_BIN -p $TMP/ -e $TMP/nginx-error.log -c $TMP/nginx.conf"
CMD_httpd_inetd="$XINETD_BIN -dontfork -f $TMP/xinetd-httpd.conf -pidfile $TMP/xinetd-httpd.pid -filelog $TMP/xinetd-httpd.log"
CMD_busybox_inetd="$XINETD_BIN -dontfork -f $TMP/xinetd-busybox.conf -pidfile $TMP/xinetd-busybox.pid -filelog $TMP/xinetd-busybox.log"
cmd_of() { local v="CMD_${1//-/_}"; echo "${!v}"; }
log_of() { # the log to show when a server fails
    case $1 in
        httpd) echo "$TMP/httpd.log" ;; nginx) echo "$TMP/nginx-error.log" ;;
        httpd-inetd) echo "$TMP/xinetd-httpd.log $TMP/httpd-inetd-error.log" ;;
        busybox-inetd) echo "$TMP/xinetd-busybox.log" ;;
    esac
}
show_logs() { local f; for f in $(log_of "$1") "$TMP/$1-stderr.log"; do [ -s "$f" ] && tail -n 20 "$f" >&2; done; true; }

"$HTTPD_BIN" -t -f "$TMP/httpd.conf" > "$TMP/check.log" 2>&1 || { cat "$TMP/check.log" >&2; die "httpd rejects its configuration"; }
"$HTTPD_BIN" -t -f "$TMP/httpd-inetd.conf" > "$TMP/check.log" 2>&1 || { cat "$TMP/check.log" >&2; die "httpd rejects its inetd configuration"; }
if has nginx; then $CMD_nginx -t > "$TMP/check.log" 2>&1 || { cat "$TMP/check.log" >&2; die "nginx rejects its configuration"; }; fi

# --- start the servers -----------------------------------------------------------------------------
top_pid() { case $1 in httpd) echo "$HTTPD_PID" ;; nginx) echo "$NGINX_PID" ;; httpd-inetd) echo "$XH_PID" ;; busybox-inetd) echo "$XB_PID" ;; esac; }

start() { # start NAME
    local cmd
    cmd=$(cmd_of "$1")
    $cmd > /dev/null 2> "$TMP/$1-stderr.log" < /dev/null &
    case $1 in httpd) HTTPD_PID=$! ;; nginx) NGINX_PID=$! ;; httpd-inetd) XH_PID=$! ;; busybox-inetd) XB_PID=$! ;; esac
}
wait_ready() { # wait_ready NAME
    local pid u
    pid=$(top_pid "$1"); u=$(url "$1" 1k.html)
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { show_logs "$1"; die "$1 exited while starting (log above)"; }
        curl -s -o /dev/null --max-time 2 "$u" && return 0
        sleep 0.1
    done
    show_logs "$1"
    die "$1 did not answer on $u within 10 s"
}
alive() { # alive NAME: fail if the server (or its super-server) died
    kill -0 "$(top_pid "$1")" 2>/dev/null && return 0
    show_logs "$1"
    die "$1 (PID $(top_pid "$1")) died (log above)"
}

for s in $SERVERS; do start "$s"; done
for s in $SERVERS; do wait_ready "$s"; done

# Every server must serve every file: 200 and exactly its bytes; the keep-alive capable ones must keep
# the connection; busybox must say Connection: close (else wrk would count its closes as read errors).
verify() { # verify NAME
    local f got u
    for f in 1k.html 100k.bin 10m.bin; do
        u=$(url "$1" "$f")
        got=$(curl -s --max-time 30 -o "$TMP/got" -w '%{http_code} %{size_download}' "$u") || die "$1: curl $u failed"
        [ "$got" = "200 $(wc -c < "$WWW/$f")" ] || die "$1: GET $u gave status and size '$got', expected '200 $(wc -c < "$WWW/$f")'"
        cmp -s "$TMP/got" "$WWW/$f" || die "$1: GET $u returned different bytes than the file"
        got=$(curl -s --max-time 30 -H 'Connection: close' -o "$TMP/got" -w '%{http_code}' "$u") || die "$1: curl -H 'Connection: close' $u failed"
        [ "$got" = 200 ] && cmp -s "$TMP/got" "$WWW/$f" || die "$1: GET $u with Connection: close gave '$got' or other bytes"
    done
    rm -f "$TMP/got"
    u=$(url "$1" 1k.html)
    if [ "$1" = busybox-inetd ]; then
        curl -s -D - -o /dev/null "$u" | grep -qi '^connection: *close' || die "$1: no 'Connection: close' in the response"
    elif ! curl -sv -o /dev/null -o /dev/null "$u" "$u" 2>&1 | grep -Eqi 're-?using existing connection'; then
        die "$1: a second request did not reuse the connection (no keep-alive)"
    fi
}
for s in $SERVERS; do verify "$s"; done
note "all servers serve the three files byte for byte: $SERVERS"

# --- accounting ------------------------------------------------------------------------------------
# The service's processes: the top one (httpd, nginx's master, xinetd) and its children.
svc_pids() { local t; t=$(top_pid "$1"); echo "$t $(children "$t")"; }
# CPU ticks: utime+stime+cutime+cstime of the top process (children it has reaped included) plus
# utime+stime of its live children.
svc_ticks() {
    local t c sum v
    t=$(top_pid "$1")
    sum=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$t/stat" 2>/dev/null) || sum=0
    for c in $(children "$t"); do
        v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$c/stat" 2>/dev/null) || v=0
        sum=$((sum + ${v:-0}))
    done
    echo "${sum:-0}"
}
# Memory: "RSS_KiB PSS_KiB USS_KiB PROCESSES" summed over the service's processes. RSS counts every
# resident page the process maps (shared libraries too); PSS divides shared pages among the processes
# sharing them; USS (private clean + dirty) is what would be freed if the process exited.
svc_mem() {
    local p r m rss=0 pss=0 uss=0 n=0
    for p in $(svc_pids "$1"); do
        r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
        [ -n "$r" ] || continue   # a zombie has none
        m=$(awk '/^Pss:/ { p = $2 } /^Private_(Clean|Dirty):/ { u += $2 } END { print p + 0, u + 0 }' \
            "/proc/$p/smaps_rollup" 2>/dev/null) || m="0 0"
        set -- $m
        rss=$((rss + r)); pss=$((pss + ${1:-0})); uss=$((uss + ${2:-0})); n=$((n + 1))
    done
    echo "$rss $pss $uss $n"
}
# "NANOSECONDS TASKS": CPU time of every live thread (schedstat, ns resolution) and the thread list,
# so that the idle figure can be finer than a clock tick when no thread came or went.
svc_sched() {
    local p t v ns=0 tasks=""
    for p in $(svc_pids "$1"); do
        for t in /proc/"$p"/task/*; do
            v=$(awk '{ print $1 }' "$t/schedstat" 2>/dev/null) || continue
            [ -n "$v" ] || continue
            ns=$((ns + v)); tasks="$tasks,${t##*/}"
        done
    done
    echo "$ns ${tasks:-,}"
}
svc_switches() { # context switches of every live thread (wake-ups while idle)
    local p sum=0 v
    for p in $(svc_pids "$1"); do
        v=$(cat /proc/"$p"/task/*/status 2>/dev/null | awk '/ctxt_switches:/ { s += $2 } END { print s + 0 }')
        sum=$((sum + v))
    done
    echo "$sum"
}
# Wait until an inetd service's per-connection processes have exited and been reaped (so that their
# CPU time is in xinetd's cutime/cstime), up to 15 s; a stand-alone server gets 0.5 s to close.
settle() {
    local t
    case $1 in
        *-inetd)
            t=$(top_pid "$1")
            for _ in $(seq 150); do [ -z "$(children "$t" | tr -d ' ')" ] && return 0; sleep 0.1; done
            note "$1: per-connection processes still running after 15 s: $(children "$t")" ;;
        *) sleep 0.5 ;;
    esac
}

for s in $SERVERS; do echo "$s $(svc_mem "$s")" >> "$TMP/mem-start.txt"; done

# --- load runs -------------------------------------------------------------------------------------
run_client() { # run_client OUTPUT CMD...: in the background, waited for (a signal stops it through the trap)
    local out=$1 rc=0; shift
    "$@" > "$out" 2>&1 &
    CLIENT_PID=$!
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    return "$rc"
}
client_argv() { # client_argv WORKLOAD SERVER: the client's command line, in CLIENT_ARGV
    local u
    u=$(url "$2" "$(file_of "$1")")
    case $1 in
        ka1k|100k|10m) CLIENT_ARGV=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$u") ;;
        close1k)       CLIENT_ARGV=(wrk -t"$THREADS" -c"$CLOSE_CONNECTIONS" -d"${DURATION}s" --latency -H "Connection: close" "$u") ;;
        # ab allocates a record per request up front (-n), and stops at -t seconds or -n requests
        close1k-ab)    CLIENT_ARGV=(ab -q -r -t "$DURATION" -n $((DURATION * 50000)) -c "$CLOSE_CONNECTIONS" "$u") ;;
    esac
}
client_cmd() { # the same as one line of shell
    local a out=""
    client_argv "$@"
    for a in "${CLIENT_ARGV[@]}"; do case $a in *' '*) out="$out '$a'" ;; *) out="$out $a" ;; esac; done
    echo "${out# }"
}
parse_wrk() { # → RPS REQUESTS LAT_MS P99_MS MIB_S ERRORS NON2XX
    awk '
        function ms(v) {
            if (v ~ /us$/) return (v + 0) / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /m$/)  return (v + 0) * 60000
            if (v ~ /h$/)  return (v + 0) * 3600000
            if (v ~ /s$/)  return (v + 0) * 1000
            return v + 0
        }
        function mib(v) {
            if (v ~ /GB$/) return (v + 0) * 1024
            if (v ~ /MB$/) return v + 0
            if (v ~ /KB$/) return (v + 0) / 1024
            return (v + 0) / 1048576
        }
        /^ *Latency +[0-9]/  { lat = ms($2) }
        /^ *99%/             { p99 = ms($2) }
        / requests in /      { reqs = $1 }
        /^Requests\/sec:/    { rps = $2 }
        /^Transfer\/sec:/    { xfer = mib($2) }
        /Socket errors:/     { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx/     { non2xx = $5 }
        END { printf "%s %s %.3f %.3f %.2f %d %d\n", rps, reqs, lat, p99, xfer, err, non2xx }' "$1"
}
parse_ab() {
    awk '
        /^Complete requests:/   { reqs = $3 }
        /^Failed requests:/     { failed = $3 }
        /^Write errors:/        { werr = $3 }
        /^Non-2xx responses:/   { non2xx = $3 }
        /^Requests per second:/ { rps = $4 }
        /^Time per request:/ && lat == "" { lat = $4 }
        /^Transfer rate:/       { xfer = $3 / 1024 }
        /^ *99%/                { p99 = $2 }
        END { printf "%s %s %.3f %.3f %.2f %d %d\n", rps, reqs, lat, p99, xfer, failed + werr, non2xx }' "$1"
}

# Results, one line per run, tab-separated:
# workload server tool rps requests lat_ms p99_ms MiB/s cpu_ms_per_request cpu_% rss_under_load_MiB processes errors non2xx pss_under_load_MiB
RES=$TMP/results.tsv
: > "$RES"
measure() { # measure WORKLOAD SERVER
    local w=$1 s=$2 out="$TMP/run-$1-$2.txt" before after mem m fields tool rc
    tool=wrk; [ "$w" = close1k-ab ] && tool=ab
    settle "$s"
    before=$(svc_ticks "$s")
    note "measuring $s: $w (${DURATION}s)"
    client_argv "$w" "$s"
    "${CLIENT_ARGV[@]}" > "$out" 2>&1 &
    CLIENT_PID=$!
    # memory under load: the sample with the largest RSS of three, at 1/4, 2/4 and 3/4 of the run
    # (per-connection processes come and go; exiting ones and zombies hold no memory and are not counted)
    mem="0 0 0 0"
    for _ in 1 2 3; do
        pause "$(awk -v d="$DURATION" 'BEGIN { print d / 4 }')"
        m=$(svc_mem "$s")
        [ "${m%% *}" -gt "${mem%% *}" ] && mem=$m
    done
    rc=0
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    [ "$rc" -eq 0 ] || { cat "$out" >&2; die "$tool failed against $s ($w): exit status $rc"; }
    alive "$s"
    settle "$s"
    after=$(svc_ticks "$s")
    alive "$s"
    if [ "$tool" = wrk ]; then
        grep -q '^Requests/sec:' "$out" || { cat "$out" >&2; die "no Requests/sec in wrk's output ($s, $w)"; }
        fields=$(parse_wrk "$out")
    else
        grep -q '^Requests per second:' "$out" || { cat "$out" >&2; die "no 'Requests per second' in ab's output ($s, $w)"; }
        fields=$(parse_ab "$out")
    fi
    set -- $fields
    local reqs=$2
    [ "${reqs:-0}" -gt 0 ] || { cat "$out" >&2; die "$tool completed no request against $s ($w)"; }
    set -- $mem
    local rss_mib pss_mib procs=$4
    rss_mib=$(awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }')
    pss_mib=$(awk -v k="$2" 'BEGIN { printf "%.1f", k / 1024 }')
    set -- $fields
    awk -v OFS='\t' -v w="$w" -v s="$s" -v tool="$tool" -v t=$((after - before)) -v hz="$HZ" -v d="$DURATION" \
        -v rps="$1" -v reqs="$2" -v lat="$3" -v p99="$4" -v xfer="$5" -v err="$6" -v non="$7" \
        -v rss="$rss_mib" -v pss="$pss_mib" -v procs="$procs" 'BEGIN {
            print w, s, tool, rps, reqs, lat, p99, xfer, sprintf("%.4f", 1000 * t / hz / reqs),
                  sprintf("%.0f", 100 * t / hz / d), rss, procs, err, non, pss
        }' >> "$RES"
}

if [ "$WARMUP" -gt 0 ]; then
    for s in $SERVERS; do
        note "warming up $s (${WARMUP}s)"
        run_client "$TMP/warmup-$s.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$(url "$s" 1k.html)" \
            || { cat "$TMP/warmup-$s.txt" >&2; die "wrk failed warming up $s"; }
        alive "$s"
    done
fi

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
i=0
for w in $WORKLOADS; do
    # rotate the order of the servers from one workload to the next
    set -- $SERVERS
    for _ in $(seq $((i % $#))); do set -- "${@:2}" "$1"; done
    for s in "$@"; do measure "$w" "$s"; done
    i=$((i + 1))
done

# --- cold time to first byte -----------------------------------------------------------------------
# A new connection after TTFB_PAUSE seconds of quiet, TTFB_SAMPLES times per server (servers in turn).
# curl's time_starttransfer runs from the start of the connection to the first response byte: for the
# inetd services it includes xinetd's accept and fork and the server's exec and start-up.
for s in $SERVERS; do settle "$s"; echo "$(svc_ticks "$s")" > "$TMP/ttfb-ticks-$s"; : > "$TMP/ttfb-$s.txt"; done
note "cold time to first byte: $TTFB_SAMPLES samples per server, ${TTFB_PAUSE}s pause before each"
for k in $(seq "$TTFB_SAMPLES"); do
    pause "$TTFB_PAUSE"
    set -- $SERVERS
    for _ in $(seq $((k % $#))); do set -- "${@:2}" "$1"; done
    for s in "$@"; do
        curl -s -o /dev/null --max-time 10 -w '%{time_connect} %{time_starttransfer} %{http_code}\n' \
            "$(url "$s" 1k.html)" >> "$TMP/ttfb-$s.txt" || die "$s: curl failed during the TTFB samples"
        pause "$TTFB_PAUSE"
    done
done
for s in $SERVERS; do
    settle "$s"
    alive "$s"
    awk '$3 != 200 { bad = 1 } END { exit bad }' "$TMP/ttfb-$s.txt" || die "$s: a TTFB sample was not 200"
    # → median_ms min_ms p90_ms max_ms connect_median_ms cpu_ms_per_connection
    t0=$(cat "$TMP/ttfb-ticks-$s"); t1=$(svc_ticks "$s")
    conn=$(sort -n -k1,1 "$TMP/ttfb-$s.txt" | awk -v n="$TTFB_SAMPLES" 'NR == int((n + 1) / 2) { printf "%.3f", $1 * 1000 }')
    sort -n -k2,2 "$TMP/ttfb-$s.txt" | awk -v n="$TTFB_SAMPLES" -v t=$((t1 - t0)) -v hz="$HZ" -v c="$conn" '
        { v[NR] = $2 * 1000 }
        END {
            p90 = int(0.9 * n); if (p90 < 0.9 * n) p90++
            printf "%.2f %.2f %.2f %.2f %s %.2f\n", v[int((n + 1) / 2)], v[1], v[p90], v[n], c, 1000 * t / hz / n
        }' > "$TMP/ttfb-summary-$s"
done

# --- start-up cost of one process ------------------------------------------------------------------
# CPU (the shell's `times` for its children) and wall time per run, STARTUP_RUNS runs each.
startup_cost() { # startup_cost LABEL CMD...
    local label=$1 t0 t1 cpu; shift
    t0=$(date +%s%N)
    cpu=$( (for _ in $(seq "$STARTUP_RUNS"); do "$@" < /dev/null > /dev/null 2>&1 || true; done; times) | awk '
        function sec(v,  a) { split(v, a, /[ms]/); return a[1] * 60 + a[2] }
        NR == 2 { printf "%.3f", sec($1) + sec($2) }')
    t1=$(date +%s%N)
    awk -v l="$label" -v c="$cpu" -v w=$((t1 - t0)) -v n="$STARTUP_RUNS" \
        'BEGIN { printf "%s\t%.2f\t%.2f\n", l, w / 1e6 / n, 1000 * c / n }' >> "$TMP/startup.tsv"
}
note "start-up cost: $STARTUP_RUNS runs of each command"
: > "$TMP/startup.tsv"
startup_cost "/bin/true (fork + exec floor)" /bin/true
startup_cost "busybox true" "$BUSYBOX_BIN" true
startup_cost "httpd --version (Swift runtime, dynamic linking)" "$HTTPD_BIN" --version
startup_cost "httpd -t -f httpd-inetd.conf (+ configuration, /etc/mime.types)" "$HTTPD_BIN" -t -f "$TMP/httpd-inetd.conf"
startup_cost "httpd -t ... -c 'TypesConfig builtin' (the same without /etc/mime.types)" "$HTTPD_BIN" -t -f "$TMP/httpd-inetd.conf" -c "TypesConfig builtin"

# --- idle cost -------------------------------------------------------------------------------------
note "idle cost: ${IDLE_SECONDS}s with no requests"
for s in $SERVERS; do settle "$s"; done
pause 2
for s in $SERVERS; do
    echo "$(svc_ticks "$s") $(svc_sched "$s") $(svc_switches "$s")" > "$TMP/idle0-$s"
done
pause "$IDLE_SECONDS"
for s in $SERVERS; do
    alive "$s"
    read -r k0 ns0 tasks0 sw0 < "$TMP/idle0-$s"
    k1=$(svc_ticks "$s"); read -r ns1 tasks1 <<< "$(svc_sched "$s")"; sw1=$(svc_switches "$s")
    read -r rss pss uss n <<< "$(svc_mem "$s")"
    # → rss_MiB pss_MiB processes cpu_ms method wakeups_per_s uss_MiB
    if [ "$tasks0" = "$tasks1" ]; then
        cpu=$(awk -v a="$ns0" -v b="$ns1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'); method=schedstat
    else
        cpu=$(awk -v t=$((k1 - k0)) -v hz="$HZ" 'BEGIN { printf "%.3f", 1000 * t / hz }'); method=ticks
    fi
    awk -v r="$rss" -v p="$pss" -v u="$uss" -v n="$n" -v c="$cpu" -v m="$method" -v sw=$((sw1 - sw0)) -v d="$IDLE_SECONDS" \
        'BEGIN { printf "%.1f %.1f %d %s %s %.2f %.1f\n", r / 1024, p / 1024, n, c, m, sw / d, u / 1024 }' > "$TMP/idle-$s"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ================================ report ===========================================================
mkdir -p "$RESULTS"
get() { awk -F'\t' -v w="$1" -v s="$2" -v c="$3" '$1 == w && $2 == s { print $c; exit }' "$RES"; }
ttfb() { [ -f "$TMP/ttfb-summary-$1" ] && awk -v c="$2" '{ print $c }' "$TMP/ttfb-summary-$1"; }
idle() { [ -f "$TMP/idle-$1" ] && awk -v c="$2" '{ print $c }' "$TMP/idle-$1"; }
memstart() { awk -v s="$1" '$1 == s { printf "%.1f", $2 / 1024 }' "$TMP/mem-start.txt"; }
label() {
    case $1 in
        httpd) echo "httpd (stand-alone)" ;; httpd-inetd) echo "httpd --inetd under xinetd" ;;
        nginx) echo "nginx (stand-alone)" ;; busybox-inetd) echo "busybox httpd -i under xinetd" ;;
    esac
}
wtitle() {
    case $1 in
        ka1k) echo "1 KiB file, keep-alive ($CONNECTIONS connections, wrk)" ;;
        close1k) echo "1 KiB file, a new connection per request ($CLOSE_CONNECTIONS concurrent, wrk with Connection: close)" ;;
        close1k-ab) echo "1 KiB file, a new connection per request ($CLOSE_CONNECTIONS concurrent, ab: HTTP/1.0 without -k)" ;;
        100k) echo "100 KiB file, keep-alive ($CONNECTIONS connections, wrk)" ;;
        10m) echo "10 MiB file, keep-alive ($CONNECTIONS connections, wrk)" ;;
    esac
}
wshort() {
    case $1 in
        ka1k) echo '1 KiB\nkeep-alive' ;; close1k) echo '1 KiB\nnew conn. (wrk)' ;; close1k-ab) echo '1 KiB\nnew conn. (ab)' ;;
        100k) echo '100 KiB\nkeep-alive' ;; 10m) echo '10 MiB\nkeep-alive' ;;
    esac
}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || commit="$commit (with uncommitted changes in Sources/)"
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
[ -n "$cpu_model" ] || cpu_model=$(uname -m)
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
v_httpd=$("$HTTPD_BIN" -v 2>&1 | head -n 1)
v_nginx=$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')
v_xinetd="xinetd $("$XINETD_BIN" -version 2>&1 | head -n 1 | awk '{ print $1 }')"
v_busybox=$("$BUSYBOX_BIN" 2>&1 | head -n 1 | sed 's/ multi-call binary\.*//')
v_wrk="wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
v_ab=$(ab -V 2>&1 | awk 'NR == 1 { print "ab", $5 }' | tr -d ',<>')
v_curl=$(curl -V | awk 'NR == 1 { print $1, $2 }')
v_gnuplot=$(gnuplot -V 2>&1 | head -n 1)
v_debian() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }

# ---- derived figures for the tradeoff (also used by the doc) ----
f() { awk -v x="$1" -v fmt="$2" 'BEGIN { if (x == "" || x == "n/a") print "n/a"; else printf fmt, x }'; }
num() { [ -n "$1" ] && [ "$1" != n/a ]; }
CPU_SA=$(get close1k httpd 9); CPU_IN=$(get close1k httpd-inetd 9)
[ -n "$CPU_SA" ] || CPU_SA=$(get close1k-ab httpd 9)
[ -n "$CPU_IN" ] || CPU_IN=$(get close1k-ab httpd-inetd 9)
EXTRA=n/a
if num "$CPU_SA" && num "$CPU_IN"; then EXTRA=$(awk -v a="$CPU_IN" -v b="$CPU_SA" 'BEGIN { printf "%.3f", a - b }'); fi
COLD_SA=$(ttfb httpd 6 || true); COLD_IN=$(ttfb httpd-inetd 6 || true)
TTFB_SA=$(ttfb httpd 1 || true); TTFB_IN=$(ttfb httpd-inetd 1 || true)
RSS_D=$(idle httpd 1 || true); RSS_X=$(idle httpd-inetd 1 || true)
PSS_D=$(idle httpd 2 || true)
USS_D=$(idle httpd 7 || true); USS_X=$(idle httpd-inetd 7 || true)
IDLECPU_D=$(idle httpd 4 || true)
BREAK=n/a BREAK_SHARED=n/a BREAK_USS=n/a RATE1=n/a RATE10=n/a DRSS=n/a
if num "$EXTRA" && num "$RSS_D" && num "$RSS_X" && awk -v e="$EXTRA" 'BEGIN { exit !(e > 0) }'; then
    DRSS=$(awk -v a="$RSS_D" -v b="$RSS_X" 'BEGIN { printf "%.1f", a - b }')
    # daemon's standing cost in cores = ΔRSS[GB] / GB_PER_VCPU + its idle CPU; inetd's = rate × EXTRA ms / 1000
    BREAK=$(awk -v m="$DRSS" -v k="$GB_PER_VCPU" -v c="${IDLECPU_D:-0}" -v d="$IDLE_SECONDS" -v e="$EXTRA" \
        'BEGIN { cores = (m / 1024) / k + c / 1000 / d; printf "%.3f", cores * 1000 / e }')
    BREAK_SHARED=$(awk -v m="$RSS_D" -v k="$GB_PER_VCPU" -v c="${IDLECPU_D:-0}" -v d="$IDLE_SECONDS" -v e="$EXTRA" \
        'BEGIN { cores = (m / 1024) / k + c / 1000 / d; printf "%.3f", cores * 1000 / e }')
    if num "$USS_D" && num "$USS_X"; then
        BREAK_USS=$(awk -v a="$USS_D" -v b="$USS_X" -v k="$GB_PER_VCPU" -v c="${IDLECPU_D:-0}" -v d="$IDLE_SECONDS" -v e="$EXTRA" \
            'BEGIN { m = a - b; if (m < 0) m = 0; cores = (m / 1024) / k + c / 1000 / d; printf "%.3f", cores * 1000 / e }')
    fi
    RATE1=$(awk -v e="$EXTRA" 'BEGIN { printf "%.1f", 10 / e }')
    RATE10=$(awk -v e="$EXTRA" 'BEGIN { printf "%.1f", 100 / e }')
fi
PERCONN_MIB=n/a PERCONN_PSS=n/a
PSS_X=$(idle httpd-inetd 2 || true)
if [ -n "$(get ka1k httpd-inetd 11)" ] && num "$RSS_X" && num "$PSS_X"; then
    PERCONN_MIB=$(awk -v l="$(get ka1k httpd-inetd 11)" -v x="$RSS_X" -v p="$(get ka1k httpd-inetd 12)" \
        'BEGIN { if (p > 1) printf "%.2f", (l - x) / (p - 1); else print "n/a" }')
    PERCONN_PSS=$(awk -v l="$(get ka1k httpd-inetd 15)" -v x="$PSS_X" -v p="$(get ka1k httpd-inetd 12)" \
        'BEGIN { if (p > 1) printf "%.2f", (l - x) / (p - 1); else print "n/a" }')
fi
startup() { awk -F'\t' -v n="$1" -v c="$2" 'NR == n { print $c }' "$TMP/startup.tsv"; }

# ---- REPORT.md ----
{
echo "# Stand-alone vs inetd: benchmark report"
echo
echo "Generated by \`bench/standalone-vs-inetd.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), httpd commit $commit."
echo "Explained in [docs/standalone-vs-inetd.md](../../docs/standalone-vs-inetd.md). Chart: [standalone-vs-inetd.png](standalone-vs-inetd.png)."
echo
echo "![req/s, CPU per request, cold TTFB and idle memory per server](standalone-vs-inetd.png)"
echo
echo "## Machine and versions"
echo
echo "- $(nproc) CPUs ($cpu_model), $mem_total RAM, $(uname -srm); the load generator and every server share these CPUs"
echo "- load average (1, 5, 15 min) before the load runs: $LOAD_START; after the idle measurement: $LOAD_END"
echo "- $v_httpd (commit $commit), $v_nginx (Debian $(v_debian nginx-light)), $v_xinetd (Debian $(v_debian xinetd)), $v_busybox"
echo "- $v_wrk, $v_ab (apache2-utils $(v_debian apache2-utils)), $v_curl, $v_gnuplot"
echo "- settings: DURATION=${DURATION}s per run, WARMUP=${WARMUP}s, CONNECTIONS=$CONNECTIONS (keep-alive runs), CLOSE_CONNECTIONS=$CLOSE_CONNECTIONS (new-connection runs), TTFB_SAMPLES=$TTFB_SAMPLES after ${TTFB_PAUSE}s pauses, IDLE_SECONDS=$IDLE_SECONDS, STARTUP_RUNS=$STARTUP_RUNS; one run per server and workload (no repetition: compare within this report, expect 10-20 % run-to-run variation on a small or shared machine)"
echo
echo "## Load"
echo
echo "req/s and latency are wrk's (ab's for the ab row); **CPU/request** is the server's own CPU time (user + system,"
echo "all its processes and threads, and for inetd services xinetd plus every per-connection process it reaped)"
echo "during the run, divided by the requests completed; **server CPU** is that time over the run's duration"
echo "(100 % = one core); **RSS under load** is the resident memory of all the service's live processes (the largest of"
echo "three samples at 1/4, 2/4 and 3/4 of the run), with its PSS in brackets (shared pages divided among the processes sharing them), and the number of processes. Errors: socket errors (connect, read, write, timeout) or failed requests; non-2xx: responses"
echo "other than 2xx/3xx. busybox httpd has no keep-alive: every one of its requests is a new connection and a new process."
for w in $WORKLOADS; do
    echo
    echo "### $(wtitle "$w")"
    echo
    echo "| server | req/s | MiB/s | latency avg | latency p99 | CPU/request | server CPU | RSS (PSS) under load | processes | errors | non-2xx |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for s in $SERVERS; do
        [ -n "$(get "$w" "$s" 4)" ] || continue
        awk -F'\t' -v w="$w" -v s="$s" -v l="$(label "$s")" '$1 == w && $2 == s {
            printf "| %s | %.0f | %.1f | %.2f ms | %.2f ms | %.3f ms | %s %% | %.1f (%.1f) MiB | %d | %d | %d |\n",
                   l, $4, $8, $6, $7, $9, $10, $11, $15, $12, $13, $14 }' "$RES"
    done
done
echo
echo "## Cold request: time to first byte"
echo
echo "A new connection after ${TTFB_PAUSE}s of quiet, $TTFB_SAMPLES times per server, the servers in turn; curl's"
echo "\`time_starttransfer\` (connection start to first response byte; for inetd services it includes xinetd's accept"
echo "and fork and the server's exec and start-up). CPU/connection: the service's CPU time over all samples / samples"
echo "(clock-tick resolution: $((1000 / HZ)) ms / $TTFB_SAMPLES samples)."
echo
echo "| server | TTFB median | min | p90 | max | connect median | CPU/connection |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for s in $SERVERS; do
    read -r a b c d e g < "$TMP/ttfb-summary-$s"
    echo "| $(label "$s") | $a ms | $b ms | $c ms | $d ms | $e ms | $g ms |"
done
echo
echo "## Start-up cost of one process"
echo
echo "Each command run $STARTUP_RUNS times in a row from a shell; wall time and CPU (user + system, from the shell's \`times\`) per run."
echo "In inetd mode every connection pays one such start (plus xinetd's accept and fork); a stand-alone server pays it once."
echo
echo "| command | wall/run | CPU/run |"
echo "|---|---:|---:|"
awk -F'\t' '{ printf "| %s | %s ms | %s ms |\n", $1, $2, $3 }' "$TMP/startup.tsv"
echo
echo "## Idle cost"
echo
echo "After the load runs, ${IDLE_SECONDS}s without requests. Memory: the sum over all the service's processes"
echo "(httpd: its one process; nginx: master and worker; inetd services: xinetd, which is all that stays resident)."
echo "PSS divides shared pages among the processes mapping them (so it depends on what else runs: other httpd"
echo "processes share the Swift runtime's pages); USS is private memory, what exiting would free. CPU over the idle period from schedstat (ns) when no thread"
echo "came or went, else from clock ticks ($((1000 / HZ)) ms resolution); wake-ups: context switches per second."
echo
echo "| server | RSS at start | RSS idle | PSS idle | USS idle | processes | CPU over ${IDLE_SECONDS}s | wake-ups/s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for s in $SERVERS; do
    read -r a b c d m e u < "$TMP/idle-$s"
    echo "| $(label "$s") | $(memstart "$s") MiB | $a MiB | $b MiB | $u MiB | $c | $d ms ($m) | $e |"
done
echo
echo "## Derived: what a connection costs in inetd mode, and the break-even rate"
echo
echo "- extra CPU per connection in inetd mode (httpd --inetd minus stand-alone httpd, CPU/request, new-connection run):"
echo "  **$(f "$EXTRA" '%.3f') ms** ($(f "$CPU_IN" '%.3f') ms vs $(f "$CPU_SA" '%.3f') ms); from the cold samples: $(f "$COLD_IN" '%.2f') ms vs $(f "$COLD_SA" '%.2f') ms"
echo "- extra time to first byte: median $(f "$TTFB_IN" '%.2f') ms vs $(f "$TTFB_SA" '%.2f') ms"
echo "- memory per concurrent connection in inetd mode (keep-alive run: the service under load minus idle xinetd, per httpd process): $(f "$PERCONN_MIB" '%.2f') MiB RSS, $(f "$PERCONN_PSS" '%.2f') MiB PSS"
echo "- idle: the daemon holds $(f "$RSS_D" '%.1f') MiB RSS ($(f "$PSS_D" '%.1f') MiB PSS, $(f "$USS_D" '%.1f') MiB USS); xinetd holds $(f "$RSS_X" '%.1f') MiB RSS ($(f "$USS_X" '%.1f') MiB USS); RSS difference $(f "$DRSS" '%.1f') MiB"
echo "- cost model: 1 vCPU costs as much as $GB_PER_VCPU GB of RAM (GB_PER_VCPU). The daemon's standing cost is"
echo "  its idle memory difference in vCPU-equivalents plus its idle CPU; inetd's is rate × extra CPU per connection."
echo "  Break-even: **$(f "$BREAK" '%.3f') connections/s** ($(awk -v b="$BREAK" 'BEGIN { if (b == "n/a") print "n/a"; else printf "%.0f", b * 86400 }') per day); counting the daemon's whole RSS"
echo "  (xinetd already runs for other services): $(f "$BREAK_SHARED" '%.3f') connections/s; counting only private memory"
echo "  (USS: shared library pages are not the daemon's own): $(f "$BREAK_USS" '%.3f') connections/s."
echo "  inetd's extra CPU is 1 % of one core at $(f "$RATE1" '%.1f') connections/s and 10 % at $(f "$RATE10" '%.1f') connections/s."
echo
echo "## Exact commands and configurations"
echo
echo "Everything ran in a temporary folder (\`$TMP\`, removed afterwards) holding \`www/1k.html\` (1024 bytes),"
echo "\`www/100k.bin\` (102400 random bytes), \`www/10m.bin\` (10485760 random bytes) and the files below. Ports were free"
echo "loopback ports picked by the kernel. Before measuring, each server was checked to return 200 and exactly the"
echo "file's bytes for each file (with and without \`Connection: close\`), and to keep the connection alive (busybox: to"
echo "say \`Connection: close\`)."
echo
echo '```sh'
for s in $SERVERS; do echo "# $(label "$s")"; echo "$(cmd_of "$s")"; done
for w in $WORKLOADS; do
    echo "# $(wtitle "$w")"
    for s in $SERVERS; do printf '%-80s # %s\n' "$(client_cmd "$w" "$s")" "$s"; done
done
echo "# warm-up, per server: wrk -t$THREADS -c$CONNECTIONS -d${WARMUP}s URL/1k.html"
echo "# cold TTFB, per sample and server, after sleep $TTFB_PAUSE:"
echo "curl -s -o /dev/null -w '%{time_connect} %{time_starttransfer} %{http_code}\\n' http://127.0.0.1:PORT/1k.html"
echo '```'
for c in httpd.conf httpd-inetd.conf xinetd-httpd.conf xinetd-busybox.conf nginx.conf; do
    case $c in
        xinetd-httpd.conf) has httpd-inetd || continue ;; xinetd-busybox.conf) has busybox-inetd || continue ;;
        nginx.conf) has nginx || continue ;;
    esac
    echo
    echo "\`$c\`:"
    echo
    echo '```'
    grep -v '^$' "$TMP/$c"
    echo '```'
done
warned=0
for lf in "$TMP/httpd-stderr.log" "$TMP/httpd-inetd-error.log" "$TMP/nginx-error.log" "$TMP/nginx-stderr.log" \
          "$TMP/xinetd-httpd.log" "$TMP/xinetd-httpd-service.log" "$TMP/httpd-inetd-stderr.log" \
          "$TMP/xinetd-busybox.log" "$TMP/xinetd-busybox-service.log" "$TMP/busybox-inetd-stderr.log"; do
    [ -s "$lf" ] || continue
    lines=$(grep -cvE 'NOTICE: (2\.3|Started working|Exiting|Reading included)|xinetd\[[0-9]+\]: NOTICE' "$lf" || true)
    [ "${lines:-0}" -gt 0 ] || continue
    if [ $warned -eq 0 ]; then echo; echo "## Log lines written during the run"; warned=1; fi
    echo
    echo "\`$(basename "$lf")\` ($lines lines; the first 5):"
    echo
    echo '```'
    grep -vE 'xinetd\[[0-9]+\]: NOTICE' "$lf" | head -n 5
    echo '```'
done
} > "$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"

# ---- chart ----
{
    printf '# generated by bench/standalone-vs-inetd.sh; index 0: req/s, index 1: server CPU us per request\n'
    printf '# index 2: server, cold TTFB median ms, idle RSS MiB, new-connection CPU ms per request\n'
    for col in 4 9; do
        printf 'workload'; for s in $SERVERS; do printf ' %s' "$s"; done; printf '\n'
        for w in $WORKLOADS; do
            printf '"%s"' "$(wshort "$w")"
            for s in $SERVERS; do
                v=$(get "$w" "$s" "$col")
                if [ -z "$v" ]; then printf ' ?'
                elif [ "$col" = 9 ]; then awk -v v="$v" 'BEGIN { printf " %.1f", v * 1000 }'
                else printf ' %s' "$v"; fi
            done
            printf '\n'
        done
        printf '\n\n'
    done
    printf '# server ttfb_ms idle_rss_mib\n'
    for s in $SERVERS; do printf '%s %s %s\n' "$s" "$(ttfb "$s" 1)" "$(idle "$s" 1)"; done
} > "$CHART_DATA"
gnuplot -e "datafile='$CHART_DATA'; outfile='$CHART.tmp'; nservers=$(echo $SERVERS | wc -w); subtitle='$(nproc) CPUs, $(date -u +%Y-%m-%d), DURATION=${DURATION}s, see REPORT.md'" \
    bench/standalone-vs-inetd.gp 2> "$TMP/gnuplot.log" || { cat "$TMP/gnuplot.log" >&2; die "gnuplot failed"; }
mv "$CHART.tmp" "$CHART"

# ---- docs/standalone-vs-inetd.md: the part between the markers ----
BEGIN_MARK='<!-- BEGIN GENERATED by bench/standalone-vs-inetd.sh: do not edit by hand -->'
END_MARK='<!-- END GENERATED -->'
{
echo "$BEGIN_MARK"
echo
echo "_Figures from the run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs ($cpu_model), $(uname -sr), httpd commit $commit;"
echo "DURATION=${DURATION}s, IDLE_SECONDS=$IDLE_SECONDS, TTFB_SAMPLES=$TTFB_SAMPLES. Details in [bench/results/REPORT.md](../bench/results/REPORT.md)._"
echo
echo "| quantity | symbol | value |"
echo "|---|---|---:|"
echo "| CPU per request, new connection each, httpd stand-alone | | $(f "$CPU_SA" '%.3f') ms |"
echo "| CPU per request, new connection each, httpd --inetd under xinetd | | $(f "$CPU_IN" '%.3f') ms |"
echo "| extra CPU per connection in inetd mode | E | **$(f "$EXTRA" '%.3f') ms** |"
echo "| start-up of one httpd process (httpd -t -f, CPU per run) | | $(startup 4 3) ms |"
echo "| part of that spent on /etc/mime.types (httpd -t minus the same with TypesConfig builtin) | | $(awk -v a="$(startup 4 3)" -v b="$(startup 5 3)" 'BEGIN { printf "%.2f", a - b }') ms |"
echo "| fork + exec floor (/bin/true, CPU per run) | | $(startup 1 3) ms |"
echo "| cold time to first byte, stand-alone (median) | | $(f "$TTFB_SA" '%.2f') ms |"
echo "| cold time to first byte, inetd (median) | | $(f "$TTFB_IN" '%.2f') ms |"
echo "| new connections/s, 1 KiB, stand-alone | | $(f "$(get close1k httpd 4)" '%.0f') |"
echo "| new connections/s, 1 KiB, inetd | | $(f "$(get close1k httpd-inetd 4)" '%.0f') |"
echo "| keep-alive req/s, 1 KiB, stand-alone / inetd | | $(f "$(get ka1k httpd 4)" '%.0f') / $(f "$(get ka1k httpd-inetd 4)" '%.0f') |"
echo "| idle RSS of the daemon (httpd -F) | M_d | $(f "$RSS_D" '%.1f') MiB |"
echo "| idle RSS of xinetd | M_x | $(f "$RSS_X" '%.1f') MiB |"
echo "| idle private memory (USS) of the daemon / of xinetd | | $(f "$USS_D" '%.1f') / $(f "$USS_X" '%.1f') MiB |"
echo "| idle CPU of the daemon over ${IDLE_SECONDS}s | | $(f "$IDLECPU_D" '%.3f') ms |"
echo "| memory per concurrent connection in inetd mode (one httpd process), RSS / PSS | | $(f "$PERCONN_MIB" '%.2f') / $(f "$PERCONN_PSS" '%.2f') MiB |"
echo "| price of one vCPU in GB of RAM (model input) | k | $GB_PER_VCPU |"
echo "| break-even rate, daemon vs. inetd: (M_d − M_x)/k + idle CPU = r × E | r* | **$(f "$BREAK" '%.3f') connections/s** |"
echo "| the same when xinetd is already there for other services (M_x not counted) | | $(f "$BREAK_SHARED" '%.3f') connections/s |"
echo "| the same counting private memory only (USS instead of RSS) | | $(f "$BREAK_USS" '%.3f') connections/s |"
echo "| rate at which inetd's extra CPU is 1 % / 10 % of one core | | $(f "$RATE1" '%.1f') / $(f "$RATE10" '%.1f') connections/s |"
echo
echo "$END_MARK"
} > "$TMP/doc-block.md"
if [ -f "$DOC" ] && grep -qF "$BEGIN_MARK" "$DOC" && grep -qF "$END_MARK" "$DOC"; then
    awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v f="$TMP/doc-block.md" '
        $0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
        $0 == e { skip = 0; next }
        !skip' "$DOC" > "$DOC.tmp"
    mv "$DOC.tmp" "$DOC"
    note "updated the figures in $DOC"
else
    note "warning: $DOC has no generated-section markers; its figures were not updated"
fi

cat "$REPORT"
note "written: $REPORT, $CHART, $CHART_DATA"
