#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2046,SC2015  # word splitting of space-separated lists is deliberate
# instructions.sh: user-space instructions per request of httpd against nginx, lighttpd and h2o, counted by
# valgrind's callgrind, and system calls per request, counted by strace -c: figures that hardly depend on how
# busy the machine is (req/s on a shared 2-CPU machine swing by ±40 % from one run to the next; callgrind's
# instruction counts per request stay within about 1 %).
#
# What it measures, for each server (SERVERS) and workload (WORKLOADS):
#   1. instructions: the server runs under `valgrind --tool=callgrind` (in the same process: all its threads
#      are counted); WARMUP s of the workload; callgrind_control -z (counts to zero); the workload for
#      DURATION s (wrk -t1 -c$CONNECTIONS); callgrind_control -d (dump); instructions per request = the
#      dump's PROGRAM TOTALS / the requests wrk completed. Only user-space instructions are counted: what
#      the kernel does for the server's system calls is not. For httpd on ka1k (first round), its top TOP
#      functions by inclusive and by self instructions (callgrind_annotate, names demangled with
#      `swift demangle --simplified`).
#   2. system calls, in a separate pass without valgrind: the server runs alone; WARMUP s of the workload;
#      `strace -c -f -p PID` (every thread) for a STRACE_DURATION s run of the workload; system calls per
#      request = strace's total / the requests wrk completed, and each call's count.
# Workloads (wrk -t1 -c$CONNECTIONS, CONNECTIONS default 8): ka1k (1 KiB, keep-alive), close1k (1 KiB,
# -H 'Connection: close': a new connection per request), 100k (100 KiB, keep-alive).
# Servers, each on a free 127.0.0.1 port with the configuration of bench/lib.sh: httpd (httpd -F), nginx
# (master_process off: one process, the worker, which valgrind and strace see), lighttpd (-D: one process),
# h2o (-m worker, num-threads 1: one process with threads, all counted).
# This is a benchmark that reports figures, not a test: it fails only when it cannot run (a missing tool, a
# server that does not start, dies or serves other bytes than the files).
#
# How to run it: `make bench-instructions` (installs what is missing, builds the release binary, runs this) or
#   bench/instructions.sh
# Environment (all optional):
#   HTTPD_BIN          httpd binary, relative to the repo root (default .build/release/httpd)
#   NGINX_BIN, LIGHTTPD_BIN, H2O_BIN   binaries (default: found on PATH or in /usr/sbin)
#   SERVERS            a subset of "httpd nginx lighttpd h2o" (the ratios need nginx)
#   WORKLOADS          a subset of "ka1k close1k 100k"
#   ROUNDS             rounds (default 1: the counts are steady); the report gives the median
#   DURATION           seconds of the measured run under callgrind (default 5)
#   WARMUP             seconds of the workload before each measured run (default 2)
#   STRACE_DURATION    seconds of the run under strace (default 2)
#   CONNECTIONS        wrk's connections (default 8)
#   TOP                httpd's functions listed (default 30)
#   START_TIMEOUT      seconds a server under valgrind gets to answer (default 120)
#   RESULTS_DIR        where the TSVs and the report go (default bench/results)
# Output in RESULTS_DIR: instructions.tsv (one row per server, workload and round), instructions-httpd-top.tsv
# (httpd's top functions), instructions-meta.tsv (machine, versions, commands, configurations), and from them
# (bench/report.py instructions) instructions.md.
set -eu

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init instructions

ROUNDS=${ROUNDS:-1}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
STRACE_DURATION=${STRACE_DURATION:-2}
CONNECTIONS=${CONNECTIONS:-8}
TOP=${TOP:-30}
START_TIMEOUT=${START_TIMEOUT:-120}
SERVERS=${SERVERS:-httpd nginx lighttpd h2o}
WORKLOADS=${WORKLOADS:-ka1k close1k 100k}
HTTPD_BIN=${HTTPD_BIN:-.build/release/httpd}

# --- settings and tools ----------------------------------------------------------------------------
whole_numbers ROUNDS DURATION WARMUP STRACE_DURATION CONNECTIONS TOP START_TIMEOUT
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] && [ "$STRACE_DURATION" -ge 1 ] && [ "$CONNECTIONS" -ge 1 ] \
    && [ "$START_TIMEOUT" -ge 1 ] || die "ROUNDS, DURATION, STRACE_DURATION, CONNECTIONS and START_TIMEOUT must be at least 1"
for s in $SERVERS; do
    case $s in httpd|nginx|lighttpd|h2o) ;; *) die "unknown server '$s' in SERVERS (httpd nginx lighttpd h2o)" ;; esac
done
for w in $WORKLOADS; do
    case $w in ka1k|close1k|100k) ;; *) die "unknown workload '$w' in WORKLOADS (ka1k close1k 100k)" ;; esac
done
[ -n "$SERVERS" ] && [ -n "$WORKLOADS" ] || die "SERVERS and WORKLOADS must name at least one"
bench_tools wrk curl python3 valgrind callgrind_control callgrind_annotate strace
peer_bins $SERVERS
# httpd's function names are Swift symbols: demangled by the toolchain's demangler when there is one.
if swift demangle --simplified < /dev/null > /dev/null 2>&1; then DEMANGLE="swift demangle --simplified"
elif command -v swift-demangle > /dev/null 2>&1; then DEMANGLE="swift-demangle --simplified"
else DEMANGLE="cat"; note "no swift demangle: httpd's function names stay mangled"
fi

# --- files, configurations -------------------------------------------------------------------------
WWW=$TMP/www
mkdir -p "$WWW"
write_1k "$WWW/1k.html"
write_random "$WWW/100k.bin" 102400

set -- $(free_ports 4)
for s in httpd nginx lighttpd h2o; do
    case $s in httpd) p=$1 ;; nginx) p=$2 ;; lighttpd) p=$3 ;; h2o) p=$4 ;; esac
    case " $SERVERS " in *" $s "*) ;; *) continue ;; esac
    # nginx without its master process: the worker is the process started, so valgrind and strace see it
    if [ "$s" = nginx ]; then peer_setup nginx nginx "$p" "" off; else peer_setup "$s" "$s" "$p"; fi
done

# --- clients ---------------------------------------------------------------------------------------
file_of() { case $1 in 100k) echo 100k.bin ;; *) echo 1k.html ;; esac; }
# wrk_extra WORKLOAD: in WRK_EXTRA, the options that make the workload (close1k: a new connection per request)
wrk_extra() { WRK_EXTRA=(); [ "$1" != close1k ] || WRK_EXTRA=(-H "Connection: close"); }
# client_argv WORKLOAD SERVER SECONDS: the measured run's command line, in CLIENT_ARGV
client_argv() {
    wrk_extra "$1"
    CLIENT_ARGV=(wrk -t1 -c"$CONNECTIONS" -d"${3}s" "${WRK_EXTRA[@]}" "$(peer_url "$2" "$(file_of "$1")")")
}
# warm SERVER WORKLOAD: WARMUP s of the workload, then a second for the server to close the connections
warm() {
    wrk_extra "$2"
    warm_up "$1" "$WARMUP" "$CONNECTIONS" "$(file_of "$2")" "${WRK_EXTRA[@]}"
    pause 1
}
# measure_run OUT SERVER WORKLOAD ROUND SECONDS: the workload's measured run; in RUN, "REQUESTS ERRORS NON2XX"
measure_run() {
    local requests err non2xx
    client_argv "$3" "$2" "$5"
    run_client "$1" "${CLIENT_ARGV[@]}" || { cat "$1" >&2; die "wrk failed against $2 ($3)"; }
    grep -q '^Requests/sec:' "$1" || { cat "$1" >&2; die "no Requests/sec in wrk's output ($2, $3)"; }
    read -r requests _ _ _ _ err non2xx _ <<< "$(parse_wrk "$1")"
    [ "${requests:-0}" -gt 0 ] || { cat "$1" >&2; die "wrk completed no request against $2 ($3)"; }
    peer_alive "$2"
    RUN="$requests $err $non2xx"
}

# --- httpd's functions -----------------------------------------------------------------------------
# top_functions DUMP REQUESTS ROUND: httpd's TOP functions by inclusive and by self instructions, appended to
# $TMP/instructions-httpd-top.tsv (one row per function and list), from callgrind_annotate's tables. Three
# things are straightened out first:
#  - the calls that were already running when the counts were zeroed (main, the event loop: calls=0 in the
#    dump) would count as their callers' own instructions: a copy of the dump says calls=1;
#  - callgrind_annotate shortens the paths under its working folder in some names and not in others (so the
#    same function would show twice): it runs in $TMP, and the paths are shortened here (relative to the
#    repository, ./ and dir/.. folded away; objects by their file name);
#  - callgrind names a function FILE:SYMBOL by the source file of the code it is running, so a Swift function
#    whose code comes from several files (its own, <compiler-generated>, an inlined C header) is split into
#    entries nested in one another, and a recursive call is another entry (SYMBOL'2): they are merged per
#    SYMBOL, with the largest entry's inclusive count and file and the sum of the self counts.
# Symbols are then demangled ($DEMANGLE).
TOP_COLUMNS="round sort rank inclusive self requests function file object"
top_functions() {
    local dump=$1 requests=$2 round=$3 fixed=$TMP/top-dump.callgrind mode
    sed 's/^calls=0 /calls=1 /' "$dump" > "$fixed"
    for mode in yes no; do
        (cd "$TMP" && callgrind_annotate --inclusive=$mode --auto=no --threshold=100 "$fixed") > "$TMP/annotate-$mode.txt" 2>&1 \
            || { cat "$TMP/annotate-$mode.txt" >&2; die "callgrind_annotate --inclusive=$mode failed on $dump"; }
    done
    awk -v root="$ROOT/" '
        function short(f,    n, i, parts, depth, out, stack) {
            if (index(f, root) == 1) f = substr(f, length(root) + 1)
            if (f ~ /^\/+</) sub(/^\/+/, "", f)           # //<compiler-generated>
            n = split(f, parts, "/"); depth = 0
            for (i = 1; i <= n; i++) {
                if (parts[i] == "." || (parts[i] == "" && i > 1)) continue
                if (parts[i] == ".." && depth > 0 && stack[depth] != ".." && stack[depth] != "") { depth--; continue }
                stack[++depth] = parts[i]
            }
            out = ""
            for (i = 1; i <= depth; i++) out = out (i > 1 ? "/" : "") stack[i]
            return out == "" ? f : out
        }
        # "  1,234 (12.34%)  FILE:SYMBOL [OBJECT]"
        !/^ *[0-9,]+ \([0-9. ]+%\)  / { next }
        {
            n = $1; gsub(/,/, "", n)
            key = $0; sub(/^ *[0-9,]+ \([0-9. ]+%\)  /, "", key)
            if (key == "PROGRAM TOTALS") next
            obj = ""
            if (match(key, / \[[^]]*\]$/)) { obj = substr(key, RSTART + 2, RLENGTH - 3); key = substr(key, 1, RSTART - 1) }
            sub(/.*\//, "", obj)
            file = key; sub(/:.*/, "", file)
            sym = substr(key, length(file) + 2); sub(/\047[0-9]+$/, "", sym)
            if (!(sym in seen)) { seen[sym] = 1; order[++count] = sym }
            if (obj != "" && objof[sym] == "") objof[sym] = obj
            if (FILENAME ~ /annotate-no/) self[sym] += n
            else if (n + 0 > incl[sym] + 0) { incl[sym] = n; fileof[sym] = short(file) }
        }
        END {
            for (i = 1; i <= count; i++) {
                sym = order[i]
                printf "%.0f\t%.0f\t%s\t%s\t%s\n", incl[sym] + 0, self[sym] + 0, sym, fileof[sym] == "" ? "-" : fileof[sym], objof[sym] == "" ? "-" : objof[sym]
            }
        }' "$TMP/annotate-yes.txt" "$TMP/annotate-no.txt" > "$TMP/functions.tsv"
    { sort -t"$(printf '\t')" -k1,1nr -k3,3 "$TMP/functions.tsv" | head -n "$TOP" | awk -v s=inclusive '{ print s "\t" NR "\t" $0 }'
      sort -t"$(printf '\t')" -k2,2nr -k3,3 "$TMP/functions.tsv" | head -n "$TOP" | awk -v s=self '{ print s "\t" NR "\t" $0 }'
    } | awk -F'\t' -v OFS='\t' -v round="$round" -v requests="$requests" '{ print round, $1, $2, $3, $4, requests, $5, $6, $7 }' \
      | $DEMANGLE >> "$TMP/$TOPTSV"
}

# --- measure ---------------------------------------------------------------------------------------
TSV=instructions.tsv TOPTSV=instructions-httpd-top.tsv
tsv_header "$TMP/$TSV" server workload round connections duration_s requests errors non2xx instructions \
    strace_duration_s strace_requests strace_errors strace_non2xx syscalls syscall_errors syscall_counts
tsv_header "$TMP/$TOPTSV" $TOP_COLUMNS
declare -A CG ST
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    # rotate the order: round 1 starts with the first server, round 2 with the second, ...
    set -- $SERVERS
    for _ in $(seq $(((round - 1) % $#))); do set -- "${@:2}" "$1"; done
    order="$*"

    # pass 1: instructions, each server under callgrind
    for s in $order; do
        callgrind_argv "$s-r$round"
        note "starting $s under callgrind (round $round)"
        peer_start "$s" "${CALLGRIND_ARGV[@]}"
        peer_wait_ready "$s" 1k.html "$START_TIMEOUT"
        peer_verify "$s" 1k.html 100k.bin
        for w in $WORKLOADS; do
            warm "$s" "$w"
            cg_zero "$s"
            note "measuring $s under callgrind: $w, round $round (${DURATION}s)"
            measure_run "$TMP/cg-$s-$w-$round.txt" "$s" "$w" "$round" "$DURATION"
            pause 1   # the server closes the connections: part of the requests' work
            dump=$(cg_dump "$s")
            total=$(cg_total "$dump")
            [ -n "$total" ] || die "no PROGRAM TOTALS in $dump ($s, $w)"
            CG[$s:$w:$round]="$RUN $total"
            note "$s $w: $total instructions for ${RUN%% *} requests"
            if [ "$s" = httpd ] && [ "$w" = ka1k ] && [ "$round" = 1 ]; then top_functions "$dump" "${RUN%% *}" "$round"; fi
        done
        peer_stop "$s"
    done

    # pass 2: system calls, each server alone (no valgrind) under strace -c
    for s in $order; do
        note "starting $s (round $round, system calls)"
        peer_start "$s"
        peer_wait_ready "$s" 1k.html
        peer_verify "$s" 1k.html 100k.bin
        for w in $WORKLOADS; do
            warm "$s" "$w"
            st=$TMP/strace-$s-$w-$round.txt
            strace_attach "$s" "$st"
            note "measuring $s under strace: $w, round $round (${STRACE_DURATION}s)"
            measure_run "$TMP/st-$s-$w-$round.txt" "$s" "$w" "$round" "$STRACE_DURATION"
            pause 0.5
            strace_detach "$st"
            ST[$s:$w:$round]="$RUN $(strace_counts "$st")"
        done
        peer_stop "$s"
    done

    for s in $SERVERS; do
        for w in $WORKLOADS; do
            tsv_row "$TMP/$TSV" "$s" "$w" "$round" "$CONNECTIONS" "$DURATION" ${CG[$s:$w:$round]} "$STRACE_DURATION" ${ST[$s:$w:$round]}
        done
    done
done
meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# --- what the report needs besides the figures -------------------------------------------------------
meta_machine
for v in ROUNDS DURATION WARMUP STRACE_DURATION CONNECTIONS TOP SERVERS WORKLOADS; do meta "setting:$v" "${!v}"; done
meta_peer_versions $SERVERS
meta version:wrk "wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
meta version:valgrind "$(valgrind --version 2>&1 | head -n 1) (Debian $(v_debian valgrind))"
meta version:strace "$(strace -V 2>&1 | head -n 1 | sed 's/ -- version//')"
case $DEMANGLE in
    cat) meta version:demangler "none (names left mangled)" ;;
    *)   meta version:demangler "$DEMANGLE ($(swift --version 2>&1 | grep -m 1 -i 'swift version' || echo '?'))" ;;
esac
for s in $SERVERS; do
    callgrind_argv "$s-r1"
    meta "callgrind:$s" "$(shell_line "${CALLGRIND_ARGV[@]}") $(peer_cmd "$s")"
done
meta callgrind_control "callgrind_control -z PID (after the warm-up and 1 s of quiet); callgrind_control -d PID (1 s after the measured run)"
meta callgrind_annotate "callgrind_annotate DUMP (its PROGRAM TOTALS)"
meta callgrind_functions "sed 's/^calls=0 /calls=1 /' DUMP > COPY; callgrind_annotate --inclusive=yes --auto=no --threshold=100 COPY; callgrind_annotate --inclusive=no --auto=no --threshold=100 COPY (in \$TMP); merged per symbol; | $DEMANGLE"
meta strace "strace -c -f -o FILE -p PID (attached after the warm-up and 1 s of quiet, detached with SIGTERM 0.5 s after the run)"
for w in $WORKLOADS; do
    wrk_extra "$w"
    meta "warmup:$w" "$(shell_line wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "${WRK_EXTRA[@]}" "URL/$(file_of "$w")")"
    for s in $SERVERS; do
        client_argv "$w" "$s" "$DURATION"; meta "client:$w:$s" "$(shell_line "${CLIENT_ARGV[@]}")"
        client_argv "$w" "$s" "$STRACE_DURATION"; meta "client-strace:$w:$s" "$(shell_line "${CLIENT_ARGV[@]}")"
    done
done
meta_logs 'is ready to serve requests|\(server\.c\.[0-9]+\) server started|\(server\.c\.[0-9]+\) server stopped|received SIGTERM' $SERVERS
for lf in "$TMP"/valgrind-*.log; do
    [ -e "$lf" ] || continue
    meta_log "$(basename "$lf" | sed 's/\.[0-9]*\.log$/.log/')" "$lf" \
        '^==[0-9]+== *$|^==[0-9]+== (Callgrind, a call-graph|Copyright |Using Valgrind|Command: |Parent PID: |For interactive control|Events *:|Collected *:|I +refs:)'
done
cp "$META" "$TMP/instructions-meta.tsv"

# --- report ----------------------------------------------------------------------------------------
publish_results "$TSV" "$TOPTSV" instructions-meta.tsv
python3 bench/report.py --results "$RESULTS_DIR" instructions
