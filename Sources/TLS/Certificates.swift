// A certificate and key pair read from PEM files, and what `-t`, start-up and reload check about it: the key
// matches, the chain is ordered (each certificate issued by the next) and complete (it reaches a trusted
// root), the certificate is valid now, and when it expires.

import COpenSSL
import Config
import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Something a check found, with how much it matters.
public struct CertificateFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: Sendable, Equatable {
        /// The pair cannot be served (unreadable, key mismatch, misordered chain): start and reload refuse it.
        case fatal
        /// Clients will refuse it (incomplete chain, not valid now): `-t` fails, a start warns.
        case problem
        /// Worth knowing (expires within 14 days, key readable by others).
        case warning
    }

    public var severity: Severity
    /// `file:line: message`.
    public var message: String
    public var description: String { message }
}

/// A pair loaded into OpenSSL objects: the leaf, its chain in file order, and the private key.
final class LoadedPair {
    let source: TLSCertificatePair
    /// X509 pointers owned by this object: the leaf first.
    let certificates: [OpaquePointer]
    let key: OpaquePointer
    /// The names the certificate is valid for (DNS subjectAltNames, else the subject's common name).
    let names: [ServerName]
    /// Expiry, as seconds since the epoch.
    let notAfter: Int

    var leaf: OpaquePointer { certificates[0] }

    init(source: TLSCertificatePair, certificates: [OpaquePointer], key: OpaquePointer) {
        self.source = source
        self.certificates = certificates
        self.key = key
        names = Self.dnsNames(certificates[0])
        notAfter = Self.seconds(X509_get0_notAfter(certificates[0]))
    }

    deinit {
        for c in certificates { X509_free(c) }
        EVP_PKEY_free(key)
    }

    /// Reads the pair; throws `file:line: message` when a file cannot be read or holds no certificate or key.
    static func load(_ source: TLSCertificatePair) throws(StartupError) -> LoadedPair {
        try OpenSSLLibrary.load()
        let certs = try readCertificates(source)
        do throws(StartupError) {
            return LoadedPair(source: source, certificates: certs, key: try readKey(source))
        } catch {
            for c in certs { X509_free(c) }
            throw error
        }
    }

    /// Why a file could not be opened: `strerror(code)`, and for EACCES in a process that is not root (a
    /// reload after the privilege drop) who could not read it and what to do.
    static func openFailure(_ code: Int32) -> String {
        var text = errnoText(code)
        let uid = geteuid()
        if code == EACCES && uid != 0 {
            let user = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(uid)"
            text += " (httpd runs as \(user) now: make the file readable by \(user), or restart httpd to read it as root)"
        }
        return text
    }

    static func readCertificates(_ source: TLSCertificatePair) throws(StartupError) -> [OpaquePointer] {
        let path = source.certificateFile
        guard let bio = BIO_new_file(path, "r") else {
            let code = errno
            ERR_clear_error()
            throw StartupError("\(source.certificateLocation): TLSCertificateFile \(path): \(openFailure(code))")
        }
        defer { BIO_free(bio) }
        var certs: [OpaquePointer] = []
        while let x = PEM_read_bio_X509(bio, nil, nil, nil) { certs.append(x) }
        // The loop ends on "no start line" at the end of the file: anything else is a damaged certificate.
        let last = ERR_peek_last_error()
        ERR_clear_error()
        if certs.isEmpty || (last != 0 && ERR_GET_REASON(last) != PEM_R_NO_START_LINE) {
            for c in certs { X509_free(c) }
            let why = certs.isEmpty ? "no PEM certificate in it" : "a damaged certificate after the \(certs.count)th"
            throw StartupError("\(source.certificateLocation): TLSCertificateFile \(path): \(why)")
        }
        return certs
    }

    /// The pair's private key; throws `file:line: message`: an unopenable file with its errno (OpenSSL's own
    /// text for a failed fopen is only "system lib"), a file without a key with OpenSSL's reason.
    static func readKey(_ source: TLSCertificatePair) throws(StartupError) -> OpaquePointer {
        let at = "\(source.keyLocation): TLSCertificateKeyFile \(source.keyFile)"
        guard let bio = BIO_new_file(source.keyFile, "r") else {
            let code = errno
            ERR_clear_error()
            throw StartupError("\(at): \(openFailure(code))")
        }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            throw StartupError("\(at): \(openSSLFailure("no PEM private key"))")
        }
        return key
    }

    /// The certificate's DNS names: its subjectAltNames, or its subject's common name when it has none.
    static func dnsNames(_ x: OpaquePointer) -> [ServerName] {
        var names: [ServerName] = []
        if let sans = httpd_x509_subject_alt_names(x) {
            for i in 0..<httpd_sk_general_name_num(sans) {
                guard let dns = httpd_general_name_dns(httpd_sk_general_name_value(sans, i)) else { continue }
                let bytes = UnsafeBufferPointer(start: ASN1_STRING_get0_data(dns), count: Int(ASN1_STRING_length(dns)))
                if let name = ServerName(bytes) { names.append(name) }
            }
            httpd_general_names_free(sans)
        }
        if names.isEmpty, let cn = commonName(x), let name = ServerName(cn.utf8) { names.append(name) }
        return names
    }

    static func commonName(_ x: OpaquePointer) -> String? {
        let subject = X509_get_subject_name(x)
        let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(subject, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        let bytes = UnsafeBufferPointer(start: ASN1_STRING_get0_data(data), count: Int(ASN1_STRING_length(data)))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A certificate's subject as one line (`CN=example.com, O=…`).
    static func subject(_ x: OpaquePointer) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, HTTPD_XN_FLAG_RFC2253)
        var data: UnsafeMutablePointer<CChar>?
        let n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)
        guard let data, n > 0 else { return "?" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
    }

    static func seconds(_ t: UnsafePointer<ASN1_TIME>?) -> Int {
        var tm = tm()
        guard let t, ASN1_TIME_to_tm(t, &tm) == 1 else { return 0 }
        return Int(timegm(&tm))
    }

    /// The serial number in hex (as `openssl x509 -serial` prints it).
    static func serial(_ x: OpaquePointer) -> String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nil) else { return "?" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "?" }
        defer { CRYPTO_free(hex, #fileID, #line) }
        return String(cString: hex)
    }
}

/// `2026-12-10 12:00:00 UTC`.
func utcText(_ seconds: Int) -> String {
    var t = time_t(seconds)
    var parts = tm()
    gmtime_r(&t, &parts)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
        + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) UTC"
}

/// The reason of OpenSSL's last error, or `fallback` when it recorded none; clears OpenSSL's error queue.
func openSSLFailure(_ fallback: String) -> String {
    let code = ERR_peek_last_error()
    ERR_clear_error()
    guard code != 0, let reason = ERR_reason_error_string(code) else { return fallback }
    return String(cString: reason)
}

extension LoadedPair {
    /// Every finding about this pair at `now` (seconds since the epoch); `expiryWarningDays` before expiry a
    /// warning gives the date.
    /// `trustFile`: a PEM file of trusted roots to check the chain against instead of the system's (tests).
    /// `checkChain` false skips the chain's completeness (reading the system's roots costs about 200 M
    /// instructions, some 60 ms: a start per connection in inetd mode must not pay it).
    func check(now: Int, expiryWarningDays: Int = 14, trustFile: String? = nil, checkChain: Bool = true) -> [CertificateFinding] {
        var findings: [CertificateFinding] = []
        let cert = "\(source.certificateLocation): TLSCertificateFile \(source.certificateFile)"
        let keyAt = "\(source.keyLocation): TLSCertificateKeyFile \(source.keyFile)"
        // The order first: with the issuer before the certificate, the key cannot match the first certificate
        // either, and "does not match" alone (the first fatal finding is the one reported) would mislead.
        for i in 0..<(certificates.count - 1) {
            let (child, parent) = (certificates[i], certificates[i + 1])
            if X509_check_issued(parent, child) != X509_V_OK || X509_verify(child, X509_get0_pubkey(parent)) != 1 {
                ERR_clear_error()
                findings.append(
                    .init(
                        severity: .fatal,
                        message: "\(cert): certificate \(i + 2) (\(Self.subject(parent))) did not issue certificate \(i + 1) "
                            + "(\(Self.subject(child))): the file must hold the certificate first, then each issuer in turn"))
                break
            }
        }
        let type = EVP_PKEY_get_base_id(key)
        if type != EVP_PKEY_RSA && type != EVP_PKEY_EC {
            findings.append(.init(severity: .fatal, message: "\(keyAt): neither an RSA nor an ECDSA key"))
        } else if X509_check_private_key(leaf, key) != 1 {
            ERR_clear_error()
            findings.append(
                .init(severity: .fatal, message: "\(keyAt): does not match the certificate in \(source.certificateFile)"))
        }
        if checkChain, let why = chainIncomplete(trustFile: trustFile) {
            findings.append(.init(severity: .problem, message: "\(cert): chain incomplete: \(why)"))
        }
        let notBefore = Self.seconds(X509_get0_notBefore(leaf))
        if now < notBefore {
            findings.append(.init(severity: .problem, message: "\(cert): not valid before \(utcText(notBefore))"))
        } else if now >= notAfter {
            findings.append(.init(severity: .problem, message: "\(cert): expired on \(utcText(notAfter))"))
        } else if notAfter - now < expiryWarningDays * 86400 {
            findings.append(
                .init(severity: .warning, message: "\(cert): expires on \(utcText(notAfter)), within \(expiryWarningDays) days"))
        }
        var st = stat()
        if stat(source.keyFile, &st) == 0 && st.st_mode & 0o044 != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            findings.append(
                .init(severity: .warning, message: "\(keyAt): readable by group or others (mode \(mode)): chmod 600 it"))
        }
        return findings
    }

    /// Why the chain does not reach a root the system trusts (OpenSSL's default paths, which honour
    /// SSL_CERT_FILE and SSL_CERT_DIR), or nil when it does or when the file itself ends with a self-signed root.
    func chainIncomplete(trustFile: String? = nil) -> String? {
        guard let store = X509_STORE_new(), let ctx = X509_STORE_CTX_new(), let chain = httpd_sk_x509_new() else {
            return "cannot check (out of memory)"
        }
        defer {
            httpd_sk_x509_free(chain)
            X509_STORE_CTX_free(ctx)
            X509_STORE_free(store)
        }
        if let trustFile {
            _ = X509_STORE_load_file(store, trustFile)
        } else {
            // OpenSSL's default places, but the bundle file only when SSL_CERT_FILE names it: the system's
            // roots are found by their hashed names (SSL_CERT_DIR, else /usr/lib/ssl/certs), so only the
            // issuers asked for are read. X509_STORE_set_default_paths also loads the whole default bundle,
            // parsing every root at each start and reload (about 200 M instructions).
            if let file = getenv(X509_get_default_cert_file_env()) { _ = X509_STORE_load_file(store, file) }
            let dir = getenv(X509_get_default_cert_dir_env()).map { UnsafePointer($0) } ?? X509_get_default_cert_dir()
            _ = X509_STORE_load_path(store, dir)
        }
        ERR_clear_error()
        for c in certificates.dropFirst() { _ = httpd_sk_x509_push(chain, c) }
        guard X509_STORE_CTX_init(ctx, store, leaf, chain) == 1 else { return "cannot check (\(openSSLFailure("OpenSSL")))" }
        X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), UInt(X509_V_FLAG_NO_CHECK_TIME))
        let verified = X509_verify_cert(ctx) == 1
        ERR_clear_error()
        if verified { return nil }
        let code = X509_STORE_CTX_get_error(ctx)
        if code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT {
            return nil  // the file ends with its own root: the operator chose it
        }
        let last = certificates[certificates.count - 1]
        if code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT {
            var issuer = "?"
            if let bio = BIO_new(BIO_s_mem()) {
                X509_NAME_print_ex(bio, X509_get_issuer_name(last), 0, HTTPD_XN_FLAG_RFC2253)
                var data: UnsafeMutablePointer<CChar>?
                let n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)
                if let data, n > 0 { issuer = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self) }
                BIO_free(bio)
            }
            return "the issuer of the last certificate (\(issuer)) is neither in the file nor trusted by this system"
        }
        return String(cString: X509_verify_cert_error_string(Int(code)))
    }
}
