#!/usr/bin/env bash
# compare-nginx.sh: throughput of httpd against nginx on the same machine, in the same run.
#
# What it measures: requests per second that wrk gets from each server over loopback for one
# static file of exactly 1024 bytes, with keep-alive (`wrk -t1 -c64 -d${DURATION}s`), and the ratio
# httpd/nginx. Each server has one event loop (nginx worker_processes 1; httpd as configured by
# default, with its Workers pool for file-system calls), serves the same file from the same temporary
# folder, logs nothing per request, and keeps connections alive for the whole run (unlimited requests
# per connection). It also shows each server's CPU use and the errors wrk saw. This is a benchmark that reports figures, not a test: it fails
# only when it cannot run (missing tools, a server that does not start or serves the wrong bytes).
#
# How to run it: `make bench` (installs what is missing, builds the release binary, runs this), or
#   bench/compare-nginx.sh
# from anywhere. Environment (all optional):
#   HTTPD_BIN   httpd binary, relative to the repo root (default .build/release/httpd)
#   NGINX_BIN   nginx binary (default: nginx on PATH, else /usr/sbin/nginx)
#   DURATION    seconds each measurement lasts (default 10)
#   WARMUP      seconds of warm-up load before the first measurement of each server (default 2; 0: none)
#   ROUNDS      measurements per server, alternating which server goes first; the median is reported (default 1)
#   HTTPD_PORT, NGINX_PORT   ports on 127.0.0.1 (default: free ports picked by the kernel)
# Output: the machine, versions, exact commands, a table and the ratio, on stdout and in
# bench/results/compare-nginx.txt. Every process it starts is stopped by its PID on exit.
set -eu

cd "$(dirname "$0")/.."
. bench/nginx-conf.sh
ROOT=$(pwd)

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-1}
THREADS=1
CONNECTIONS=64
HTTPD_BIN=${HTTPD_BIN:-.build/release/httpd}
FILE=bench.html
SIZE=1024

die() { echo "compare-nginx: error: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------------------------
find_nginx() {
    if [ -n "${NGINX_BIN:-}" ]; then echo "$NGINX_BIN"
    elif command -v nginx >/dev/null 2>&1; then command -v nginx
    elif [ -x /usr/sbin/nginx ]; then echo /usr/sbin/nginx
    fi
}
if ! command -v wrk >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 || [ -z "$(find_nginx)" ]; then
    echo "compare-nginx: installing what is missing (scripts/install-deps.sh bench)" >&2
    scripts/install-deps.sh bench
fi
command -v wrk >/dev/null 2>&1 || die "wrk not found"
command -v curl >/dev/null 2>&1 || die "curl not found"
NGINX_BIN=$(find_nginx)
[ -n "$NGINX_BIN" ] || die "nginx not found"
[ -x "$HTTPD_BIN" ] || die "$HTTPD_BIN not found or not executable (build it: swift build -c release)"
case "$DURATION$WARMUP$ROUNDS" in *[!0-9]*) die "DURATION, WARMUP and ROUNDS must be whole numbers" ;; esac
[ "$DURATION" -gt 0 ] && [ "$ROUNDS" -gt 0 ] || die "DURATION and ROUNDS must be at least 1"

# --- temporary folder and clean-up ---------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/compare-nginx.XXXXXX")
HTTPD_PID=""
NGINX_PID=""
WRK_PID=""

stop() { # stop PID: SIGTERM, then SIGKILL after 5 s; reaps it
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "compare-nginx: PID $pid ignored SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    status=$?
    trap - EXIT INT TERM
    stop "$WRK_PID"
    stop "$HTTPD_PID"
    stop "$NGINX_PID"
    rm -rf "$TMP"
    rm -f "$ROOT/bench/results/compare-nginx.txt.tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- ports ------------------------------------------------------------------------------------
if [ -z "${HTTPD_PORT:-}" ] || [ -z "${NGINX_PORT:-}" ]; then
    # Two distinct ports the kernel considers free (both sockets are open at once).
    ports=$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])' 2>/dev/null) || ports="18080 18081"
    HTTPD_PORT=${HTTPD_PORT:-${ports% *}}
    NGINX_PORT=${NGINX_PORT:-${ports#* }}
fi
[ "$HTTPD_PORT" != "$NGINX_PORT" ] || die "HTTPD_PORT and NGINX_PORT must differ"

# --- the 1 KiB file -----------------------------------------------------------------------------
mkdir -p "$TMP/www"
awk -v n="$SIZE" 'BEGIN {
    s = "<!doctype html>\n<title>bench</title>\n<p>"
    while (length(s) < n - 1) s = s "lorem ipsum dolor sit amet "
    printf "%s\n", substr(s, 1, n - 1)
}' > "$TMP/www/$FILE"
[ "$(wc -c < "$TMP/www/$FILE")" -eq "$SIZE" ] || die "could not write a $SIZE-byte file"

# --- configurations -----------------------------------------------------------------------------
# Relative paths: httpd's are relative to its config file's folder, nginx's to its prefix (-p): both $TMP.
cat > "$TMP/httpd.conf" <<EOF
Listen 127.0.0.1:$HTTPD_PORT
DocumentRoot www
LogLevel warn
KeepAlive on
MaxKeepAliveRequests 0
EOF
# No access log (none by default; said explicitly when this httpd knows the directive).
if "$HTTPD_BIN" -t -f "$TMP/httpd.conf" -c "AccessLog off" > /dev/null 2>&1; then
    echo "AccessLog off" >> "$TMP/httpd.conf"
fi

# master_process off: a single process (the event loop a worker runs) with a PID we own and can stop.
# It runs as the invoking user (no worker privilege drop), so it can read the mktemp -d folder.
nginx_conf "$NGINX_PORT" www off > "$TMP/nginx.conf"
mkdir -p "$TMP/nginx-tmp"

HTTPD_CMD="$HTTPD_BIN -F -f $TMP/httpd.conf"
NGINX_CMD="$NGINX_BIN -p $TMP/ -e $TMP/nginx-error.log -c $TMP/nginx.conf"

"$HTTPD_BIN" -t -f "$TMP/httpd.conf" > "$TMP/httpd-check.log" 2>&1 \
    || { cat "$TMP/httpd-check.log" >&2; die "httpd rejects its configuration"; }
$NGINX_CMD -t > "$TMP/nginx-check.log" 2>&1 \
    || { cat "$TMP/nginx-check.log" >&2; die "nginx rejects its configuration"; }

# --- start both servers ---------------------------------------------------------------------------
wait_ready() { # wait_ready NAME PID PORT LOG
    for _ in $(seq 100); do
        if ! kill -0 "$2" 2>/dev/null; then
            tail -n 20 "$4" >&2
            die "$1 exited while starting (log above)"
        fi
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$3/$FILE" && return 0
        sleep 0.1
    done
    tail -n 20 "$4" >&2
    die "$1 did not answer on 127.0.0.1:$3 within 10 s"
}

"$HTTPD_BIN" -F -f "$TMP/httpd.conf" 2> "$TMP/httpd.log" > /dev/null &
HTTPD_PID=$!
$NGINX_CMD 2> "$TMP/nginx-stderr.log" > /dev/null &
NGINX_PID=$!
wait_ready httpd "$HTTPD_PID" "$HTTPD_PORT" "$TMP/httpd.log"
wait_ready nginx "$NGINX_PID" "$NGINX_PORT" "$TMP/nginx-error.log"

# Both must serve the file: status 200, exactly 1024 bytes, identical to the file, over keep-alive.
verify() { # verify NAME PORT
    local got url="http://127.0.0.1:$2/$FILE"
    got=$(curl -s -o "$TMP/got-$1" -w '%{http_code} %{size_download}' "$url") || die "$1: curl $url failed"
    [ "$got" = "200 $SIZE" ] || die "$1: GET $url gave status and size '$got', expected '200 $SIZE'"
    cmp -s "$TMP/got-$1" "$TMP/www/$FILE" || die "$1: GET $url returned different bytes than the file"
    if ! curl -sv -o /dev/null -o /dev/null "$url" "$url" 2>&1 | grep -Eqi 're-?using existing connection'; then
        die "$1: a second request did not reuse the connection (no keep-alive)"
    fi
}
verify httpd "$HTTPD_PORT"
verify nginx "$NGINX_PORT"

# --- measure --------------------------------------------------------------------------------------
WRK_ARGS="-t$THREADS -c$CONNECTIONS -d${DURATION}s"
url_of() { if [ "$1" = httpd ]; then echo "http://127.0.0.1:$HTTPD_PORT/$FILE"; else echo "http://127.0.0.1:$NGINX_PORT/$FILE"; fi; }
pid_of() { if [ "$1" = httpd ]; then echo "$HTTPD_PID"; else echo "$NGINX_PID"; fi; }

alive() { # alive NAME: fail if the server died under load
    kill -0 "$(pid_of "$1")" 2>/dev/null && return 0
    if [ "$1" = httpd ]; then tail -n 20 "$TMP/httpd.log" >&2; else tail -n 20 "$TMP/nginx-error.log" >&2; fi
    die "$1 (PID $(pid_of "$1")) died under load (log above)"
}

# run_wrk OUTPUT ARGS...: wrk runs in the background and is waited for, so that a signal to this
# script is handled at once (the EXIT trap then stops wrk too) rather than after wrk finishes.
run_wrk() {
    local out=$1 rc=0; shift
    wrk "$@" > "$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    return "$rc"
}

warm_up() {
    [ "$WARMUP" -gt 0 ] || return 0
    echo "warming up $1 (${WARMUP}s)..." >&2
    run_wrk "$TMP/warmup-$1.txt" -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$(url_of "$1")" \
        || { cat "$TMP/warmup-$1.txt" >&2; die "wrk failed warming up $1"; }
    alive "$1"
}

# Fields from one wrk report: req/s, requests, avg latency, transfer/s, socket errors, non-2xx/3xx.
parse_wrk() {
    awk '
        /Requests\/sec:/          { rps = $2 }
        /requests in/             { reqs = $1 }
        /^ *Latency/              { lat = $2 }
        /Transfer\/sec:/          { xfer = $2 }
        /Socket errors:/          { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx/          { non2xx = $5 }
        END { printf "%s %s %s %s %d %d\n", rps, reqs, lat, xfer, err, non2xx }
    ' "$1"
}

# CPU time (user + system, all threads) a process has used, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
TICKS=$(getconf CLK_TCK 2>/dev/null || echo 100)

measure() { # measure NAME ROUND
    local out="$TMP/wrk-$1-$2.txt" pid before after cpu
    pid=$(pid_of "$1")
    echo "measuring $1 (round $2/$ROUNDS, ${DURATION}s)..." >&2
    before=$(cpu_ticks "$pid")
    run_wrk "$out" $WRK_ARGS "$(url_of "$1")" || { cat "$out" >&2; die "wrk failed against $1"; }
    after=$(cpu_ticks "$pid")
    alive "$1"
    grep -q 'Requests/sec:' "$out" || { cat "$out" >&2; die "no Requests/sec in wrk's output for $1"; }
    cpu=$(awk -v t=$((after - before)) -v hz="$TICKS" -v d="$DURATION" 'BEGIN { printf "%.0f%%", 100 * t / hz / d }')
    echo "$(parse_wrk "$out") $cpu" >> "$TMP/rounds-$1.txt"
}

warm_up httpd
warm_up nginx
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then order="httpd nginx"; else order="nginx httpd"; fi
    for server in $order; do measure "$server" "$round"; done
done

# --- report ----------------------------------------------------------------------------------------
median_rps() { # the row (of rounds-NAME.txt) with the median req/s; lower middle for even counts
    sort -n -k1,1 "$TMP/rounds-$1.txt" | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)'
}
total() { awk -v c="$2" '{ s += $c } END { print s + 0 }' "$TMP/rounds-$1.txt"; }

mkdir -p bench/results
REPORT=bench/results/compare-nginx.txt
: > "$REPORT.tmp"
say() { printf '%s\n' "$*" | tee -a "$REPORT.tmp"; }

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
[ -n "$cpu" ] || cpu=$(uname -m)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"

say "httpd vs nginx: static file of $SIZE bytes, keep-alive, loopback ($(date -u '+%Y-%m-%d %H:%M UTC'))"
say "machine: $(nproc) CPUs, $cpu, $(uname -sr) (wrk and both servers share these CPUs)"
say "versions: $("$HTTPD_BIN" -v 2>&1 | head -n 1) (commit $commit), $("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //'), wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
say "settings: nginx worker_processes 1; httpd one event loop plus its default Workers pool for file-system calls;"
say "          no access log on either;"
say "          unlimited keep-alive requests on both (httpd MaxKeepAliveRequests 0, nginx keepalive_requests 1000000000)"
say "          warm-up ${WARMUP}s per server, $ROUNDS round(s) of ${DURATION}s alternating order, median reported"
say "commands (in a temporary folder holding www/$FILE, httpd.conf and nginx.conf; removed afterwards):"
say "  $HTTPD_CMD"
sed 's/^/      /' "$TMP/httpd.conf" | tee -a "$REPORT.tmp"
say "  $NGINX_CMD"
{ tr -s ' \n' ' ' < "$TMP/nginx.conf"; echo; } | fold -s -w 94 | sed 's/^/      /; s/ *$//' | tee -a "$REPORT.tmp"
say "  wrk $WRK_ARGS http://127.0.0.1:$HTTPD_PORT/$FILE"
say "  wrk $WRK_ARGS http://127.0.0.1:$NGINX_PORT/$FILE"
say ""
if [ "$ROUNDS" -gt 1 ]; then
    for server in httpd nginx; do
        say "$server req/s per round: $(awk '{ printf "%s ", $1 }' "$TMP/rounds-$server.txt")"
    done
    say ""
fi
line=$(printf '%-7s %11s %10s %8s %10s %8s %14s %8s' server req/s requests latency transfer/s "cpu" socket-errors non-2xx)
say "$line"
for server in httpd nginx; do
    set -- $(median_rps "$server")
    line=$(printf '%-7s %11s %10s %8s %10s %8s %14s %8s' "$server" "$1" "$2" "$3" "$4" "$7" \
        "$(total "$server" 5)" "$(total "$server" 6)")
    say "$line"
done
say "(the median round by req/s; latency: wrk's average; cpu: the server's CPU time (all threads) / duration;"
say " errors: summed over all rounds)"
h=$(median_rps httpd | awk '{ print $1 }')
n=$(median_rps nginx | awk '{ print $1 }')
say "ratio httpd/nginx: $(awk -v h="$h" -v n="$n" 'BEGIN { printf "%.2f", (n > 0 ? h / n : 0) }')"

for server in httpd nginx; do
    errors=$(( $(total "$server" 5) + $(total "$server" 6) ))
    if [ "$errors" -gt 0 ]; then
        say "WARNING: wrk saw $errors socket errors or non-2xx/3xx responses from $server; its req/s counts them too."
    fi
done

warnings=$(grep -c . "$TMP/httpd.log" || true)
if [ "$warnings" -gt 0 ]; then
    say ""
    say "httpd logged $warnings line(s) at LogLevel warn during the run; the first ones:"
    head -n 5 "$TMP/httpd.log" | sed 's/^/  /' | tee -a "$REPORT.tmp"
fi
mv "$REPORT.tmp" "$REPORT"
echo "(written to $REPORT)" >&2
