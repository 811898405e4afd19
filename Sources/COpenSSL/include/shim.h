// OpenSSL 3 as the TLS target sees it: function wrappers for OpenSSL's macros (which Swift cannot call),
// the ALPN choice (http/1.1 only) and the session-ticket key callback, with its key ring. Nothing else:
// every decision is made in Swift. Imported only by the TLS target.
#ifndef HTTPD_COPENSSL_SHIM_H
#define HTTPD_COPENSSL_SHIM_H

#include <sys/types.h>
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

/// Loads libssl.so.3 and libcrypto.so.3 (once); NULL when done, else why not. Every OpenSSL call must come
/// after it: httpd does not link OpenSSL, its calls go through stubs (see openssl-stubs.S).
const char *httpd_openssl_load(void);

static inline long httpd_ssl_ctx_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline int httpd_ssl_ctx_set_min_proto(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_min_proto_version(ctx, v); }
static inline int httpd_ssl_ctx_set_max_proto(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_max_proto_version(ctx, v); }
static inline long httpd_ssl_ctx_sess_set_cache_size(SSL_CTX *ctx, long n) { return SSL_CTX_sess_set_cache_size(ctx, n); }
static inline long httpd_ssl_ctx_set_session_cache_mode(SSL_CTX *ctx, long m) { return SSL_CTX_set_session_cache_mode(ctx, m); }
static inline long httpd_ssl_ctx_set_dh_auto(SSL_CTX *ctx) { return SSL_CTX_set_dh_auto(ctx, 1); }
static inline void httpd_ssl_ctx_set_read_ahead(SSL_CTX *ctx) { SSL_CTX_set_read_ahead(ctx, 1); }
static inline int httpd_ssl_ctx_set_groups(SSL_CTX *ctx, const char *list) { return (int)SSL_CTX_set1_groups_list(ctx, list); }
static inline long httpd_ssl_ctx_set_servername_callback(SSL_CTX *ctx, int (*cb)(SSL *, int *, void *), void *arg) {
    SSL_CTX_set_tlsext_servername_arg(ctx, arg);
    return SSL_CTX_set_tlsext_servername_callback(ctx, cb);
}
static inline long httpd_ssl_ctx_get_extra_chain_certs(SSL_CTX *ctx, STACK_OF(X509) **chain) {
    return SSL_CTX_get0_chain_certs(ctx, chain);
}
static inline long httpd_ssl_ctx_set1_chain(SSL_CTX *ctx, STACK_OF(X509) *chain) { return SSL_CTX_set1_chain(ctx, chain); }
static inline int httpd_sk_x509_num(const STACK_OF(X509) *s) { return s ? sk_X509_num(s) : 0; }
static inline X509 *httpd_sk_x509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }
static inline STACK_OF(X509) *httpd_sk_x509_new(void) { return sk_X509_new_null(); }
static inline int httpd_sk_x509_push(STACK_OF(X509) *s, X509 *x) { return sk_X509_push(s, x); }
static inline void httpd_sk_x509_free(STACK_OF(X509) *s) { sk_X509_free(s); }
static inline void httpd_sk_x509_pop_free(STACK_OF(X509) *s) { sk_X509_pop_free(s, X509_free); }
static inline int httpd_sk_general_name_num(const GENERAL_NAMES *s) { return s ? sk_GENERAL_NAME_num(s) : 0; }
static inline GENERAL_NAME *httpd_sk_general_name_value(const GENERAL_NAMES *s, int i) { return sk_GENERAL_NAME_value(s, i); }
static inline void httpd_general_names_free(GENERAL_NAMES *s) { GENERAL_NAMES_free(s); }
/// The dNSName of a GENERAL_NAME, or NULL when it is another kind of name.
static inline const ASN1_IA5STRING *httpd_general_name_dns(const GENERAL_NAME *n) {
    return n->type == GEN_DNS ? n->d.dNSName : NULL;
}
static inline GENERAL_NAMES *httpd_x509_subject_alt_names(X509 *x) {
    return (GENERAL_NAMES *)X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
}
static inline const char *httpd_ssl_get_servername(const SSL *ssl) { return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name); }
static inline long httpd_ssl_set_mode(SSL *ssl, long mode) { return SSL_set_mode(ssl, mode); }

/// ALPN: http/1.1 when the client offers it; otherwise the handshake ends with the fatal
/// no_application_protocol alert (RFC 7301, section 3.2), as nginx does without HTTP/2.
static inline int httpd_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                    const unsigned char *in, unsigned int inlen, void *arg) {
    static const unsigned char ours[] = "\x08http/1.1";
    (void)ssl; (void)arg;
    unsigned char *chosen = NULL;
    if (SSL_select_next_proto(&chosen, outlen, ours, sizeof ours - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}
static inline void httpd_ssl_ctx_set_alpn(SSL_CTX *ctx) { SSL_CTX_set_alpn_select_cb(ctx, httpd_alpn_select, NULL); }

/// Session-ticket keys, rotated in memory and never written anywhere: tickets are made with the newest
/// key and accepted with any key of the ring (renewed when not made with the newest). The ring belongs
/// to the caller (the TLS target keeps one for the process), set as the SSL_CTX's app data.
#define HTTPD_TICKET_KEYS 3
typedef struct {
    unsigned char name[16];
    unsigned char aes[32];
    unsigned char hmac[32];
} httpd_ticket_key;
typedef struct {
    httpd_ticket_key keys[HTTPD_TICKET_KEYS]; /* keys[0] is the newest */
    int count;
} httpd_ticket_ring;

/// Makes a new newest key (the oldest falls off); 0 when the random generator failed (the ring is unchanged).
static inline int httpd_ticket_ring_rotate(httpd_ticket_ring *ring) {
    httpd_ticket_key k;
    if (RAND_bytes(k.name, sizeof k.name) != 1 || RAND_priv_bytes(k.aes, sizeof k.aes) != 1 ||
        RAND_priv_bytes(k.hmac, sizeof k.hmac) != 1)
        return 0;
    memmove(&ring->keys[1], &ring->keys[0], sizeof(httpd_ticket_key) * (HTTPD_TICKET_KEYS - 1));
    ring->keys[0] = k;
    if (ring->count < HTTPD_TICKET_KEYS) ring->count++;
    OPENSSL_cleanse(&k, sizeof k);
    return 1;
}

static inline int httpd_ticket_mac_init(EVP_MAC_CTX *hctx, unsigned char *key) {
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    return EVP_MAC_init(hctx, key, 32, params);
}

/// OpenSSL's ticket key callback (SSL_CTX_set_tlsext_ticket_key_evp_cb): AES-256-CBC and HMAC-SHA256.
static inline int httpd_ticket_callback(SSL *ssl, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *ectx,
                                        EVP_MAC_CTX *hctx, int enc) {
    httpd_ticket_ring *ring = (httpd_ticket_ring *)SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    if (ring == NULL || ring->count == 0) return enc ? -1 : 0;
    if (enc) {
        httpd_ticket_key *k = &ring->keys[0];
        if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
        memcpy(name, k->name, 16);
        if (EVP_EncryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1) return -1;
        if (httpd_ticket_mac_init(hctx, k->hmac) != 1) return -1;
        return 1;
    }
    for (int i = 0; i < ring->count; i++) {
        httpd_ticket_key *k = &ring->keys[i];
        if (memcmp(name, k->name, 16) != 0) continue;
        if (httpd_ticket_mac_init(hctx, k->hmac) != 1) return -1;
        if (EVP_DecryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k->aes, iv) != 1) return -1;
        return i == 0 ? 1 : 2;
    }
    return 0;
}
static inline int httpd_ssl_ctx_set_tickets(SSL_CTX *ctx, httpd_ticket_ring *ring) {
    SSL_CTX_set_app_data(ctx, ring);
    return (int)SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, httpd_ticket_callback);
}

/// Constants Swift imports poorly (macros of long or unsigned long values), named as plain values.
static const long HTTPD_SSL_MODE_PARTIAL = SSL_MODE_ENABLE_PARTIAL_WRITE;
static const long HTTPD_SSL_MODE_MOVING = SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
static const long HTTPD_SSL_MODE_RELEASE = SSL_MODE_RELEASE_BUFFERS;
static const uint64_t HTTPD_SSL_OP_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t HTTPD_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t HTTPD_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;
static const uint64_t HTTPD_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t HTTPD_SSL_OP_ENABLE_KTLS = SSL_OP_ENABLE_KTLS;
static const uint64_t HTTPD_SSL_OP_PRIORITIZE_CHACHA = SSL_OP_PRIORITIZE_CHACHA;
static const uint64_t HTTPD_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;
static const unsigned long HTTPD_XN_FLAG_RFC2253 = XN_FLAG_RFC2253;
static const long HTTPD_SESS_CACHE_SERVER = SSL_SESS_CACHE_SERVER;
static const long HTTPD_SESS_CACHE_OFF = SSL_SESS_CACHE_OFF;

/// The write side of a connection as a BIO that only collects: OpenSSL's records are appended to a buffer
/// (never "would block"), which the TLS transport writes to the socket itself, several records per write(2),
/// with its own flow control. Bytes [start, end) of `data` (capacity `cap`) wait to be written.
typedef struct {
    unsigned char *data;
    size_t start, end, cap;
} httpd_outbuf;

static inline int httpd_outbio_write(BIO *b, const char *in, int len) {
    httpd_outbuf *o = (httpd_outbuf *)BIO_get_data(b);
    if (o == NULL || len < 0) return -1;
    size_t n = (size_t)len;
    if (o->end + n > o->cap) {
        if (o->start > 0) {
            memmove(o->data, o->data + o->start, o->end - o->start);
            o->end -= o->start;
            o->start = 0;
        }
        if (o->end + n > o->cap) {
            size_t cap = o->cap ? o->cap : 4096;
            while (cap < o->end + n) cap *= 2;
            unsigned char *bigger = (unsigned char *)realloc(o->data, cap);
            if (bigger == NULL) return -1;
            o->data = bigger;
            o->cap = cap;
        }
    }
    memcpy(o->data + o->end, in, n);
    o->end += n;
    return len;
}
static inline long httpd_outbio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)num; (void)ptr;
    httpd_outbuf *o = (httpd_outbuf *)BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_WPENDING: return o ? (long)(o->end - o->start) : 0;
    default: return 0;
    }
}
static inline int httpd_outbio_create(BIO *b) {
    httpd_outbuf *o = (httpd_outbuf *)calloc(1, sizeof *o);
    if (o == NULL) return 0;
    BIO_set_data(b, o);
    BIO_set_init(b, 1);
    return 1;
}
static inline int httpd_outbio_destroy(BIO *b) {
    httpd_outbuf *o = (httpd_outbuf *)BIO_get_data(b);
    if (o) { free(o->data); free(o); }
    BIO_set_data(b, NULL);
    return 1;
}
/// A new collecting BIO (its method made on first use; callers are on one thread).
static inline BIO *httpd_outbio_new(void) {
    static BIO_METHOD *method = NULL;
    if (method == NULL) {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "httpd output");
        if (m == NULL) return NULL;
        BIO_meth_set_write(m, httpd_outbio_write);
        BIO_meth_set_ctrl(m, httpd_outbio_ctrl);
        BIO_meth_set_create(m, httpd_outbio_create);
        BIO_meth_set_destroy(m, httpd_outbio_destroy);
        method = m;
    }
    return BIO_new(method);
}
static inline httpd_outbuf *httpd_outbio_buffer(BIO *b) { return (httpd_outbuf *)BIO_get_data(b); }
/// Frees the buffer's memory when nothing waits in it (an idle connection).
static inline void httpd_outbuf_release(httpd_outbuf *o) {
    if (o->start == o->end) { free(o->data); o->data = NULL; o->start = o->end = o->cap = 0; }
}
/// Reads with a socket BIO, writes into a collecting BIO; false when OpenSSL cannot make them.
static inline int httpd_ssl_set_bios(SSL *ssl, int fd, BIO **out) {
    BIO *r = BIO_new_socket(fd, BIO_NOCLOSE);
    BIO *w = httpd_outbio_new();
    if (r == NULL || w == NULL) { BIO_free(r); BIO_free(w); return 0; }
    SSL_set_bio(ssl, r, w);
    *out = w;
    return 1;
}

/// kTLS in use for sending on this connection (OpenSSL built with kTLS and the kernel's `tls` module loaded).
static inline int httpd_ssl_ktls_send(SSL *ssl) { return BIO_get_ktls_send(SSL_get_wbio(ssl)); }

#endif
