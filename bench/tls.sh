#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2046,SC2015  # word splitting of space-separated lists is deliberate
# tls.sh: HTTPS, httpd against nginx, lighttpd and h2o (issue 11's "Performance"), on the same machine, in the
# same run, interleaved, each server with the same certificate and the same TLS settings.
#
# Servers: as in peers.sh (bench/lib.sh: nginx master + 1 worker with sendfile, tcp_nopush, open_file_cache;
# lighttpd -D, one process; h2o 2.2, one thread; httpd -F), each listening with TLS on its own free
# 127.0.0.1 port (lib.sh's PEER_TLS_CERT/PEER_TLS_KEY: TLS 1.2 and 1.3, the same TLS 1.2 ciphers and TLS 1.3
# suites in the same order with the server's preference, session tickets on, a session cache; lighttpd
# through mod_openssl, h2o through its listener's `ssl`). The certificate is made here with openssl into
# the temporary folder: ECDSA P-256 (CERT=ecdsa, the default) or RSA 2048 (CERT=rsa); both are made, one
# is served. The servers are started without OPENSSL_CONF; every client (wrk, openssl s_time, curl,
# s_client) runs with OPENSSL_CONF naming a file that makes it offer one TLS 1.3 suite only
# (CLIENT_SUITE, default TLS_AES_128_GCM_SHA256, the first of every configured list): h2o 2.2 has no
# setting for TLS 1.3 suites, so this is what makes all four negotiate the same one. Before measuring,
# each server is checked to serve the files byte for byte over TLS (curl, the certificate checked), to
# keep connections alive, to answer s_time's request (HTTP/1.0 without Host) with 200, and to negotiate
# TLS 1.3 with CLIENT_SUITE.
#
# Rounds: every round starts every server afresh (round 1 from the checks, later rounds restarted), warms
# it up (wrk over TLS, 1 KiB, 64 connections), then runs every workload against every server in turn, the
# servers' order rotating from one round to the next. Workloads:
#   ka1k      1 KiB file over TLS, keep-alive: wrk -t1 -c64 (req/s, server CPU per request)
#   10m       10 MiB file over TLS, keep-alive: wrk -t1 -c4 (MiB/s, server CPU per MiB)
#   full      a new TLS connection per request, full handshakes (no resumption): HANDSHAKE_CLIENTS
#             parallel `openssl s_time -new -www /1k.html` (each connection: a full handshake, one
#             HTTP/1.0 GET of the 1 KiB file, closed by the server); handshakes/s and server CPU per
#             connection. wrk cannot do this (it resumes sessions when it reconnects). s_time prints one
#             character per connection ('*' new, 'r' resumed): both are counted, and for httpd its own
#             counters (/server-status?format=json: tls.handshakes, tls.resumed) are read before and after.
#   resumed   the same with `s_time -reuse`: every connection resumes the first one's session (TLS 1.3:
#             a ticket, with a new X25519 exchange but no certificate and no signature)
# The handshake rates are bound by the clients' CPU on a 2-CPU machine; server CPU per handshake is the
# figure to compare. Server CPU comes from /proc/PID/stat (utime+stime of all the server's processes and
# threads: nginx's worker, h2o's neverbleed process that holds its private key) before and after each run.
# This script only starts servers, measures and appends TSV rows; bench/report.py computes the figures
# (medians over rounds, ratios to nginx, issue 11's goals) and writes RESULTS_DIR/tls.md.
#
# Run it with `make bench-tls` (installs what is missing, builds the release binary, runs this) or
#   bench/tls.sh
# Environment (all optional):
#   HTTPD_BIN          httpd binary, relative to the repo root (default .build/release/httpd)
#   NGINX_BIN, LIGHTTPD_BIN, H2O_BIN   binaries (default: found on PATH or in /usr/sbin)
#   SERVERS            a subset of "httpd nginx lighttpd h2o" (the ratios need nginx)
#   WORKLOADS          a subset of "ka1k 10m full resumed"
#   ROUNDS             rounds (default 2); medians over rounds are reported
#   DURATION           seconds per run (default 8)
#   WARMUP             seconds of keep-alive load per server at the start of each round (default 2; 0: none)
#   HANDSHAKE_CLIENTS  parallel s_time clients in `full` and `resumed` (default 2)
#   CERT               ecdsa (P-256, default) or rsa (2048 bits): the certificate served
#   CLIENT_SUITE       the one TLS 1.3 suite the clients offer (default TLS_AES_128_GCM_SHA256)
#   RESULTS_DIR        where the TSVs and the report go (default bench/results)
# Output in RESULTS_DIR: tls.tsv (wrk runs), tls-handshakes.tsv (s_time runs), tls-meta.tsv (machine,
# versions, commands, configurations, what each server negotiated), and from them tls.md. Fails (exit 1)
# only when it cannot run: a missing tool, a server that does not start, dies, does not speak TLS as
# configured or serves other bytes than the files.
set -eu

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init tls

DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-2}
HANDSHAKE_CLIENTS=${HANDSHAKE_CLIENTS:-2}
CERT=${CERT:-ecdsa}
CLIENT_SUITE=${CLIENT_SUITE:-TLS_AES_128_GCM_SHA256}
SERVERS=${SERVERS:-httpd nginx lighttpd h2o}
WORKLOADS=${WORKLOADS:-ka1k 10m full resumed}
HTTPD_BIN=${HTTPD_BIN:-.build/release/httpd}

# --- settings and tools ----------------------------------------------------------------------------
whole_numbers DURATION WARMUP ROUNDS HANDSHAKE_CLIENTS
[ "$DURATION" -ge 1 ] && [ "$ROUNDS" -ge 1 ] && [ "$HANDSHAKE_CLIENTS" -ge 1 ] || die "DURATION, ROUNDS and HANDSHAKE_CLIENTS must be at least 1"
case $CERT in ecdsa|rsa) ;; *) die "CERT must be ecdsa or rsa (got '$CERT')" ;; esac
for s in $SERVERS; do
    case $s in httpd|nginx|lighttpd|h2o) ;; *) die "unknown server '$s' in SERVERS (httpd nginx lighttpd h2o)" ;; esac
done
for w in $WORKLOADS; do
    case $w in ka1k|10m|full|resumed) ;; *) die "unknown workload '$w' in WORKLOADS (ka1k 10m full resumed)" ;; esac
done
bench_tools wrk curl openssl python3
peer_bins $SERVERS
case " $SERVERS " in
    *" lighttpd "*)   # lighttpd's TLS is a module of its own Debian package (lighttpd-mod-openssl)
        libdir=$(dirname "$(dirname "$LIGHTTPD_BIN")")/lib/lighttpd
        [ -e "$libdir/mod_openssl.so" ] || { note "installing lighttpd's mod_openssl"; scripts/install-deps.sh bench; }
        [ -e "$libdir/mod_openssl.so" ] || die "lighttpd has no mod_openssl ($libdir/mod_openssl.so; Debian: lighttpd-mod-openssl)" ;;
esac
PEER_NOFILE=$(raise_nofile)

# --- certificates, the clients' OpenSSL configuration -----------------------------------------------
CERTS=$TMP/tls
tls_make_cert "$CERTS" ecdsa -newkey ec -pkeyopt ec_paramgen_curve:P-256
tls_make_cert "$CERTS" rsa -newkey rsa:2048
PEER_TLS_CERT=$CERTS/$CERT.crt PEER_TLS_KEY=$CERTS/$CERT.key

# Every client of this script (wrk, s_time, s_client, curl) reads this file: libssl loads OPENSSL_CONF
# when it starts, and its system_default section applies to every TLS context the program makes.
CLIENT_CONF=$TMP/client-openssl.cnf
cat > "$CLIENT_CONF" <<EOF
# the benchmark's clients: offer one TLS 1.3 suite only, so that every server negotiates the same
openssl_conf = bench_client
[bench_client]
ssl_conf = bench_ssl
[bench_ssl]
system_default = bench_tls
[bench_tls]
Ciphersuites = $CLIENT_SUITE
EOF
export OPENSSL_CONF=$CLIENT_CONF
SERVER_ENV=(env -u OPENSSL_CONF)   # the servers start without it (their own configuration only)

# --- files, configurations, servers ----------------------------------------------------------------
WWW=$TMP/www
mkdir -p "$WWW"
write_1k "$WWW/1k.html"
write_random "$WWW/10m.bin" 10485760

set -- $(free_ports 4)
for s in httpd nginx lighttpd h2o; do
    case $s in httpd) p=$1 ;; nginx) p=$2 ;; lighttpd) p=$3 ;; h2o) p=$4 ;; esac
    case " $SERVERS " in *" $s "*) ;; *) continue ;; esac
    peer_setup "$s" "$s" "$p"
done
for s in $SERVERS; do peer_start "$s" "${SERVER_ENV[@]}"; done
for s in $SERVERS; do peer_wait_ready "$s" 1k.html; done
for s in $SERVERS; do peer_verify "$s" 1k.html 10m.bin; done

for s in $SERVERS; do tls_check "$s" "$CLIENT_SUITE"; done
note "all servers speak TLS 1.3 ($CLIENT_SUITE) and serve the files byte for byte: $SERVERS"

# --- clients ---------------------------------------------------------------------------------------
file_of() { case $1 in 10m) echo 10m.bin ;; *) echo 1k.html ;; esac; }
conns_of() { case $1 in ka1k) echo 64 ;; 10m) echo 4 ;; full|resumed) echo "$HANDSHAKE_CLIENTS" ;; esac; }
client_argv() { # client_argv WORKLOAD SERVER: the client's command line (one of the parallel ones), in CLIENT_ARGV
    case $1 in
        full)    CLIENT_ARGV=(openssl s_time -connect "127.0.0.1:${PEER_PORT[$2]}" -new -www /1k.html -time "$DURATION") ;;
        resumed) CLIENT_ARGV=(openssl s_time -connect "127.0.0.1:${PEER_PORT[$2]}" -reuse -www /1k.html -time "$DURATION") ;;
        *)       CLIENT_ARGV=(wrk -t1 -c"$(conns_of "$1")" -d"${DURATION}s" --latency "$(peer_url "$2" "$(file_of "$1")")") ;;
    esac
}
start_round() { # start_round ROUND: later rounds restart every server first; then the warm-up
    local s
    if [ "$1" -gt 1 ]; then
        note "round $1: restarting the servers"
        for s in $SERVERS; do peer_stop "$s"; peer_start "$s" "${SERVER_ENV[@]}"; done
        for s in $SERVERS; do peer_wait_ready "$s" 1k.html; done
    fi
    for s in $SERVERS; do warm_up "$s" "$WARMUP" 64 1k.html; done
}

# --- measure ---------------------------------------------------------------------------------------
LOAD=tls.tsv HS=tls-handshakes.tsv
tsv_header "$TMP/$LOAD" $LOAD_COLUMNS
tsv_header "$TMP/$HS" $HS_COLUMNS
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    start_round "$round"
    set -- $SERVERS
    for _ in $(seq $(((round - 1) % $#))); do set -- "${@:2}" "$1"; done
    order="$*"
    for w in $WORKLOADS; do
        pos=1
        for s in $order; do
            case $w in
                full|resumed) client_argv "$w" "$s"
                              handshake_run "$TMP/$HS" "$s" "$w" "$round" "$pos" "$HANDSHAKE_CLIENTS" "${CLIENT_ARGV[@]}" ;;
                *) client_argv "$w" "$s"
                   load_run "$TMP/$LOAD" "$s" "$w" "$round" "$pos" "$(conns_of "$w")" no "${CLIENT_ARGV[@]}" ;;
            esac
            pos=$((pos + 1))
        done
    done
done
meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- what the report needs besides the figures -------------------------------------------------------
meta_machine
for v in DURATION WARMUP ROUNDS HANDSHAKE_CLIENTS CERT CLIENT_SUITE SERVERS WORKLOADS PEER_NOFILE; do
    meta "setting:$v" "${!v}"
done
meta_peer_versions $SERVERS
meta version:openssl "$(openssl version)"
for s in $SERVERS; do   # the libssl each running server has mapped (httpd loads it with dlopen, lighttpd with mod_openssl)
    meta "libssl:$s" "$(for p in $(svc_pids "$s"); do awk '$6 ~ /libssl/ { print $6; exit }' "/proc/$p/maps" 2>/dev/null; done | sort -u | paste -sd ' ')"
done
meta version:wrk "wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
meta ktls_ulp "$(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null || echo '?')"
case " $SERVERS " in
    *" httpd "*) meta httpd_tls_file_path "$(curl -s $(peer_curl_tls httpd) "$(peer_url httpd 'server-status?format=json')" \
                     | python3 -c 'import json, sys; print(json.load(sys.stdin)["tls"].get("file_path", "?"))' || echo '?')" ;;
esac
meta certificate "$(tls_cert_summary "$PEER_TLS_CERT" "$(case $CERT in ecdsa) echo "ECDSA P-256" ;; rsa) echo "RSA 2048" ;; esac)")"
meta client_conf "$(grep -v '^#' "$CLIENT_CONF")"
for w in $WORKLOADS; do
    for s in $SERVERS; do
        client_argv "$w" "$s"
        line=$(shell_line "${CLIENT_ARGV[@]}")
        case $w in full|resumed) line="$line   # $HANDSHAKE_CLIENTS at once" ;; esac
        meta "client:$w:$s" "$line"
    done
done
meta_logs 'raised RLIMIT_NOFILE|is ready to serve requests|\(server\.c\.[0-9]+\) server started' $SERVERS
cp "$META" "$TMP/tls-meta.tsv"

# --- report ----------------------------------------------------------------------------------------
publish_results "$LOAD" "$HS" tls-meta.tsv
python3 bench/report.py --results "$RESULTS_DIR" tls
