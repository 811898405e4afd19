#!/bin/sh
# Regenerates the TLS unit-test fixtures (test-only keys, never used anywhere else): a root CA, an
# intermediate, RSA and ECDSA leaves for example.test, a wildcard leaf, and a stray key.
# Validity: 100 years from when they were made (2026-11-29), so the tests give their own "now" to check expiry.
set -eu
cd "$(dirname "$0")"
days=36500
ext() { printf '%s\n' "$@" > ext.cnf; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
  -subj "/CN=httpd test root" -days $days -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key -out inter.csr -subj "/CN=httpd test intermediate" 2>/dev/null
ext "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign"
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -set_serial 2 -days $days -extfile ext.cnf -out inter.pem 2>/dev/null
leaf() { # name key-args cn sans serial
  openssl req -newkey $2 -nodes -keyout $1.key -out $1.csr -subj "/CN=$3" 2>/dev/null
  ext "basicConstraints=CA:FALSE" "subjectAltName=$4" "extendedKeyUsage=serverAuth"
  openssl x509 -req -in $1.csr -CA inter.pem -CAkey inter.key -set_serial $5 -days $days -extfile ext.cnf -out $1.crt 2>/dev/null
  cat $1.crt inter.pem > $1.pem
  rm $1.csr $1.crt
}
leaf rsa "rsa:2048" example.test "DNS:example.test,DNS:www.example.test" 10
leaf ecdsa "ec -pkeyopt ec_paramgen_curve:P-256" example.test "DNS:example.test,DNS:www.example.test" 11
leaf wild "ec -pkeyopt ec_paramgen_curve:P-256" "*.wild.test" "DNS:*.wild.test" 12
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stray.key 2>/dev/null
# Misordered: the intermediate before the leaf.
openssl x509 -in rsa.pem -out rsa-leaf-only.pem
cat inter.pem rsa-leaf-only.pem > misordered.pem
chmod 600 *.key
rm -f inter.csr ext.cnf root.key inter.key
