// The HTTPS configuration (issue 11): Listen … tls, certificate pairs, protocols, ciphers, session
// resumption, HSTS and RedirectToHTTPS; their defaults, values and every error, as `file:line: message`.

import Testing

@testable import Config

private func apply(_ text: String) -> (config: Configuration, errors: [String]) { applyConfigText(text) }

private func config(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Configuration {
    configFromText(text, sourceLocation: sourceLocation)
}

private func errors(_ text: String) -> [String] { applyConfigText(text).errors }

/// A certificate pair for a tls Listen, so that texts about something else are complete.
private let pair = "TLSCertificateFile site.crt\nTLSCertificateKeyFile site.key\n"

private let intermediate =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
    + "DHE-RSA-CHACHA20-POLY1305"

@Suite struct TLSConfigTests {
    // MARK: Defaults

    @Test func defaults() {
        let c = Configuration()
        #expect(c.tlsCertificates == [])
        #expect(c.tlsProtocols == [.tls12, .tls13])
        #expect(c.tlsCiphers == intermediate)
        #expect(c.tlsCipherSuites == "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256")
        #expect(c.tlsSessionTickets)
        #expect(c.tlsSessionCache == 20480)
        #expect(c.hsts == nil)
        #expect(c.redirectToHTTPS == false)
        #expect(c.hasTLSListener == false)
        #expect(ListenAddress(host: "127.0.0.1", port: 80).tls == false)
    }

    @Test func protocolVersionNames() {
        #expect(TLSProtocolVersion.allCases == [.tls12, .tls13])
        #expect(TLSProtocolVersion.tls12.rawValue == "TLSv1.2")
        #expect(TLSProtocolVersion.tls13.rawValue == "TLSv1.3")
        #expect(TLSProtocolVersion(rawValue: "TLSv1.3") == .tls13)
    }

    // MARK: Listen … tls

    @Test func listenTLS() {
        let c = config("Listen 127.0.0.1:8443 tls\nListen [::1]:8443 TLS\nListen 8080\n" + pair)
        #expect(
            c.listen == [
                ListenAddress(host: "127.0.0.1", port: 8443, tls: true), ListenAddress(host: "::1", port: 8443, tls: true),
                ListenAddress(host: "127.0.0.1", port: 8080),
            ])
        #expect(c.listen.map(\.description) == ["127.0.0.1:8443", "[::1]:8443", "127.0.0.1:8080"])
        #expect(c.listen.map(\.url) == ["https://127.0.0.1:8443/", "https://[::1]:8443/", "http://127.0.0.1:8080/"])
        #expect(c.hasTLSListener)
        #expect(config("Listen *:443 tls\n" + pair).listen == [ListenAddress(host: "0.0.0.0", port: 443, tls: true)])
    }

    @Test func listenURL() {
        #expect(ListenAddress(host: "127.0.0.1", port: 8443, tls: true).url == "https://127.0.0.1:8443/")
        #expect(ListenAddress(host: "::1", port: 8080).url == "http://[::1]:8080/")
        #expect(ListenAddress(host: "::1", port: 8080, tls: true).description == "[::1]:8080")
        #expect(ListenAddress(host: "::1", port: 8080, tls: true) != ListenAddress(host: "::1", port: 8080))
    }

    @Test func hasTLSListenerLooksAtTheAddressesUsed() {
        var c = Configuration()
        #expect(!c.hasTLSListener)
        c.listen = [ListenAddress(host: "127.0.0.1", port: 80), ListenAddress(host: "127.0.0.1", port: 443, tls: true)]
        #expect(c.hasTLSListener)
        c.listen = [ListenAddress(host: "127.0.0.1", port: 80)]
        #expect(!c.hasTLSListener)
    }

    @Test func listenSecondWordOtherThanTLS() {
        #expect(errors("Listen 8443 ssl") == ["httpd.conf:1: Listen: wants tls or nothing after the address, got 'ssl'"])
        #expect(errors("Listen 80 81") == ["httpd.conf:1: Listen: wants tls or nothing after the address, got '81'"])
        #expect(errors("Listen 80 \"\"") == ["httpd.conf:1: Listen: wants tls or nothing after the address, got ''"])
        #expect(errors("Listen 80 tls tls") == ["httpd.conf:1: Listen takes 1 to 2 arguments, got 3"])
        // The address is checked first.
        #expect(errors("Listen x tls") == ["httpd.conf:1: Listen: 'x' is not a port number from 0 to 65535"])
    }

    @Test func anAddressIsPlainOrTLSNotBoth() {
        #expect(errors("Listen 8443\nListen 8443 tls\n" + pair) == ["httpd.conf:2: Listen 127.0.0.1:8443 is given twice"])
        #expect(
            errors("Listen 8443 tls\nListen 127.0.0.1:8443\n" + pair) == ["httpd.conf:2: Listen 127.0.0.1:8443 is given twice"])
        #expect(
            errors("Listen [::1]:443 tls\nListen [::1]:443 tls\n" + pair) == ["httpd.conf:2: Listen [::1]:443 is given twice"])
    }

    @Test func listenTLSNeedsACertificate() {
        #expect(
            errors("Workers 2\nListen 127.0.0.1:8443 tls")
                == ["httpd.conf:2: Listen 127.0.0.1:8443 tls needs a certificate: TLSCertificateFile and TLSCertificateKeyFile"])
        // Every tls address is named, at its own line; a plain one needs nothing.
        #expect(
            errors("Listen 8443 tls\nListen 8080\nListen [::1]:8443 tls\n") == [
                "httpd.conf:1: Listen 127.0.0.1:8443 tls needs a certificate: TLSCertificateFile and TLSCertificateKeyFile",
                "httpd.conf:3: Listen [::1]:8443 tls needs a certificate: TLSCertificateFile and TLSCertificateKeyFile",
            ])
        // The certificate may come after the Listen line.
        #expect(errors("Listen 8443 tls\n" + pair) == [])
        // Certificates without any tls address are fine.
        #expect(errors("Listen 8080\n" + pair) == [])
        #expect(errors(pair) == [])
    }

    // MARK: Certificates

    @Test func certificatePairs() {
        let c = config(
            """
            Listen 443 tls
            TLSCertificateFile rsa.crt
            TLSCertificateKeyFile /etc/ssl/private/rsa.key
            # an ECDSA certificate beside it
            TLSCertificateFile "/etc/ssl/ecdsa cert.pem"
            TLSCertificateKeyFile keys/ecdsa.key
            """)
        #expect(
            c.tlsCertificates == [
                TLSCertificatePair(
                    certificateFile: "/etc/httpd/rsa.crt", keyFile: "/etc/ssl/private/rsa.key",
                    certificateLocation: "httpd.conf:2", keyLocation: "httpd.conf:3"),
                TLSCertificatePair(
                    certificateFile: "/etc/ssl/ecdsa cert.pem", keyFile: "/etc/httpd/keys/ecdsa.key",
                    certificateLocation: "httpd.conf:5", keyLocation: "httpd.conf:6"),
            ])
    }

    @Test func keyWithoutCertificate() {
        #expect(
            errors("TLSCertificateKeyFile a.key")
                == [
                    "httpd.conf:1: TLSCertificateKeyFile /etc/httpd/a.key has no TLSCertificateFile before it (each key follows its certificate)"
                ])
        // A second key for one certificate has none either.
        #expect(
            errors(pair + "TLSCertificateKeyFile other.key")
                == [
                    "httpd.conf:3: TLSCertificateKeyFile /etc/httpd/other.key has no TLSCertificateFile before it (each key follows its certificate)"
                ])
        // The pair before it stays whole.
        #expect(apply(pair + "TLSCertificateKeyFile other.key").config.tlsCertificates.map(\.keyFile) == ["/etc/httpd/site.key"])
    }

    @Test func certificateWithoutKeyIsReportedAtItsLineOnceTheFileIsRead() {
        #expect(
            errors("TLSCertificateFile a.crt\nWorkers 0")
                == [
                    "httpd.conf:2: Workers: wants a whole number from 1 to 1024, got '0'",
                    "httpd.conf:1: TLSCertificateFile /etc/httpd/a.crt has no TLSCertificateKeyFile after it (each key follows its certificate)",
                ])
        // The next key completes the latest certificate: the one before it has none.
        #expect(
            errors("TLSCertificateFile a.crt\nTLSCertificateFile b.crt\nTLSCertificateKeyFile b.key\nTLSCertificateFile c.crt")
                == [
                    "httpd.conf:1: TLSCertificateFile /etc/httpd/a.crt has no TLSCertificateKeyFile after it (each key follows its certificate)",
                    "httpd.conf:4: TLSCertificateFile /etc/httpd/c.crt has no TLSCertificateKeyFile after it (each key follows its certificate)",
                ])
        // A tls Listen with only an unfinished pair gets the certificate's error, not a second one.
        #expect(
            errors("Listen 443 tls\nTLSCertificateFile a.crt")
                == [
                    "httpd.conf:2: TLSCertificateFile /etc/httpd/a.crt has no TLSCertificateKeyFile after it (each key follows its certificate)"
                ])
    }

    @Test func sameCertificateTwice() {
        // The refused line opens no pair: the key after it has no certificate either.
        #expect(
            errors(pair + "TLSCertificateFile /etc/httpd/site.crt\nTLSCertificateKeyFile other.key") == [
                "httpd.conf:3: TLSCertificateFile /etc/httpd/site.crt is given twice",
                "httpd.conf:4: TLSCertificateKeyFile /etc/httpd/other.key has no TLSCertificateFile before it (each key follows its certificate)",
            ])
        // Nor does it close the pair still open: the key completes it.
        #expect(
            errors("TLSCertificateFile a.crt\nTLSCertificateFile a.crt\nTLSCertificateKeyFile a.key") == [
                "httpd.conf:2: TLSCertificateFile /etc/httpd/a.crt is given twice"
            ])
    }

    @Test func emptyPaths() {
        #expect(errors("TLSCertificateFile \"\"") == ["httpd.conf:1: TLSCertificateFile: wants a file path, got ''"])
        #expect(
            errors("TLSCertificateFile a.crt\nTLSCertificateKeyFile \"\"") == [
                "httpd.conf:2: TLSCertificateKeyFile: wants a file path, got ''",
                "httpd.conf:1: TLSCertificateFile /etc/httpd/a.crt has no TLSCertificateKeyFile after it (each key follows its certificate)",
            ])
    }

    @Test func locationsComeFromTheFileName() {
        var c = Configuration()
        let e = ConfigReader(baseDirectory: "/etc/httpd").apply(
            "\n\nTLSCertificateFile a.crt\nTLSCertificateKeyFile a.key", file: "/etc/httpd/site.conf", to: &c)
        #expect(e == [])
        #expect(c.tlsCertificates.first?.certificateLocation == "/etc/httpd/site.conf:3")
        #expect(c.tlsCertificates.first?.keyLocation == "/etc/httpd/site.conf:4")
    }

    @Test func errorAtALocation() {
        #expect(ConfigError(at: "httpd.conf:12", message: "m") == ConfigError(file: "httpd.conf", line: 12, message: "m"))
        #expect(ConfigError(at: "/a:b/c.conf:3", message: "m") == ConfigError(file: "/a:b/c.conf", line: 3, message: "m"))
        #expect(ConfigError(at: "-c:2", message: "m") == ConfigError(file: "-c", line: 2, message: "m"))
        #expect(ConfigError(at: "configuration", message: "m") == ConfigError(file: "configuration", line: 0, message: "m"))
    }

    // MARK: Protocols

    @Test func protocols() {
        #expect(config("TLSProtocols TLSv1.3").tlsProtocols == [.tls13])
        #expect(config("TLSProtocols TLSv1.2").tlsProtocols == [.tls12])
        #expect(config("TLSProtocols TLSv1.3 TLSv1.2").tlsProtocols == [.tls12, .tls13])
        #expect(config("TLSProtocols tlsv1.3 TLSV1.3 TLSv1.2 TLSv1.2").tlsProtocols == [.tls12, .tls13])
        #expect(config("TLSProtocols TLSv1.3\nTLSProtocols TLSv1.2").tlsProtocols == [.tls12])
    }

    @Test(arguments: ["SSLv3", "TLSv1", "TLSv1.1", "tlsv1.1", "SSLv2", "TLSv1.0"])
    func insecureProtocolsCannotBeEnabled(name: String) {
        #expect(
            errors("TLSProtocols TLSv1.2 \(name)")
                == ["httpd.conf:1: TLSProtocols: \(name) cannot be enabled (insecure); use TLSv1.2 or TLSv1.3"])
    }

    @Test func unknownProtocols() {
        #expect(errors("TLSProtocols TLSv1.4") == ["httpd.conf:1: TLSProtocols: wants TLSv1.2 or TLSv1.3, got 'TLSv1.4'"])
        #expect(errors("TLSProtocols all") == ["httpd.conf:1: TLSProtocols: wants TLSv1.2 or TLSv1.3, got 'all'"])
        #expect(errors("TLSProtocols +TLSv1.3") == ["httpd.conf:1: TLSProtocols: wants TLSv1.2 or TLSv1.3, got '+TLSv1.3'"])
        #expect(errors("TLSProtocols") == ["httpd.conf:1: TLSProtocols takes at least 1 argument, got 0"])
        // A refused line changes nothing.
        #expect(apply("TLSProtocols TLSv1.3 TLSv1.1").config.tlsProtocols == [.tls12, .tls13])
    }

    // MARK: Ciphers

    @Test func ciphers() {
        let c = config(
            "TLSCiphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256\nTLSCipherSuites TLS_AES_256_GCM_SHA384")
        #expect(c.tlsCiphers == "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
        #expect(c.tlsCipherSuites == "TLS_AES_256_GCM_SHA384")
        // OpenSSL's own syntax is passed on unchecked.
        #expect(config("TLSCiphers HIGH:!aNULL:!MD5").tlsCiphers == "HIGH:!aNULL:!MD5")
    }

    @Test(arguments: ["TLSCiphers", "TLSCipherSuites"])
    func cipherListsAreOneWordWithoutSpaces(name: String) {
        let message = "wants an OpenSSL cipher list without spaces (NAME:NAME:...)"
        #expect(errors("\(name) \"A:B C\"") == ["httpd.conf:1: \(name): \(message), got 'A:B C'"])
        #expect(errors("\(name) \"\"") == ["httpd.conf:1: \(name): \(message), got ''"])
        #expect(errors("\(name) \"A\tB\"") == ["httpd.conf:1: \(name): \(message), got 'A\tB'"])
        #expect(errors("\(name) A B") == ["httpd.conf:1: \(name) takes 1 argument, got 2"])
    }

    // MARK: Session resumption

    @Test func sessions() {
        let c = config("TLSSessionTickets off\nTLSSessionCache 0")
        #expect(c.tlsSessionTickets == false)
        #expect(c.tlsSessionCache == 0)
        #expect(config("TLSSessionTickets on\nTLSSessionCache 1000000").tlsSessionCache == 1_000_000)
        #expect(errors("TLSSessionTickets maybe") == ["httpd.conf:1: TLSSessionTickets: wants on or off, got 'maybe'"])
        #expect(
            errors("TLSSessionCache 1000001") == [
                "httpd.conf:1: TLSSessionCache: wants a whole number from 0 to 1000000, got '1000001'"
            ])
        #expect(
            errors("TLSSessionCache -1") == ["httpd.conf:1: TLSSessionCache: wants a whole number from 0 to 1000000, got '-1'"])
    }

    // MARK: HSTS

    @Test(arguments: [
        ("HSTS 31536000", "max-age=31536000"),
        ("HSTS 0", "max-age=0"),
        ("HSTS 315360000", "max-age=315360000"),
        ("HSTS max-age=63072000", "max-age=63072000"),
        ("HSTS MAX-AGE=600", "max-age=600"),
        ("HSTS 31536000; includeSubDomains", "max-age=31536000; includeSubDomains"),
        ("HSTS 31536000;includesubdomains", "max-age=31536000; includeSubDomains"),
        ("HSTS \"max-age=31536000; includeSubDomains\"", "max-age=31536000; includeSubDomains"),
        ("HSTS 31536000; includeSubDomains; preload", "max-age=31536000; includeSubDomains; preload"),
        ("HSTS 63072000 ; PRELOAD ; IncludeSubDomains", "max-age=63072000; includeSubDomains; preload"),
        ("HSTS max-age=31536000; includeSubDomains; preload;", "max-age=31536000; includeSubDomains; preload"),
        ("HSTS includeSubDomains; 600", "max-age=600; includeSubDomains"),
        ("HSTS 0031536000", "max-age=31536000"),
    ])
    func hsts(line: String, value: String) {
        #expect(config(line).hsts == value)
    }

    @Test func hstsOff() {
        #expect(config("HSTS 600\nHSTS off").hsts == nil)
        #expect(config("HSTS OFF").hsts == nil)
        #expect(
            errors("HSTS off; preload") == ["httpd.conf:1: HSTS: wants max-age[; includeSubDomains][; preload] or off, got 'off'"]
        )
        #expect(errors("HSTS off includeSubDomains") == ["httpd.conf:1: HSTS off takes nothing after it"])
    }

    @Test(arguments: [
        ("HSTS 315360001", "HSTS: max-age wants a whole number of seconds from 0 to 315360000 (10 years), got '315360001'"),
        ("HSTS max-age=", "HSTS: max-age wants a whole number of seconds from 0 to 315360000 (10 years), got ''"),
        ("HSTS max-age=1y", "HSTS: max-age wants a whole number of seconds from 0 to 315360000 (10 years), got '1y'"),
        ("HSTS 1e6", "HSTS: max-age wants a whole number of seconds from 0 to 315360000 (10 years), got '1e6'"),
        (
            "HSTS 99999999999999999999999",
            "HSTS: max-age wants a whole number of seconds from 0 to 315360000 (10 years), got '99999999999999999999999'"
        ),
        ("HSTS -1", "HSTS: wants max-age[; includeSubDomains][; preload] or off, got '-1'"),
        ("HSTS on", "HSTS: wants max-age[; includeSubDomains][; preload] or off, got 'on'"),
        (
            "HSTS 600 includeSubDomains",
            "HSTS: max-age wants a whole number of seconds from 0 to 315360000 (10 years), got '600 includeSubDomains'"
        ),
        ("HSTS max-age=600; includeSubDomains; fast", "HSTS: wants max-age[; includeSubDomains][; preload] or off, got 'fast'"),
        ("HSTS includeSubDomains", "HSTS: wants a max-age in seconds first, as in HSTS 31536000; includeSubDomains"),
        ("HSTS ;", "HSTS: wants a max-age in seconds first, as in HSTS 31536000; includeSubDomains"),
        ("HSTS 600; 700", "HSTS: max-age is given twice"),
        ("HSTS 600; includeSubDomains; INCLUDESUBDOMAINS", "HSTS: includeSubDomains is given twice"),
        ("HSTS 63072000; includeSubDomains; preload; preload", "HSTS: preload is given twice"),
        (
            "HSTS 31535999; includeSubDomains; preload",
            "HSTS: preload requires max-age of at least 31536000 and includeSubDomains (as hstspreload.org requires)"
        ),
        (
            "HSTS 31536000; preload",
            "HSTS: preload requires max-age of at least 31536000 and includeSubDomains (as hstspreload.org requires)"
        ),
        ("HSTS", "HSTS takes at least 1 argument, got 0"),
    ])
    func invalidHSTS(line: String, message: String) {
        #expect(errors(line) == ["httpd.conf:1: \(message)"])
    }

    // MARK: RedirectToHTTPS

    @Test func redirectToHTTPS() {
        #expect(config("Listen 80\nListen 443 tls\nRedirectToHTTPS on\n" + pair).redirectToHTTPS)
        // The tls Listen may come after it.
        #expect(config("RedirectToHTTPS on\nListen 443 tls\n" + pair).redirectToHTTPS)
        #expect(config("RedirectToHTTPS off").redirectToHTTPS == false)
        #expect(errors("RedirectToHTTPS sometimes") == ["httpd.conf:1: RedirectToHTTPS: wants on or off, got 'sometimes'"])
    }

    @Test func redirectToHTTPSNeedsATLSListen() {
        #expect(
            errors("Listen 80\nRedirectToHTTPS on\nWorkers 2") == ["httpd.conf:2: RedirectToHTTPS on needs a Listen with tls"])
        #expect(errors("RedirectToHTTPS on") == ["httpd.conf:1: RedirectToHTTPS on needs a Listen with tls"])
        // The line in effect is the one named; off afterwards needs nothing.
        #expect(errors("RedirectToHTTPS on\nRedirectToHTTPS on") == ["httpd.conf:2: RedirectToHTTPS on needs a Listen with tls"])
        #expect(errors("RedirectToHTTPS on\nRedirectToHTTPS off") == [])
    }

    // MARK: Everything together

    @Test func aWholeHTTPSConfiguration() {
        let (c, e) = apply(
            """
            Listen 80
            Listen 443 tls
            Listen [::]:443 tls
            TLSCertificateFile rsa.crt
            TLSCertificateKeyFile rsa.key
            TLSCertificateFile ecdsa.crt
            TLSCertificateKeyFile ecdsa.key
            TLSProtocols TLSv1.3
            TLSCipherSuites TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
            TLSSessionTickets off
            TLSSessionCache 1000
            HSTS 63072000; includeSubDomains; preload
            RedirectToHTTPS on
            AccessLog logs/access.log combined_tls
            """)
        #expect(e == [])
        #expect(c.effectiveListen.map(\.url) == ["http://127.0.0.1:80/", "https://127.0.0.1:443/", "https://[::]:443/"])
        #expect(c.tlsCertificates.map(\.certificateFile) == ["/etc/httpd/rsa.crt", "/etc/httpd/ecdsa.crt"])
        #expect(c.tlsCertificates.map(\.keyFile) == ["/etc/httpd/rsa.key", "/etc/httpd/ecdsa.key"])
        #expect(c.tlsProtocols == [.tls13])
        #expect(c.tlsCiphers == intermediate)
        #expect(c.tlsCipherSuites == "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256")
        #expect(!c.tlsSessionTickets)
        #expect(c.tlsSessionCache == 1000)
        #expect(c.hsts == "max-age=63072000; includeSubDomains; preload")
        #expect(c.redirectToHTTPS)
        #expect(c.accessLog?.format == .combinedTLS)
    }

    @Test func theShippedConfigurationStaysPlain() throws {
        // httpd.conf's HTTPS lines are comments: nothing about TLS is set.
        let (c, e) = apply(
            "Listen 127.0.0.1:8080\n# Listen 127.0.0.1:8443 tls\n# TLSCertificateFile tls/server.crt\n"
                + "# TLSCertificateKeyFile tls/server.key\n# HSTS 31536000; includeSubDomains\n")
        #expect(e == [])
        #expect(!c.hasTLSListener && c.tlsCertificates == [] && c.hsts == nil)
    }
}
