# bench/lib.sh: what the benchmark scripts share (sourced, bash). One copy of each piece:
#   set-up        bench_init NAME (repository root, RESULTS_DIR, temporary folder, the clean-up trap), die, note
#   tools         find_bin, abs, bench_tools (installs what is missing), free_ports, write_1k, write_random
#   peers         peer_bins SERVERS (the binaries, installed when missing); peer_setup NAME KIND PORT [BIN [ARG]]
#                 writes a server's configuration and command; peer_start (optionally under a wrapper such as
#                 valgrind), peer_stop, peer_wait_ready, peer_verify, peer_alive, peer_url, peer_pid, peer_cmd,
#                 peer_logs
#                 KIND: httpd (httpd -F), httpd-inetd (httpd --inetd under xinetd), nginx (as its users run
#                 it: sendfile, tcp_nopush, no access log; ARG on|off: master process), busybox-inetd
#                 (busybox httpd -i under xinetd), lighttpd (1.4, one process, -D), h2o (2.2, one thread)
#                 PEER_CONNECTIONS, PEER_KEEPALIVE, PEER_NOFILE: connection limit, idle keep-alive timeout
#                 and open-file limit written into every configuration (unset: each server's usual values)
#                 PEER_TLS_CERT, PEER_TLS_KEY: every server (httpd, httpd-inetd, nginx, lighttpd, h2o) set up
#                 while they are set listens with TLS instead, with the same TLS settings (see peer_tls below);
#                 its peer_url is then https and curl checks the certificate against that PEER_TLS_CERT
#                 (peer_curl_tls NAME). Servers set up without them stay plain: one script can run both.
#   TLS clients   tls_make_cert, tls_check (s_client: what a server negotiated), handshake_run (parallel
#                 openssl s_time clients, a new connection per request: one TSV row of HS_COLUMNS),
#                 httpd_tls_counts (httpd's own handshake counters)
#   accounting    svc_ticks (CPU, /proc/PID/stat), svc_mem (RSS/PSS/USS), svc_rss_max, svc_sched,
#                 svc_switches, settle
#   clients       run_client, pause, shell_line, warm_up, parse_wrk, parse_ab, load_run (one measured run:
#                 one TSV row)
#   counting      callgrind_argv, cg_zero, cg_dump, cg_total (user-space instructions under valgrind's
#                 callgrind), strace_attach, strace_detach, strace_counts (system calls, strace -c)
#   results       tsv_header, tsv_row, meta (key/value TSV), meta_machine, meta_peer_versions, publish_results
#   builds        baseline_build COMMIT: the release binary of another commit, built once in a git worktree
# The scripts start servers, measure and append TSV rows; bench/report.py does all the arithmetic and
# writes the reports. Every process started here is stopped by PID on exit (bench_cleanup).
# shellcheck shell=bash disable=SC2086,SC2015,SC2046
# (word splitting of space-separated lists and of $(peer_curl_tls NAME) is deliberate; A && B || die is meant)

BENCH_NAME=bench
die() { echo "$BENCH_NAME: error: $*" >&2; exit 1; }
note() { echo "$BENCH_NAME: $*" >&2; }

# --- set-up and clean-up -----------------------------------------------------------------------------
BENCH_PIDS=()           # every long-running process started (servers, super-servers), stopped on exit
CLIENT_PID="" SLEEP_PID="" BASELINE_WT=""
declare -A PEER_KIND PEER_PORT PEER_CMD PEER_PID PEER_LOGS PEER_CONFS PEER_TLS

bench_init() { # bench_init NAME: cd to the repository root, make $TMP, install the clean-up trap
    BENCH_NAME=$1
    cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
    ROOT=$(pwd)
    RESULTS_DIR=${RESULTS_DIR:-bench/results}
    HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX")
    META=$TMP/meta.tsv
    tsv_header "$META" key value
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# Child processes of PID (live or not yet reaped), space separated.
children() { [ -n "$1" ] && ps -o pid= --ppid "$1" 2>/dev/null | tr -s ' \n' '  ' || true; }

stop() { # stop PID: SIGTERM, up to 5 s, then SIGKILL; reaps it if it is our child
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
stop_tree() { # stop_tree PID: the process, then whatever children it left (xinetd's servers, nginx's worker)
    local kids c
    [ -n "$1" ] || return 0
    kids=$(children "$1")
    stop "$1"
    for c in $kids; do stop "$c"; done
}
bench_cleanup() {
    local status=$? i
    trap - EXIT INT TERM
    stop "$CLIENT_PID"
    stop "$SLEEP_PID"
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do stop_tree "${BENCH_PIDS[i]}"; done
    [ -z "$BASELINE_WT" ] || baseline_worktree_remove
    rm -rf "$TMP"
    exit "$status"
}

# sleep in the background and wait for it, so that a signal is handled at once
pause() { sleep "$1" & SLEEP_PID=$!; wait "$SLEEP_PID" || true; SLEEP_PID=""; }

# --- tools -----------------------------------------------------------------------------------------
find_bin() { # find_bin NAME [OVERRIDE]: OVERRIDE, else NAME on PATH, else /usr/sbin/NAME
    if [ -n "${2:-}" ]; then echo "$2"
    elif command -v "$1" >/dev/null 2>&1; then command -v "$1"
    elif [ -x "/usr/sbin/$1" ]; then echo "/usr/sbin/$1"
    fi
}
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }   # xinetd needs absolute paths
bench_tools() { # bench_tools CMD... : install what is missing (scripts/install-deps.sh bench), then require all
    local t missing=""
    for t in "$@"; do [ -n "$(find_bin "$t")" ] || missing="$missing $t"; done
    if [ -n "$missing" ]; then
        note "installing what is missing:$missing (scripts/install-deps.sh bench)"
        scripts/install-deps.sh bench
    fi
    for t in "$@"; do [ -n "$(find_bin "$t")" ] || die "$t not found"; done
}
whole_numbers() { # whole_numbers VAR...: each variable holds a whole number
    local v
    for v in "$@"; do case "${!v}" in ''|*[!0-9]*) die "$v must be a whole number (got '${!v}')" ;; esac; done
}
raise_nofile() { # raise_nofile: the shell's open-file limit (inherited by what it starts) up to its hard limit
    ulimit -S -n "$(ulimit -H -n)" 2>/dev/null || true
    ulimit -S -n
}

free_ports() { # free_ports N: N distinct loopback ports the kernel considers free (all bound at once)
    python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])' "$1" 2>/dev/null || seq -s ' ' 18090 $((18089 + $1))
}

write_1k() { # write_1k FILE: the 1024-byte HTML page every benchmark serves
    awk 'BEGIN {
        s = "<!doctype html>\n<title>bench</title>\n<p>"
        while (length(s) < 1023) s = s "lorem ipsum dolor sit amet "
        printf "%s\n", substr(s, 1, 1023)
    }' > "$1"
    [ "$(wc -c < "$1")" -eq 1024 ] || die "could not write a 1024-byte file"
}
write_random() { head -c "$2" /dev/urandom > "$1"; }   # write_random FILE BYTES

# --- configurations ----------------------------------------------------------------------------------
# Limits written into every server's configuration when set (a script that holds many connections open
# sets them; unset, each configuration keeps the values it always had):
#   PEER_CONNECTIONS  open client connections each server accepts (every client is 127.0.0.1, so httpd's
#                     per-client limit is raised to the same number)
#   PEER_KEEPALIVE    seconds an idle keep-alive connection is kept
#   PEER_NOFILE       the open-file limit the servers run with (see raise_nofile); nginx's
#                     worker_rlimit_nofile, lighttpd's server.max-fds
PEER_CONNECTIONS=${PEER_CONNECTIONS:-} PEER_KEEPALIVE=${PEER_KEEPALIVE:-} PEER_NOFILE=${PEER_NOFILE:-}

# TLS, when PEER_TLS_CERT (PEM: the certificate, self-signed, so no chain) and PEER_TLS_KEY (its private key)
# are set: each server's one listener speaks TLS, with the same settings everywhere (bench/tls.sh):
#   protocols         TLS 1.2 and 1.3
#   TLS 1.2 ciphers   PEER_TLS_CIPHERS (httpd's default TLSCiphers, Mozilla's "intermediate"), server's order
#   TLS 1.3 suites    PEER_TLS_SUITES (httpd's default TLSCipherSuites), server's order; h2o 2.2 cannot set
#                     them (OpenSSL's default list, TLS_AES_256_GCM_SHA384 first): tls.sh's clients offer
#                     one suite only, so that every server negotiates the same
#   resumption        session tickets on (each server's own in-memory keys) and a server-side session cache
#                     (httpd 20480 sessions, nginx shared:SSL:10m, h2o internal, lighttpd its default),
#                     sessions valid 1 h
#   ALPN, OCSP        ALPN as each server does it (http/1.1); no OCSP stapling (a self-signed certificate)
PEER_TLS_CERT=${PEER_TLS_CERT:-} PEER_TLS_KEY=${PEER_TLS_KEY:-}
PEER_TLS_CIPHERS=${PEER_TLS_CIPHERS:-ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305}
PEER_TLS_SUITES=${PEER_TLS_SUITES:-TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256}
peer_tls() { [ -n "$PEER_TLS_CERT" ]; }   # the servers being set up listen with TLS
# peer_curl_tls [NAME]: curl's options for NAME's URLs (the certificate it was set up with); without NAME, for
# servers set up with the current PEER_TLS_CERT
peer_curl_tls() {
    local c=$PEER_TLS_CERT
    [ $# -eq 0 ] || c=${PEER_TLS[$1]:-}
    [ -z "$c" ] || echo "--cacert $c"
}

httpd_conf() { # httpd_conf BIN DOCROOT [PORT]: httpd's benchmark settings (no Listen line without PORT)
    [ -z "${3:-}" ] || echo "Listen 127.0.0.1:$3${PEER_TLS_CERT:+ tls}"
    printf 'DocumentRoot %s\nLogLevel warn\nKeepAlive on\nMaxKeepAliveRequests 0\n' "$2"
    if peer_tls; then
        printf 'TLSCertificateFile %s\nTLSCertificateKeyFile %s\nTLSProtocols TLSv1.2 TLSv1.3\n' "$PEER_TLS_CERT" "$PEER_TLS_KEY"
        printf 'TLSCiphers %s\nTLSCipherSuites %s\nTLSSessionTickets on\nTLSSessionCache 20480\n' "$PEER_TLS_CIPHERS" "$PEER_TLS_SUITES"
    fi
    [ -z "$PEER_KEEPALIVE" ] || echo "KeepAliveTimeout $PEER_KEEPALIVE"
    [ -z "$PEER_CONNECTIONS" ] || printf 'MaxConnections %s\nMaxConnectionsPerClient %s\n' "$PEER_CONNECTIONS" "$PEER_CONNECTIONS"
    # no access log (none by default; said explicitly when this httpd build knows the directive)
    if "$1" -t -f /dev/null -c "DocumentRoot $2" -c "AccessLog off" > /dev/null 2>&1; then echo "AccessLog off"; fi
}

# The reference nginx configuration, tuned as its users run it for static files: one worker, sendfile on,
# tcp_nopush on, open_file_cache (the counterpart of httpd's open-file cache: 1024 entries checked again
# after 1 s), access log off, keep-alive requests unlimited, every temporary path inside the prefix (-p)
# so nothing outside it is touched.
nginx_conf() { # nginx_conf PORT ROOT MASTER_PROCESS(on|off) [NAME]: NAME (default nginx) names its pid and error log files
    local mime='types { text/html html; }' user=""
    [ -r /etc/nginx/mime.types ] && mime='include /etc/nginx/mime.types;'
    # As root with a master process, the worker must still read the 0700 temporary folder.
    [ "$3" = on ] && [ "$(id -u)" -eq 0 ] && user="user root root;"
    cat <<EOF2
$user
worker_processes 1;
${PEER_NOFILE:+worker_rlimit_nofile $PEER_NOFILE;}
daemon off;
master_process $3;
pid ${4:-nginx}.pid;
error_log ${4:-nginx}-error.log warn;
events { worker_connections ${PEER_CONNECTIONS:-1024}; }
http {
    $mime
    default_type application/octet-stream;
    charset utf-8;
    access_log off;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=1024 inactive=20s;
    open_file_cache_valid 1s;
    open_file_cache_min_uses 1;
    open_file_cache_errors on;
    keepalive_timeout ${PEER_KEEPALIVE:-75}s;
    keepalive_requests 1000000000;
    client_body_temp_path nginx-tmp/body;
    proxy_temp_path nginx-tmp/proxy;
    fastcgi_temp_path nginx-tmp/fastcgi;
    uwsgi_temp_path nginx-tmp/uwsgi;
    scgi_temp_path nginx-tmp/scgi;
    server {
        listen 127.0.0.1:$1${PEER_TLS_CERT:+ ssl};
        root $2;$(peer_tls && cat <<EOF3

        ssl_certificate $PEER_TLS_CERT;
        ssl_certificate_key $PEER_TLS_KEY;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers $PEER_TLS_CIPHERS;
        ssl_conf_command Ciphersuites $PEER_TLS_SUITES;
        ssl_prefer_server_ciphers on;
        ssl_session_tickets on;
        ssl_session_cache shared:SSL:10m;
        ssl_session_timeout 1h;
EOF3
)
    }
}
EOF2
}

# lighttpd 1.4 as its users run it for a static site: one process (server.max-worker 0), Linux's sendfile
# (server.network-backend left at its default), the stat cache at its default, no access log (mod_accesslog
# not loaded), foreground (-D), errors to stderr. server.max-keep-alive-requests is a 16-bit number in 1.4:
# 65535, its largest value, is as close to unlimited as it goes (one reconnection per 65535 requests).
# lighttpd refuses more connections than half its file descriptors (a connection may hold a file too),
# so max-connections is PEER_CONNECTIONS capped at PEER_NOFILE / 2.
lighttpd_conf() { # lighttpd_conf PORT ROOT
    local conns=${PEER_CONNECTIONS:-} fds=${PEER_NOFILE:-}
    [ -n "$fds" ] && [ -n "$conns" ] && [ "$conns" -gt $((fds / 2)) ] && conns=$((fds / 2))
    cat <<EOF
server.document-root = "$2"
server.bind = "127.0.0.1"
server.port = $1
server.max-worker = 0
server.max-keep-alive-requests = 65535
server.max-keep-alive-idle = ${PEER_KEEPALIVE:-5}
${fds:+server.max-fds = $fds}
${conns:+server.max-connections = $conns}
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html; charset=utf-8", ".bin" => "application/octet-stream" )
EOF
    # TLS: mod_openssl (Debian's lighttpd-mod-openssl); session tickets on by default (keys rotated in memory)
    peer_tls || return 0
    cat <<EOF
server.modules = ( "mod_openssl" )
ssl.engine = "enable"
ssl.pemfile = "$PEER_TLS_CERT"
ssl.privkey = "$PEER_TLS_KEY"
ssl.openssl.ssl-conf-cmd = ( "MinProtocol" => "TLSv1.2", "CipherString" => "$PEER_TLS_CIPHERS", "Ciphersuites" => "$PEER_TLS_SUITES", "Options" => "ServerPreference" )
EOF
}

# h2o 2.2: one event-loop thread (num-threads 1), files served by file.dir, no access log (no access-log
# directive), errors to stderr, plain HTTP/1.1 (no TLS listener), http1-request-timeout (the idle time of a
# keep-alive connection; h2o has no limit on requests per connection). In its default worker mode it runs
# in the foreground. As root it runs as the current user (else it would switch to nobody, who cannot read
# the temporary folder).
h2o_conf() { # h2o_conf PORT ROOT
    [ "$(id -u)" -ne 0 ] || echo "user: $(id -un)"
    cat <<EOF
num-threads: 1
${PEER_CONNECTIONS:+max-connections: $PEER_CONNECTIONS}
http1-request-timeout: ${PEER_KEEPALIVE:-10}
listen:
  host: 127.0.0.1
  port: $1$(peer_tls && cat <<EOF2

  ssl:
    certificate-file: $PEER_TLS_CERT
    key-file: $PEER_TLS_KEY
    minimum-version: TLSv1.2
    cipher-suite: $PEER_TLS_CIPHERS
    cipher-preference: server
    ocsp-update-interval: 0
ssl-session-resumption:
  mode: all
  cache-store: internal
  ticket-store: internal
  lifetime: 3600
EOF2
)
hosts:
  default:
    paths:
      /:
        file.dir: $2
EOF
}

# xinetd with its throttles out of the way: instances/per_source UNLIMITED, cps 1000000, no
# per-connection logging, no libwrap.
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
    user            = $(id -un)
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

# --- peers -------------------------------------------------------------------------------------------
# peer_bins SERVER...: the binaries of the servers named (httpd nginx lighttpd h2o), as absolute paths:
# NGINX_BIN, LIGHTTPD_BIN, H2O_BIN (given, else found on PATH or in /usr/sbin; installed with
# scripts/install-deps.sh bench when missing) and HTTPD_BIN (must exist; HTTPD_LABEL keeps it as given).
peer_bins() {
    local s
    for s in "$@"; do
        case $s in
            nginx)    [ -n "$(find_bin nginx "${NGINX_BIN:-}")" ] || bench_tools nginx
                      NGINX_BIN=$(abs "$(find_bin nginx "${NGINX_BIN:-}")") ;;
            lighttpd) [ -n "$(find_bin lighttpd "${LIGHTTPD_BIN:-}")" ] || bench_tools lighttpd
                      LIGHTTPD_BIN=$(abs "$(find_bin lighttpd "${LIGHTTPD_BIN:-}")") ;;
            h2o)      [ -n "$(find_bin h2o "${H2O_BIN:-}")" ] || bench_tools h2o
                      H2O_BIN=$(abs "$(find_bin h2o "${H2O_BIN:-}")") ;;
            httpd)    [ -x "$HTTPD_BIN" ] || die "$HTTPD_BIN not found or not executable (build it: swift build -c release --static-swift-stdlib)"
                      HTTPD_LABEL=$HTTPD_BIN
                      HTTPD_BIN=$(abs "$HTTPD_BIN") ;;
        esac
    done
}

# peer_setup NAME KIND PORT [BIN [ARG]]: write NAME's configuration files into $TMP (serving $WWW), check
# them, and record its command line. BIN defaults to $HTTPD_BIN, $NGINX_BIN, $BUSYBOX_BIN, $LIGHTTPD_BIN
# or $H2O_BIN (absolute paths); ARG is nginx's master_process (on by default). The files are named as
# before this library: NAME.conf, xinetd-SHORT.conf (SHORT: NAME without -inetd), NAME-stderr.log, ...
peer_setup() {
    local name=$1 kind=$2 port=$3 bin=${4:-} arg=${5:-} short=${1%-inetd} check=$TMP/check.log
    PEER_KIND[$name]=$kind PEER_PORT[$name]=$port PEER_TLS[$name]=$PEER_TLS_CERT
    [ "$kind" != busybox-inetd ] || PEER_TLS[$name]=""   # busybox httpd has no TLS
    case $kind in
        httpd)
            bin=${bin:-$HTTPD_BIN}
            httpd_conf "$bin" "$WWW" "$port" > "$TMP/$name.conf"
            PEER_CMD[$name]="$bin -F -f $TMP/$name.conf"
            PEER_CONFS[$name]="$name.conf"
            PEER_LOGS[$name]="$name-stderr.log" ;;
        httpd-inetd)
            bin=${bin:-$HTTPD_BIN}
            # inetd mode: stderr is the client's socket, so the error log must be a file.
            { httpd_conf "$bin" "$WWW"; echo "ErrorLog $TMP/$name-error.log"; } > "$TMP/$name.conf"
            xinetd_conf "$short" "$port" "$bin" "--inetd -f $TMP/$name.conf" > "$TMP/xinetd-$short.conf"
            PEER_CMD[$name]="$XINETD_BIN -dontfork -f $TMP/xinetd-$short.conf -pidfile $TMP/xinetd-$short.pid -filelog $TMP/xinetd-$short.log"
            PEER_CONFS[$name]="$name.conf xinetd-$short.conf"
            PEER_LOGS[$name]="xinetd-$short.log $name-error.log xinetd-$short-service.log $name-stderr.log" ;;
        nginx)
            bin=${bin:-$NGINX_BIN}
            nginx_conf "$port" "$WWW" "${arg:-on}" "$name" > "$TMP/$name.conf"
            mkdir -p "$TMP/nginx-tmp"
            PEER_CMD[$name]="$bin -p $TMP/ -e $TMP/$name-error.log -c $TMP/$name.conf"
            PEER_CONFS[$name]="$name.conf"
            PEER_LOGS[$name]="$name-error.log $name-stderr.log" ;;
        busybox-inetd)
            bin=${bin:-$BUSYBOX_BIN}
            "$bin" httpd --help 2>&1 | grep -q -- '-i' || die "$bin has no httpd applet with -i"
            xinetd_conf "$short" "$port" "$bin" "httpd -i -h $WWW" > "$TMP/xinetd-$short.conf"
            PEER_CMD[$name]="$XINETD_BIN -dontfork -f $TMP/xinetd-$short.conf -pidfile $TMP/xinetd-$short.pid -filelog $TMP/xinetd-$short.log"
            PEER_CONFS[$name]="xinetd-$short.conf"
            PEER_LOGS[$name]="xinetd-$short.log xinetd-$short-service.log $name-stderr.log" ;;
        lighttpd)
            bin=${bin:-$LIGHTTPD_BIN}
            lighttpd_conf "$port" "$WWW" > "$TMP/$name.conf"
            PEER_CMD[$name]="$bin -D -f $TMP/$name.conf"
            PEER_CONFS[$name]="$name.conf"
            PEER_LOGS[$name]="$name-stderr.log" ;;
        h2o)
            bin=${bin:-$H2O_BIN}
            h2o_conf "$port" "$WWW" > "$TMP/$name.conf"
            PEER_CMD[$name]="$bin -m worker -c $TMP/$name.conf"
            PEER_CONFS[$name]="$name.conf"
            PEER_LOGS[$name]="$name-stderr.log" ;;
        *) die "unknown kind of server '$kind'" ;;
    esac
    case $kind in
        httpd|httpd-inetd)
            "$bin" -t -f "$TMP/$name.conf" > "$check" 2>&1 || { cat "$check" >&2; die "$name: httpd rejects its configuration"; } ;;
        nginx)
            ${PEER_CMD[$name]} -t > "$check" 2>&1 || { cat "$check" >&2; die "$name: nginx rejects its configuration"; } ;;
        lighttpd)
            "$bin" -tt -f "$TMP/$name.conf" > "$check" 2>&1 || { cat "$check" >&2; die "$name: lighttpd rejects its configuration"; } ;;
        h2o)
            "$bin" -m test -c "$TMP/$name.conf" > "$check" 2>&1 || { cat "$check" >&2; die "$name: h2o rejects its configuration"; } ;;
    esac
    meta "cmd:$name" "${PEER_CMD[$name]}"
    local c
    for c in ${PEER_CONFS[$name]}; do meta "conf:$c" "$(grep -v '^$' "$TMP/$c")"; done
}
peer_pid() { echo "${PEER_PID[$1]:-}"; }
peer_cmd() { echo "${PEER_CMD[$1]}"; }
peer_url() { echo "http${PEER_TLS[$1]:+s}://127.0.0.1:${PEER_PORT[$1]}/$2"; }   # peer_url NAME PATH
peer_logs() { local f; for f in ${PEER_LOGS[$1]}; do echo "$TMP/$f"; done; }
show_logs() { local f; for f in $(peer_logs "$1"); do [ -s "$f" ] && tail -n 20 "$f" >&2; done; true; }

# peer_start NAME [WRAPPER...]: in the foreground of a background job, as the current user; with WRAPPER
# (e.g. valgrind and its options), the server's command runs under it, in the same process (its PID is the
# server's).
peer_start() {
    local name=$1 cmd bin; shift
    cmd=${PEER_CMD[$name]}
    # Valgrind 3.19 gives up on the DWARF 5 parts of the Swift toolchain's debug information: under valgrind,
    # httpd runs as a copy without debug sections (the same code and symbol table, so the same counts and names).
    if [ "${1:-}" = valgrind ] && [ "${PEER_KIND[$name]}" = httpd ]; then
        bin=${cmd%% *}
        [ -x "$TMP/nodebug-$name" ] || strip --strip-debug -o "$TMP/nodebug-$name" "$bin" || die "strip failed (binutils)"
        cmd="$TMP/nodebug-$name ${cmd#* }"
    fi
    "$@" $cmd > /dev/null 2>> "$TMP/$name-stderr.log" < /dev/null &
    PEER_PID[$name]=$!
    BENCH_PIDS+=("$!")
}
forget_pid() { # forget_pid PID: drop PID from the processes stopped on exit (it has been stopped)
    local p keep=()
    for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    BENCH_PIDS=("${keep[@]}")
}
peer_stop() { # peer_stop NAME: stop the server and the children it left, and forget its PID (a restart)
    local pid
    pid=$(peer_pid "$1")
    [ -n "$pid" ] || return 0
    stop_tree "$pid"
    forget_pid "$pid"
    PEER_PID[$1]=""
}
peer_wait_ready() { # peer_wait_ready NAME PATH [SECONDS]: until it answers (default 10 s)
    local pid u limit=${3:-10}
    pid=$(peer_pid "$1"); u=$(peer_url "$1" "$2")
    for _ in $(seq $((limit * 10))); do
        kill -0 "$pid" 2>/dev/null || { show_logs "$1"; die "$1 exited while starting (log above)"; }
        curl -s $(peer_curl_tls "$1") -o /dev/null --max-time 2 "$u" && return 0
        sleep 0.1
    done
    show_logs "$1"
    die "$1 did not answer on $u within $limit s"
}
peer_alive() { # peer_alive NAME: fail if the server (or its super-server) died
    kill -0 "$(peer_pid "$1")" 2>/dev/null && return 0
    show_logs "$1"
    die "$1 (PID $(peer_pid "$1")) died (log above)"
}
# peer_verify NAME FILE...: 200 and exactly each file's bytes (with and without Connection: close); the
# connection kept alive (busybox, which has no keep-alive, must say Connection: close instead, else wrk
# would count its closes as read errors).
peer_verify() {
    local name=$1 f got u; shift
    for f in "$@"; do
        u=$(peer_url "$name" "$f")
        got=$(curl -s $(peer_curl_tls "$name") --max-time 30 -o "$TMP/got" -w '%{http_code} %{size_download}' "$u") || die "$name: curl $u failed"
        [ "$got" = "200 $(wc -c < "$WWW/$f")" ] || die "$name: GET $u gave status and size '$got', expected '200 $(wc -c < "$WWW/$f")'"
        cmp -s "$TMP/got" "$WWW/$f" || die "$name: GET $u returned different bytes than the file"
        got=$(curl -s $(peer_curl_tls "$name") --max-time 30 -H 'Connection: close' -o "$TMP/got" -w '%{http_code}' "$u") || die "$name: curl -H 'Connection: close' $u failed"
        [ "$got" = 200 ] && cmp -s "$TMP/got" "$WWW/$f" || die "$name: GET $u with Connection: close gave '$got' or other bytes"
    done
    rm -f "$TMP/got"
    u=$(peer_url "$name" "$1")
    if [ "${PEER_KIND[$name]}" = busybox-inetd ]; then
        curl -s -D - -o /dev/null "$u" | grep -qi '^connection: *close' || die "$name: no 'Connection: close' in the response"
    elif ! curl -sv $(peer_curl_tls "$name") -o /dev/null -o /dev/null "$u" "$u" 2>&1 | grep -Eqi 're-?using existing connection'; then
        die "$name: a second request did not reuse the connection (no keep-alive)"
    fi
}

# --- accounting --------------------------------------------------------------------------------------
# The service's processes: the top one (httpd, nginx's master, xinetd, h2o) and its children (nginx's
# worker, xinetd's servers, h2o's crash handler).
svc_pids() { local t; t=$(peer_pid "$1"); echo "$t $(children "$t")"; }
# CPU ticks: utime+stime+cutime+cstime of the top process (the children it reaped included: xinetd's
# per-connection servers) plus utime+stime of its live children.
svc_ticks() {
    local t c sum v
    t=$(peer_pid "$1")
    sum=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$t/stat" 2>/dev/null) || sum=0
    for c in $(children "$t"); do
        v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$c/stat" 2>/dev/null) || v=0
        sum=$((sum + ${v:-0}))
    done
    echo "${sum:-0}"
}
# Memory: "RSS_KiB PSS_KiB USS_KiB PROCESSES" summed over the service's live processes. RSS counts every
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
svc_rss_max() { # the largest RSS (KiB) of one of the service's live processes: the one that serves
    local p r max=0
    for p in $(svc_pids "$1"); do
        r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
        [ -n "$r" ] && [ "$r" -gt "$max" ] && max=$r
    done
    echo "$max"
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
    case ${PEER_KIND[$1]} in
        *-inetd)
            t=$(peer_pid "$1")
            for _ in $(seq 150); do [ -z "$(children "$t" | tr -d ' ')" ] && return 0; sleep 0.1; done
            note "$1: per-connection processes still running after 15 s: $(children "$t")" ;;
        *) sleep 0.5 ;;
    esac
}

# --- clients -----------------------------------------------------------------------------------------
run_client() { # run_client OUTPUT CMD...: in the background, waited for (a signal stops it through the trap)
    local out=$1 rc=0; shift
    "$@" > "$out" 2>&1 &
    CLIENT_PID=$!
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    return "$rc"
}
shell_line() { # shell_line ARG...: the arguments as one line of shell (those with spaces in single quotes)
    local a out=""
    for a in "$@"; do case $a in *' '*) out="$out '$a'" ;; *) out="$out $a" ;; esac; done
    echo "${out# }"
}
# warm_up NAME SECONDS CONNECTIONS PATH [WRK_ARG...]: load before the first measurement (keep-alive unless
# WRK_ARGs such as -H 'Connection: close' say otherwise)
warm_up() {
    local name=$1 secs=$2 conns=$3 path=$4
    shift 4
    [ "$secs" -gt 0 ] || return 0
    note "warming up $name (${secs}s)"
    run_client "$TMP/warmup-$name.txt" wrk -t1 -c"$conns" -d"${secs}s" "$@" "$(peer_url "$name" "$path")" \
        || { cat "$TMP/warmup-$name.txt" >&2; die "wrk failed warming up $name"; }
    peer_alive "$name"
}
# parse_wrk FILE → REQUESTS RPS LATENCY_MS P99_MS MIB_S ERRORS NON2XX P50_MS (the percentiles "-" without
# --latency)
parse_wrk() {
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
        BEGIN { p50 = p99 = "-" }
        /^ *Latency +[0-9]/  { lat = ms($2) }
        /^ *50%/             { p50 = sprintf("%.3f", ms($2)) }
        /^ *99%/             { p99 = sprintf("%.3f", ms($2)) }
        / requests in /      { reqs = $1 }
        /^Requests\/sec:/    { rps = $2 }
        /^Transfer\/sec:/    { xfer = mib($2) }
        /Socket errors:/     { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx/     { non2xx = $5 }
        END { printf "%s %s %.3f %s %.4f %d %d %s\n", reqs, rps, lat, p99, xfer, err, non2xx, p50 }' "$1"
}
parse_ab() { # parse_ab FILE → the same fields (errors: failed requests + write errors)
    awk '
        /^Complete requests:/   { reqs = $3 }
        /^Failed requests:/     { failed = $3 }
        /^Write errors:/        { werr = $3 }
        /^Non-2xx responses:/   { non2xx = $3 }
        /^Requests per second:/ { rps = $4 }
        /^Time per request:/ && lat == "" { lat = $4 }
        /^Transfer rate:/       { xfer = $3 / 1024 }
        /^ *50%/                { p50 = $2 }
        /^ *99%/                { p99 = $2 }
        END { printf "%s %s %.3f %.3f %.4f %d %d %.3f\n", reqs, rps, lat, p99, xfer, failed + werr, non2xx, p50 }' "$1"
}

# The load TSV's columns, the same for every script (see bench/README.md).
# shellcheck disable=SC2034
LOAD_COLUMNS="server workload round position tool connections duration_s requests rps latency_ms p50_ms p99_ms mib_s errors non2xx cpu_ticks clk_tck rss_kib pss_kib processes"

# load_run TSV SERVER WORKLOAD ROUND POSITION CONNECTIONS MEM(yes|no) CMD...: one measured run of CMD
# (wrk or ab, lasting $DURATION s) against SERVER; appends one row to TSV. The service's CPU ticks are read
# before and after (after its connections are closed and, under inetd, its processes reaped); with MEM=yes
# its memory is sampled at 1/4, 2/4 and 3/4 of the run and the sample with the largest RSS kept
# (per-connection processes come and go; exiting ones and zombies hold no memory and are not counted).
load_run() {
    local tsv=$1 s=$2 w=$3 round=$4 pos=$5 conns=$6 mem=$7 out before after m best="- - - -" tool rc=0 fields
    shift 7
    tool=$(basename "$1")
    out="$TMP/run-$w-$s-$round.txt"
    settle "$s"
    before=$(svc_ticks "$s")
    note "measuring $s: $w, round $round (${DURATION}s)"
    "$@" > "$out" 2>&1 &
    CLIENT_PID=$!
    if [ "$mem" = yes ]; then
        best="0 0 0 0"
        for _ in 1 2 3; do
            pause "$(awk -v d="$DURATION" 'BEGIN { print d / 4 }')"
            m=$(svc_mem "$s")
            [ "${m%% *}" -gt "${best%% *}" ] && best=$m
        done
    fi
    wait "$CLIENT_PID" || rc=$?
    CLIENT_PID=""
    [ "$rc" -eq 0 ] || { cat "$out" >&2; die "$tool failed against $s ($w): exit status $rc"; }
    peer_alive "$s"
    settle "$s"
    after=$(svc_ticks "$s")
    peer_alive "$s"
    case $tool in
        wrk) grep -q '^Requests/sec:' "$out" || { cat "$out" >&2; die "no Requests/sec in wrk's output ($s, $w)"; }
             fields=$(parse_wrk "$out") ;;
        ab)  grep -q '^Requests per second:' "$out" || { cat "$out" >&2; die "no 'Requests per second' in ab's output ($s, $w)"; }
             fields=$(parse_ab "$out") ;;
        *)   die "load_run: unknown client $tool" ;;
    esac
    local requests rps lat p99 mib err non2xx p50 rss pss procs
    read -r requests rps lat p99 mib err non2xx p50 <<< "$fields"
    read -r rss pss _ procs <<< "$best"
    [ "${requests:-0}" -gt 0 ] || { cat "$out" >&2; die "$tool completed no request against $s ($w)"; }
    tsv_row "$tsv" "$s" "$w" "$round" "$pos" "$tool" "$conns" "$DURATION" "$requests" "$rps" "$lat" "$p50" "$p99" \
        "$mib" "$err" "$non2xx" $((after - before)) "$HZ" "$rss" "$pss" "$procs"
}

# --- TLS clients -------------------------------------------------------------------------------------
# tls_make_cert DIR NAME OPENSSL_REQ_KEY_OPTIONS...: a self-signed certificate for 127.0.0.1 and localhost,
# valid 30 days: DIR/NAME.crt and its key DIR/NAME.key (mode 600). ECDSA P-256: -newkey ec -pkeyopt
# ec_paramgen_curve:P-256; RSA: -newkey rsa:2048.
tls_make_cert() {
    local dir=$1 name=$2; shift 2
    mkdir -p "$dir"
    openssl req -x509 "$@" -nodes -days 30 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$dir/$name.key" -out "$dir/$name.crt" > "$TMP/openssl-req.log" 2>&1 \
        || { cat "$TMP/openssl-req.log" >&2; die "openssl could not make the $name certificate"; }
    chmod 600 "$dir/$name.key"
}
# tls_cert_summary FILE KIND → "KIND, subject, SAN ..., signature ...": the certificate, for the reports
tls_cert_summary() {
    local subject san sig
    subject=$(openssl x509 -in "$1" -noout -subject -nameopt RFC2253 2>/dev/null | sed 's/^subject=//')
    san=$(openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ')
    sig=$(openssl x509 -in "$1" -noout -text 2>/dev/null | sed -n 's/^ *Signature Algorithm: //p' | head -n 1)
    echo "$2, $subject, SAN $san, signature $sig"
}
# tls_s_client NAME [ARG...]: openssl s_client to the server (stdin closed), its output
tls_s_client() {
    local name=$1; shift
    timeout 10 openssl s_client -connect "127.0.0.1:${PEER_PORT[$name]}" -servername localhost "$@" < /dev/null 2>&1 || true
}
# tls_check NAME [SUITE]: TLS 1.3 negotiated (with SUITE when given); s_time's request (HTTP/1.0, no Host)
# answered 200. Records what was negotiated (protocol, suite, key exchange, signature) as meta tls:NAME.
tls_check() {
    local name=$1 want=${2:-} out proto suite group sig status
    out=$(tls_s_client "$name" -brief)
    proto=$(sed -n 's/^Protocol version: *//p' <<< "$out" | head -n 1)
    suite=$(sed -n 's/^Ciphersuite: *//p' <<< "$out" | head -n 1)
    group=$(sed -n 's/^Server Temp Key: *//p' <<< "$out" | head -n 1)
    sig=$(sed -n 's/^Peer signature type: *//p;s/^Signature type: *//p' <<< "$out" | head -n 1)
    [ "$proto" = TLSv1.3 ] && { [ -z "$want" ] || [ "$suite" = "$want" ]; } \
        || { echo "$out" >&2; die "$name: negotiated '$proto' '$suite', expected TLSv1.3${want:+ and $want}"; }
    status=$(printf 'GET /1k.html HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -quiet -connect "127.0.0.1:${PEER_PORT[$name]}" 2>/dev/null | head -n 1 | tr -d '\r') || true
    case $status in "HTTP/1."[01]" 200"*) ;; *) die "$name: s_time's request (GET /1k.html HTTP/1.0, no Host) got '$status'" ;; esac
    meta "tls:$name" "$proto, $suite, ${group:-?}, ${sig:-?}"
}
# s_time_clients N CMD...: N copies of CMD at once; prints the wall time (ns) and each one's output. A
# signal (the clean-up trap stopping the client) stops them all.
s_time_clients() {
    local n=$1 i t0 t1 rc=0 pids=()
    shift
    trap 'kill "${pids[@]}" 2>/dev/null; exit 143' TERM INT
    t0=$(date +%s%N)
    for i in $(seq "$n"); do "$@" > "$TMP/s_time.$i" 2>&1 & pids+=("$!"); done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" || rc=$?; done
    t1=$(date +%s%N)
    echo "wall_ns $((t1 - t0))"
    for i in $(seq "$n"); do echo "--- client $i"; cat "$TMP/s_time.$i"; done
    return "$rc"
}
# parse_s_time FILE → CONNECTIONS NEW RESUMED BYTES WALL_S: connections completed (s_time's "N connections
# in" summed over the clients), those with a full handshake ('*') and those resumed ('r') as s_time printed
# them, bytes read, wall time
parse_s_time() {
    awk '
        /^wall_ns / { wall = $2 / 1e9; next }
        /^[*rt3]+$/ { n = split($0, c, ""); for (i = 1; i <= n; i++) { if (c[i] == "r") res++; else full++ }; next }
        / connections in .*user sec, bytes read / { conns += $1; bytes += $NF }
        END { printf "%d %d %d %d %.3f\n", conns, full, res, bytes, wall }' "$1"
}
# httpd_tls_counts NAME → HANDSHAKES RESUMED from a stand-alone httpd's /server-status?format=json (this
# request's own handshake included); "- -" for the other servers (an inetd httpd's counters die with it)
httpd_tls_counts() {
    [ "${PEER_KIND[$1]}" = httpd ] && [ -n "${PEER_TLS[$1]:-}" ] || { echo "- -"; return 0; }
    curl -s $(peer_curl_tls "$1") --max-time 10 "$(peer_url "$1" 'server-status?format=json')" \
        | python3 -c 'import json, sys; t = json.load(sys.stdin)["tls"]; print(t["handshakes"], t["resumed"])' \
        || die "$1: no TLS counters in /server-status?format=json"
}

# The handshake TSV's columns (bench/README.md)
# shellcheck disable=SC2034
HS_COLUMNS="server workload round position tool clients duration_s connections new resumed bytes wall_s rate cpu_ticks clk_tck server_handshakes server_resumed errors"
# handshake_run TSV SERVER WORKLOAD ROUND POSITION CLIENTS CMD...: CLIENTS copies of CMD (openssl s_time
# ... -time $DURATION, -new or -reuse) at once against SERVER; appends one row of HS_COLUMNS to TSV. The
# service's CPU ticks are read before and after (after an inetd service's processes are reaped); every
# connection must have read at least the 1 KiB file.
handshake_run() {
    local tsv=$1 s=$2 w=$3 round=$4 pos=$5 clients=$6 out before after c0 c1 h0 r0 h1 r1 conns new res bytes wall rate rc=0 shs="-" sres="-"
    shift 6
    out="$TMP/run-$w-$s-$round.txt"
    c0=$(httpd_tls_counts "$s")
    settle "$s"
    before=$(svc_ticks "$s")
    note "measuring $s: $w, round $round (${DURATION}s, $clients s_time clients)"
    run_client "$out" s_time_clients "$clients" "$@" || rc=$?
    peer_alive "$s"
    settle "$s"
    after=$(svc_ticks "$s")
    c1=$(httpd_tls_counts "$s")
    read -r conns new res bytes wall <<< "$(parse_s_time "$out")"
    [ "$rc" -eq 0 ] && [ "${conns:-0}" -gt 0 ] || { cat "$out" >&2; die "s_time failed against $s ($w): exit status $rc, $conns connections"; }
    # every connection read at least the 1 KiB file
    [ "$bytes" -ge $((conns * 1024)) ] || { cat "$out" >&2; die "s_time read $bytes bytes in $conns connections from $s ($w): not the file each time"; }
    rate=$(awk -v n="$conns" -v t="$wall" 'BEGIN { printf "%.1f", n / t }')
    if [ "${c0%% *}" != - ]; then
        read -r h0 r0 <<< "$c0"; read -r h1 r1 <<< "$c1"
        shs=$((h1 - h0 - 1)) sres=$((r1 - r0))   # minus the handshake of the second status request
    fi
    tsv_row "$tsv" "$s" "$w" "$round" "$pos" s_time "$clients" "$DURATION" "$conns" "$new" "$res" "$bytes" "$wall" "$rate" \
        $((after - before)) "$HZ" "$shs" "$sres" $((conns - new - res))
}

# --- counting: user-space instructions (callgrind) and system calls (strace) ---------------------------
STRACE_PID="" CG_BEFORE=" "
# callgrind_argv TAG: in CALLGRIND_ARGV, the valgrind command that peer_start NAME "${CALLGRIND_ARGV[@]}"
# puts in front of a server's command: callgrind counting the instructions the process executes in user
# space (all its threads), no per-instruction data, one file per dump ($TMP/callgrind-TAG.PID.N) and
# --read-inline-info=no (with inline information, callgrind attributes almost everything in httpd's release
# binary to one function). valgrind's own messages go to $TMP/valgrind-TAG.PID.log, not the server's stderr.
# Its control pipes are in $TMP (--vgdb-prefix), not in /tmp: a `callgrind_control -z` or `-d` without a PID,
# run by anyone else on the machine, acts on every callgrind run it finds in /tmp and would zero or dump this
# one in the middle of a measurement.
callgrind_argv() {
    # shellcheck disable=SC2034  # used by the scripts
    CALLGRIND_ARGV=(valgrind --tool=callgrind --dump-instr=no --read-inline-info=no "--vgdb-prefix=$TMP/vgdb-pipe"
        "--callgrind-out-file=$TMP/callgrind-$1.%p" "--log-file=$TMP/valgrind-$1.%p.log")
}
cg_control() { # cg_control NAME OPTION: callgrind_control OPTION PID (-z: zero the counts; -d: dump them)
    local pid
    pid=$(peer_pid "$1")
    callgrind_control "--vgdb-prefix=$TMP/vgdb-pipe" "$2" "$pid" > "$TMP/callgrind-control.txt" 2>&1 \
        && grep -q 'OK' "$TMP/callgrind-control.txt" \
        || { cat "$TMP/callgrind-control.txt" >&2; die "callgrind_control $2 $pid failed ($1)"; }
}
# cg_zero NAME: the counts start again from zero (and the dump files there are so far are noted)
cg_zero() {
    local f
    cg_control "$1" -z
    CG_BEFORE=" "
    for f in "$TMP"/callgrind-*."$(peer_pid "$1")".*; do CG_BEFORE="$CG_BEFORE$f "; done
}
# cg_dump NAME: callgrind writes the counts since cg_zero into a new file; prints its path once it is complete
# (its last line is the totals). Fails if more than one file appeared since cg_zero: something else dumped
# the counts in the meantime.
cg_dump() {
    local pid f new found=""
    pid=$(peer_pid "$1")
    cg_control "$1" -d
    for _ in $(seq 300); do
        new=0
        for f in "$TMP"/callgrind-*."$pid".*; do
            case $CG_BEFORE in *" $f "*) continue ;; esac
            [ -f "$f" ] || continue
            new=$((new + 1))
            tail -n 1 "$f" | grep -q '^totals:' && found=$f
        done
        [ "$new" -le 1 ] || die "callgrind dumped $1 (PID $pid) $new times during one measurement"
        [ -z "$found" ] || { echo "$found"; return 0; }
        sleep 0.1
    done
    die "callgrind wrote no dump for $1 (PID $pid) within 30 s"
}
cg_total() { # cg_total FILE: the instructions in a callgrind dump (callgrind_annotate's PROGRAM TOTALS)
    callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(/,/, "", $1); print $1; exit }'
}
# strace_attach NAME FILE: strace -c -f attached to the server's process (every thread of it), counting its
# system calls until strace_detach writes the table into FILE; returns once every thread is traced.
strace_attach() {
    local pid t untraced
    pid=$(peer_pid "$1")
    strace -c -f -o "$2" -p "$pid" 2> "$2.log" &
    STRACE_PID=$!
    BENCH_PIDS+=("$STRACE_PID")
    for _ in $(seq 100); do
        untraced=0
        for t in /proc/"$pid"/task/*/status; do
            [ "$(awk '/^TracerPid:/ { print $2 }' "$t" 2>/dev/null)" = "$STRACE_PID" ] || untraced=$((untraced + 1))
        done
        [ "$untraced" -eq 0 ] && return 0
        kill -0 "$STRACE_PID" 2>/dev/null || { cat "$2.log" >&2; die "strace could not attach to $1 (PID $pid)"; }
        sleep 0.1
    done
    die "strace did not attach to every thread of $1 (PID $pid) within 10 s"
}
strace_detach() { # strace_detach FILE: stop strace (SIGTERM: it detaches and writes its table)
    stop "$STRACE_PID"
    forget_pid "$STRACE_PID"
    STRACE_PID=""
    grep -q ' total$' "$1" || { cat "$1" "$1.log" >&2; die "strace wrote no table into $1"; }
}
# strace_counts FILE → CALLS ERRORS NAME:CALLS:ERRORS,... : the system calls in strace -c's table, in all and
# per call (most frequent first)
strace_counts() {
    awk '
        /^-+ -+/ { part++; next }
        part == 1 && NF >= 5 { calls = $4; err = NF >= 6 ? $5 : 0; n += calls; e += err; print $NF ":" calls ":" err }
        END { printf "#total %.0f %.0f\n", n, e }' "$1" \
    | sort -t: -k2,2nr -k1,1 | awk '/^#total / { t = $2 " " $3; next } { l = l (l == "" ? "" : ",") $0 } END { print t, (l == "" ? "-" : l) }'
}

# --- results -----------------------------------------------------------------------------------------
# TSV: a header row, then one row per measurement; tabs and newlines inside a value become spaces; an
# empty value is written as "-" (not measured).
tsv_header() { local f=$1; shift; (IFS=$'\t'; echo "$*") > "$f"; }
tsv_row() {
    local f=$1 v cells=() ; shift
    for v in "$@"; do v=${v//$'\t'/ }; v=${v//$'\n'/ }; cells+=("${v:--}"); done
    (IFS=$'\t'; echo "${cells[*]}") >> "$f"
}
# meta KEY VALUE: one row of the run's key/value TSV ($TMP/meta.tsv); backslash, tab and newline in VALUE
# are written as \\, \t and \n.
meta() {
    local v=$2
    v=${v//\\/\\\\}; v=${v//$'\t'/\\t}; v=${v//$'\n'/\\n}
    printf '%s\t%s\n' "$1" "$v" >> "$META"
}
# The machine, the date and the checkout's commit.
meta_machine() {
    local commit cpu
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || commit="$commit (with uncommitted changes in Sources/)"
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
    meta script "bench/$BENCH_NAME.sh"
    meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
    meta date_day "$(date -u +%Y-%m-%d)"
    meta commit "$commit"
    meta nproc "$(nproc)"
    meta cpu_model "${cpu:-$(uname -m)}"
    meta mem_total_kib "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
    meta uname_srm "$(uname -srm)"
    meta uname_sr "$(uname -sr)"
    meta clk_tck "$HZ"
    meta tmp "$TMP"
}
v_debian() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "?"; }   # a Debian package's version
meta_peer_versions() { # meta_peer_versions SERVER...: version:SERVER of each server named (bin:httpd too)
    local s
    for s in "$@"; do
        case $s in
            httpd)    meta version:httpd "$("$HTTPD_BIN" -v 2>&1 | head -n 1)"
                      meta bin:httpd "$HTTPD_LABEL" ;;
            nginx)    meta version:nginx "$("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //') (Debian $(v_debian nginx-light))" ;;
            lighttpd) meta version:lighttpd "$("$LIGHTTPD_BIN" -v 2>&1 | head -n 1 | sed 's/ - a light and fast webserver//') (Debian $(v_debian lighttpd))" ;;
            h2o)      meta version:h2o "$("$H2O_BIN" -v 2>&1 | head -n 1) (Debian $(v_debian h2o))" ;;
        esac
    done
}
meta_log() { # meta_log NAME FILE [IGNORE_REGEX]: how many lines a log has (those not ignored) and the first 5
    local n
    [ -s "$2" ] || return 0
    n=$(grep -cvE "${3:-^\$}" "$2" || true)
    [ "${n:-0}" -gt 0 ] || return 0
    meta "loglines:$1" "$n"
    meta "log:$1" "$(grep -vE "${3:-^\$}" "$2" | head -n 5)"
}
meta_logs() { # meta_logs IGNORE_REGEX SERVER...: meta_log of every log of every server named
    local re=$1 s lf; shift
    for s in "$@"; do
        for lf in $(peer_logs "$s"); do meta_log "$(basename "$lf")" "$lf" "$re"; done
    done
}
# publish_results FILE...: move this run's TSVs from $TMP into $RESULTS_DIR at once (a failed or
# interrupted run leaves the previous results alone).
publish_results() {
    local f
    mkdir -p "$RESULTS_DIR"
    for f in "$@"; do cp "$TMP/$f" "$RESULTS_DIR/$f.tmp" && mv "$RESULTS_DIR/$f.tmp" "$RESULTS_DIR/$f"; done
}

# --- another build of httpd --------------------------------------------------------------------------
# baseline_build COMMIT: set BASELINE_BIN to the release binary (swift build -c release
# --static-swift-stdlib) of COMMIT, built once in a temporary git worktree (removed afterwards, on
# failure and on Ctrl-C too) and cached in .build/baseline-<full hash>/httpd.
baseline_build() {
    local full dir
    full=$(git rev-parse --verify --quiet "$1^{commit}") || die "BASELINE=$1 is not a commit of this repository"
    dir=$ROOT/.build/baseline-$full
    BASELINE_BIN=$dir/httpd
    [ -x "$BASELINE_BIN" ] && { note "BASELINE=$1: using the cached $BASELINE_BIN"; return 0; }
    command -v "${SWIFT:-swift}" >/dev/null 2>&1 || die "swift not found (needed to build BASELINE=$1)"
    BASELINE_WT=$TMP/baseline-src
    note "BASELINE=$1: building $full in a temporary worktree (release, --static-swift-stdlib); cached in $dir"
    git worktree add --detach --quiet "$BASELINE_WT" "$full" >&2 || die "git worktree add failed"
    (cd "$BASELINE_WT" && "${SWIFT:-swift}" build -c release --static-swift-stdlib) >&2 || die "the build of $1 failed"
    mkdir -p "$dir"
    cp "$BASELINE_WT/.build/release/httpd" "$BASELINE_BIN.tmp" && mv "$BASELINE_BIN.tmp" "$BASELINE_BIN"
    git rev-parse --short "$full" > "$dir/commit"
    baseline_worktree_remove
}
baseline_worktree_remove() { # the temporary worktree, and the lock files SwiftPM left in /tmp for its path
    git worktree remove --force "$BASELINE_WT" 2>/dev/null || true
    rm -f "${TMPDIR:-/tmp}/$(echo "$BASELINE_WT" | tr / _)"_.build*.lock
    BASELINE_WT=""
}
