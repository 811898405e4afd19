// What TLS would read from files on first use, done at once for a worker about to change its root (`Chroot`),
// inside which /proc and OpenSSL's files are absent.

import COpenSSL

extension TLSContext {
    /// Reads now whether the kernel offers TLS (/proc/sys/net/ipv4/tcp_available_ulp, read once per process) and
    /// has OpenSSL seed its random generator for this process (OpenSSL itself and its configuration were loaded
    /// when the contexts were made). Call only once OpenSSL is loaded (a configuration with certificates).
    public static func prepareForChroot() {
        _ = TLSSocket.kernelOffersTLS
        var byte: UInt8 = 0
        _ = RAND_bytes(&byte, 1)
    }
}
