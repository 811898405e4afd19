#!/bin/sh
# Source checks that the compiler does not make: the checked-in swift-format configuration (strict
# lint), libevent confined to the IO target and OpenSSL to the TLS target (SwiftPM lets every target that
# depends on IO or TLS see the CLibevent or COpenSSL module, so the arrows are checked here). Run by `make test`; exits 1 on any finding.
set -eu
cd "$(dirname "$0")/.."
status=0
if ! swift format lint --strict --recursive Package.swift Sources Tests; then
    echo "check-source: swift format lint failed (fix with: swift format --in-place --recursive Package.swift Sources Tests)" >&2
    status=1
fi
leaks=$(grep -rlE '^\s*((public|internal|package|@_implementationOnly) )?import CLibevent\b' Sources Tests --include='*.swift' | grep -v '^Sources/IO/' || true)
if [ -n "$leaks" ]; then
    echo "check-source: only Sources/IO may import CLibevent; found in:" >&2
    echo "$leaks" >&2
    status=1
fi
leaks=$(grep -rlE '^\s*((public|internal|package|@_implementationOnly) )?import COpenSSL\b' Sources Tests --include='*.swift' | grep -v '^Sources/TLS/' || true)
if [ -n "$leaks" ]; then
    echo "check-source: only Sources/TLS may import COpenSSL; found in:" >&2
    echo "$leaks" >&2
    status=1
fi
exit $status
