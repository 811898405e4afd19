// One stub per OpenSSL function httpd calls (functions.h): a jump through httpd_openssl_table, which
// openssl-load.c fills from libssl.so.3 and libcrypto.so.3 when TLS is first needed. So the executable does
// not link OpenSSL: a server without TLS never maps it (loading it costs about 1.4 ms of CPU per start,
// which inetd mode would pay per connection). Signature-agnostic: the arguments are left as they came.
#if defined(__x86_64__)
.macro stub name
    .globl \name
    .hidden \name
    .type \name, @function
    .p2align 4
\name:
    jmp *httpd_openssl_table+8*stub_index(%rip)
    .size \name, .-\name
    .set stub_index, stub_index+1
.endm
#elif defined(__aarch64__)
.macro stub name
    .globl \name
    .hidden \name
    .type \name, %function
    .p2align 4
\name:
    adrp x16, httpd_openssl_table+8*stub_index
    ldr x16, [x16, #:lo12:httpd_openssl_table+8*stub_index]
    br x16
    .size \name, .-\name
    .set stub_index, stub_index+1
.endm
#else
#error "openssl-stubs.S: x86_64 and aarch64 only"
#endif

    .text
    .set stub_index, 0
#define F(name) stub name
#include "functions.h"
#undef F

// How many stubs were made, for the loader to check against its own list (a build that recompiled only
// one of the two files would otherwise jump through the wrong slots).
    .section .rodata
    .globl httpd_openssl_stub_count
    .hidden httpd_openssl_stub_count
    .p2align 3
httpd_openssl_stub_count:
    .quad stub_index

#if defined(__linux__)
    .section .note.GNU-stack,"",%progbits
#endif
