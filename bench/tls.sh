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
mkdir -p "$CERTS"
make_cert() { # make_cert NAME OPENSSL_REQ_KEY_OPTIONS...: a self-signed certificate for 127.0.0.1 and localhost
    local name=$1; shift
    openssl req -x509 "$@" -nodes -days 30 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$CERTS/$name.key" -out "$CERTS/$name.crt" > "$TMP/openssl-req.log" 2>&1 \
        || { cat "$TMP/openssl-req.log" >&2; die "openssl could not make the $name certificate"; }
    chmod 600 "$CERTS/$name.key"
}
make_cert ecdsa -newkey ec -pkeyopt ec_paramgen_curve:P-256
make_cert rsa -newkey rsa:2048
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

# s_client NAME [ARG...]: openssl s_client to the server (stdin closed), its output
s_client() {
    local name=$1; shift
    timeout 10 openssl s_client -connect "127.0.0.1:${PEER_PORT[$name]}" -servername localhost "$@" < /dev/null 2>&1 || true
}
# tls_check NAME: TLS 1.3 with CLIENT_SUITE negotiated; s_time's request (HTTP/1.0, no Host) answered 200.
# Records what was negotiated (protocol, suite, key exchange, signature) as tls:NAME.
tls_check() {
    local name=$1 out proto suite group sig status
    out=$(s_client "$name" -brief)
    proto=$(sed -n 's/^Protocol version: *//p' <<< "$out" | head -n 1)
    suite=$(sed -n 's/^Ciphersuite: *//p' <<< "$out" | head -n 1)
    group=$(sed -n 's/^Server Temp Key: *//p' <<< "$out" | head -n 1)
    sig=$(sed -n 's/^Peer signature type: *//p;s/^Signature type: *//p' <<< "$out" | head -n 1)
    [ "$proto" = TLSv1.3 ] && [ "$suite" = "$CLIENT_SUITE" ] \
        || { echo "$out" >&2; die "$name: negotiated '$proto' '$suite', expected TLSv1.3 and $CLIENT_SUITE"; }
    status=$(printf 'GET /1k.html HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -quiet -connect "127.0.0.1:${PEER_PORT[$name]}" 2>/dev/null | head -n 1 | tr -d '\r') || true
    case $status in "HTTP/1."[01]" 200"*) ;; *) die "$name: s_time's request (GET /1k.html HTTP/1.0, no Host) got '$status'" ;; esac
    meta "tls:$name" "$proto, $suite, ${group:-?}, ${sig:-?}"
}
for s in $SERVERS; do tls_check "$s"; done
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
# httpd_tls_counts NAME → HANDSHAKES RESUMED from httpd's /server-status?format=json (this request's own
# handshake included); "- -" for the other servers
httpd_tls_counts() {
    [ "${PEER_KIND[$1]}" = httpd ] || { echo "- -"; return 0; }
    curl -s $(peer_curl_tls) --max-time 10 "$(peer_url "$1" 'server-status?format=json')" \
        | python3 -c 'import json, sys; t = json.load(sys.stdin)["tls"]; print(t["handshakes"], t["resumed"])' \
        || die "$1: no TLS counters in /server-status?format=json"
}

HS_COLUMNS="server workload round position tool clients duration_s connections new resumed bytes wall_s rate cpu_ticks clk_tck server_handshakes server_resumed errors"
# handshake_run TSV SERVER WORKLOAD ROUND POSITION: HANDSHAKE_CLIENTS s_time clients for DURATION s; one row
handshake_run() {
    local tsv=$1 s=$2 w=$3 round=$4 pos=$5 out before after c0 c1 h0 r0 h1 r1 conns new res bytes wall rate rc=0 shs="-" sres="-"
    out="$TMP/run-$w-$s-$round.txt"
    client_argv "$w" "$s"
    c0=$(httpd_tls_counts "$s")
    settle "$s"
    before=$(svc_ticks "$s")
    note "measuring $s: $w, round $round (${DURATION}s, $HANDSHAKE_CLIENTS s_time clients)"
    run_client "$out" s_time_clients "$HANDSHAKE_CLIENTS" "${CLIENT_ARGV[@]}" || rc=$?
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
    tsv_row "$tsv" "$s" "$w" "$round" "$pos" s_time "$HANDSHAKE_CLIENTS" "$DURATION" "$conns" "$new" "$res" "$bytes" "$wall" "$rate" \
        $((after - before)) "$HZ" "$shs" "$sres" $((conns - new - res))
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
                full|resumed) handshake_run "$TMP/$HS" "$s" "$w" "$round" "$pos" ;;
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
    *" httpd "*) meta httpd_tls_file_path "$(curl -s $(peer_curl_tls) "$(peer_url httpd 'server-status?format=json')" \
                     | python3 -c 'import json, sys; print(json.load(sys.stdin)["tls"].get("file_path", "?"))' || echo '?')" ;;
esac
cert_text() { openssl x509 -in "$PEER_TLS_CERT" -noout "$@" 2>/dev/null; }
meta certificate "$(case $CERT in ecdsa) echo "ECDSA P-256" ;; rsa) echo "RSA 2048" ;; esac), $(cert_text -subject -nameopt RFC2253 | sed 's/^subject=//'), SAN $(cert_text -ext subjectAltName | tail -n +2 | tr -d ' '), signature $(cert_text -text | sed -n 's/^ *Signature Algorithm: //p' | head -n 1)"
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
