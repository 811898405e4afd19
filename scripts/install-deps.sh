#!/bin/sh
# Installs what building, testing or benchmarking httpd needs and is missing (Debian, as root).
# usage: scripts/install-deps.sh build|test|bench
# Packages whose Debian install would start a system service (nginx, xinetd, lighttpd, h2o, haproxy) are installed
# with a policy-rc.d that forbids starting services, so nothing is left running.
set -eu
need=""
want() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed" || need="$need $1"; }

want libevent-dev
want pkg-config
# The release link takes the C++ library's static archive (link/libstdc++.so names libstdc++.a).
want libstdc++-12-dev
# TLS: OpenSSL 3's headers and libraries (the COpenSSL shim), and the openssl tool that -t's checks are tested against.
want libssl-dev
want openssl
# The integration tests run on python3 with pytest: Debian's own, unless a python3 that already has
# pytest (or pip) comes first on PATH.
need_pytest() {
  command -v python3 >/dev/null 2>&1 || { want python3; want python3-pytest; return; }
  python3 -c 'import pytest' 2>/dev/null && return
  python3 -m pip --version >/dev/null 2>&1 || want python3-pytest
}

case "${1:-build}" in
  test) need_pytest; want curl; want wrk; want prometheus; want prometheus-apache-exporter; want xinetd; want goaccess; want logrotate
        want testssl.sh; want sslscan
        # Basic auth: htpasswd, to make password files (the unit fixtures came from it; libcrypt1, which verifies bcrypt,
        # SHA-crypt and yescrypt through dlopen, is a protected package on Debian: always there)
        want apache2-utils
        # The status page's charts, drawn by a real browser (headless; as root it runs with --no-sandbox).
        want chromium
        # Rolling restarts behind a load balancer (test_haproxy_rolling.py runs its own haproxy, never the service).
        want haproxy
        # ss (the listening socket's inode, from sock_diag, in the crash tests): not in a minimal Debian image.
        want iproute2 ;;
  bench) want wrk; want apache2-utils; want nginx-light; want xinetd; want busybox; want gnuplot-nox; want curl
         want lighttpd; want h2o; want valgrind; want strace
         # valgrind runs httpd as a copy stripped of debug sections (strip, from binutils)
         want binutils
         # bench-tls: lighttpd's TLS module (a package of its own) and the openssl tool (certificates, s_time)
         want lighttpd-mod-openssl; want openssl
         # bench-availability: systemd-socket-activate runs httpd as one process without a master (nothing is started
         # as a service; in a container without systemd as init the package only adds the tools)
         want systemd ;;
esac

if [ -n "$need" ]; then
  echo "installing:$need"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  policy=/usr/sbin/policy-rc.d
  created=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
  if [ -n "$created" ]; then $SUDO rm -f "$policy"; fi
fi

if [ "${1:-build}" = test ] && ! python3 -c 'import pytest' 2>/dev/null; then
  python3 -m pip install -q pytest
fi
exit 0
