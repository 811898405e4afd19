# httpd: `make run` builds and serves ./www on http://127.0.0.1:8080/; `make test` runs every test.
# Both install what is missing first (Debian packages, as root; see scripts/install-deps.sh).

SWIFT ?= swift
# Release builds link the Swift runtime statically: inetd mode starts a process per connection, and
# this cuts its start-up (about 1.5 ms less to the first byte here) and resident memory (8 MB, not 11).
# No $ORIGIN run path: the binary needs no library of its own, and with it the dynamic loader first looks
# for libm in 19 folders beside the binary (38 failed system calls at every start). Package.swift has the
# rest of the release link (lld, static libevent and C++ library, RELR, hot functions first).
RELEASE_BUILD = $(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath
CONF ?= httpd.conf

.PHONY: all deps build debug run test unit integration fuzz fuzz-smoke bench bench-nginx bench-peers bench-instructions bench-tls bench-sites bench-availability clean

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	$(RELEASE_BUILD)

debug: deps
	$(SWIFT) build

run: build
	@echo "httpd: serving ./www on http://127.0.0.1:8080/ (config: $(CONF), in the foreground); stop it with Ctrl-C"
	@exec .build/release/httpd -F -f $(CONF) -c "ErrorLog stderr"

# The build refuses an import of a target that is not a declared dependency (the layers in README.md).
LAYER_CHECK = --explicit-target-dependency-import-check error

test:
	@scripts/install-deps.sh test
	scripts/check-source.sh
	$(SWIFT) build --build-tests $(LAYER_CHECK)
	$(SWIFT) test --skip-build
	$(MAKE) fuzz-smoke
	HTTPD_BIN=$(CURDIR)/.build/debug/httpd python3 -m pytest -q Tests/integration

unit: deps
	$(SWIFT) test

integration: debug
	HTTPD_BIN=$(CURDIR)/.build/debug/httpd python3 -m pytest -q Tests/integration

# make fuzz: the libFuzzer targets of Tests/fuzz (with AddressSanitizer), FUZZ_SECONDS each (default 60),
# from the seeds in Tests/fuzz/corpus plus the corpus grown so far (.build/fuzz/corpus); prints the
# executions per target and in all, and fails on any crash (inputs kept in .build/fuzz/artifacts).
# make fuzz-smoke: 3 s per target from the seeds only, so the targets keep building and the seeds pass.
FUZZ_SECONDS ?= 60

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

fuzz-smoke: deps
	@rm -rf .build/fuzz/smoke-corpus
	FUZZ_SECONDS=3 FUZZ_CORPUS=.build/fuzz/smoke-corpus scripts/fuzz.sh

# make bench: stand-alone vs inetd (httpd, httpd --inetd under xinetd, nginx, busybox httpd -i), then over
# HTTPS (httpd, httpd --inetd over TLS, nginx; HTTPS=0 skips it, HTTPS=only runs it alone); writes the TSVs in
# bench/results and, through bench/report.py, bench/results/REPORT.md, the chart and the figures in
# docs/standalone-vs-inetd.md (see bench/README.md).
bench:
	@scripts/install-deps.sh bench
	$(RELEASE_BUILD)
	bench/standalone-vs-inetd.sh

# make bench-nginx: httpd against nginx, keep-alive 1 KiB (bench/results/compare-nginx.tsv and .txt).
# make bench-nginx BASELINE=<commit> ROUNDS=5: also that commit's release build (built once in a
# temporary git worktree, cached in .build/baseline-<hash>/), interleaved, with the ratio current/baseline;
# HTTPD_BASELINE_BIN=<path> uses a binary instead.
bench-nginx:
	@scripts/install-deps.sh bench
	$(RELEASE_BUILD)
	bench/compare-nginx.sh

# make bench-peers: httpd against nginx, lighttpd and h2o (each tuned as its users run it), interleaved over
# ROUNDS rounds (default 2) of DURATION s runs (default 10): 1 KiB keep-alive (64 and 1 connection), 100 KiB,
# a new connection per request, 10 MiB, 1000 connections, idle memory and memory per idle connection
# (10,000 held open). Writes bench/results/peers.tsv, peers-idle.tsv, peers-meta.tsv and peers.md, with
# httpd's goals against nginx (see bench/README.md).
bench-peers:
	@scripts/install-deps.sh bench
	$(RELEASE_BUILD)
	bench/peers.sh

# make bench-instructions: user-space instructions per request (valgrind's callgrind) and system calls per
# request (strace -c) of httpd, nginx, lighttpd and h2o, 1 KiB keep-alive, 1 KiB with a new connection per
# request and 100 KiB (wrk -t1 -c8); steady to about 1 % where req/s on a busy machine are not. Writes
# bench/results/instructions.tsv, instructions-httpd-top.tsv (httpd's top functions), instructions-meta.tsv
# and instructions.md (see bench/README.md).
bench-instructions:
	@scripts/install-deps.sh bench
	$(RELEASE_BUILD)
	bench/instructions.sh

# make bench-tls: HTTPS, httpd against nginx, lighttpd and h2o with the same certificate (ECDSA P-256 made by the
# script; CERT=rsa for RSA 2048) and the same TLS settings, interleaved over ROUNDS rounds (default 2) of
# DURATION s runs (default 8): 1 KiB keep-alive (wrk -c64), 10 MiB (wrk -c4), full handshakes and resumed
# sessions (a new connection per request, openssl s_time -new / -reuse). Writes bench/results/tls.tsv,
# tls-handshakes.tsv, tls-meta.tsv and tls.md, with issue 11's goals against nginx (see bench/README.md).
bench-tls:
	@scripts/install-deps.sh bench
	$(RELEASE_BUILD)
	bench/tls.sh

# make bench-sites: what several sites cost on the common path: 1 KiB keep-alive req/s of httpd with one site
# and with three <VirtualHost> blocks (Host naming the third), interleaved over ROUNDS rounds (default 3), and
# instructions per request under callgrind; BASELINE=<commit> adds that commit's build. Writes
# bench/results/sites.tsv, sites-instructions.tsv, sites-meta.tsv and sites.md (see bench/README.md).
bench-sites:
	@scripts/install-deps.sh bench
	$(RELEASE_BUILD)
	bench/sites.sh

# make bench-availability: what the resident model costs and buys in availability (issue 13), under wrk load
# (-t2 -c32, keep-alive and a new connection per request): kill -9 of a worker (WorkerProcesses 1 and 2), of the
# one process of httpd without a master (socket-activated, restarted after 100 ms) and of one httpd --inetd under
# xinetd; 10 binary upgrades, stop + start, 10 binaries renamed under xinetd; the master's and worker's memory and
# threads. Writes bench/results/availability.md, availability.tsv and availability-meta.tsv (about 2.5 minutes;
# see bench/README.md).
bench-availability:
	@scripts/install-deps.sh bench
	$(RELEASE_BUILD)
	bench/availability.py

clean:
	rm -rf .build
