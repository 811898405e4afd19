# httpd: `make run` builds and serves ./www on http://127.0.0.1:8080/; `make test` runs every test.
# Both install what is missing first (Debian packages, as root; see scripts/install-deps.sh).

SWIFT ?= swift
CONF ?= httpd.conf

.PHONY: all deps build debug run test unit integration bench clean

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	$(SWIFT) build -c release

debug: deps
	$(SWIFT) build

run: build
	@echo "httpd: serving ./www on http://127.0.0.1:8080/ (config: $(CONF), in the foreground); stop it with Ctrl-C"
	@exec .build/release/httpd -F -f $(CONF) -c "ErrorLog stderr"

test:
	@scripts/install-deps.sh test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	HTTPD_BIN=$(CURDIR)/.build/debug/httpd python3 -m pytest -q Tests/integration

unit: deps
	$(SWIFT) test

integration: debug
	HTTPD_BIN=$(CURDIR)/.build/debug/httpd python3 -m pytest -q Tests/integration

bench:
	@scripts/install-deps.sh bench
	$(SWIFT) build -c release
	bench/compare-nginx.sh

clean:
	rm -rf .build
