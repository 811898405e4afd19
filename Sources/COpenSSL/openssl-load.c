// Loads OpenSSL 3 (libssl.so.3, libcrypto.so.3) with dlopen when TLS is first needed and fills the table the
// stubs of openssl-stubs.S jump through. Before that, a stub lands in `httpd_openssl_unloaded`, which says so
// and aborts: a call before `httpd_openssl_load` is a programming error.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "shim.h"

static const char *const names[] = {
#define F(name) #name,
#include "functions.h"
#undef F
};
enum { count = sizeof names / sizeof names[0] };

static void httpd_openssl_unloaded(void) {
    fputs("httpd: OpenSSL called before httpd_openssl_load (a bug)\n", stderr);
    abort();
}

__attribute__((visibility("hidden"))) void *httpd_openssl_table[count] = {[0 ... count - 1] = (void *)httpd_openssl_unloaded};

extern const unsigned long httpd_openssl_stub_count;

static int loaded = 0;
static char failure[256];

const char *httpd_openssl_load(void) {
    if (loaded) return NULL;
    if (failure[0]) return failure;
    if (httpd_openssl_stub_count != count) {
        snprintf(failure, sizeof failure, "httpd was built with %lu OpenSSL stubs for %d functions (a stale build)",
                 httpd_openssl_stub_count, count);
        return failure;
    }
    // libcrypto first (libssl needs it); local: OpenSSL's symbols stay out of the global namespace.
    void *crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
    void *ssl = crypto ? dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL) : NULL;
    if (crypto == NULL || ssl == NULL) {
        snprintf(failure, sizeof failure, "cannot load OpenSSL 3 (install libssl3): %s", dlerror());
        return failure;
    }
    for (int i = 0; i < count; i++) {
        void *f = dlsym(ssl, names[i]);
        if (f == NULL) f = dlsym(crypto, names[i]);
        if (f == NULL) {
            snprintf(failure, sizeof failure, "OpenSSL has no %s (httpd needs OpenSSL 3)", names[i]);
            return failure;
        }
        httpd_openssl_table[i] = f;
    }
    loaded = 1;
    return NULL;
}
