// Configuration: defaults and derived values (Listen, error log, Server header).

import Testing

@testable import Config
@testable import HTTPCore
@testable import Server

@Suite struct ConfigurationTests {
    @Test func defaultsFitAPublicServer() {
        let c = Configuration()
        #expect(c.listen == [])
        #expect(c.workers == 4)
        #expect(c.keepAlive)
        #expect(c.keepAliveTimeout == 5)
        #expect(c.requestHeaderTimeout == 20)
        #expect(c.requestBodyTimeout == 20)
        #expect(c.sendTimeout == 20)
        #expect(c.limitRequestLine == 8190)
        #expect(c.limitRequestFieldSize == 8190)
        #expect(c.limitRequestFields == 100)
        #expect(c.limitRequestHeadSize == 32768)
        #expect(c.directoryIndex == ["index.html"])
        #expect(c.autoindex == false)
        #expect(c.typesConfig == nil)
        #expect(c.defaultType == "application/octet-stream")
        #expect(c.defaultCharset == "utf-8")
        #expect(c.errorDocuments == [:])
        #expect(c.hideDotfiles)
        #expect(c.followSymlinks == .inside)
        #expect(c.precompressed == false)
        #expect(c.cacheControl == nil)
    }

    @Test func effectiveListen() {
        var c = Configuration()
        #expect(c.effectiveListen == [ListenAddress(host: "127.0.0.1", port: 8080)])
        c.listen = [ListenAddress(host: "::1", port: 0)]
        #expect(c.effectiveListen == [ListenAddress(host: "::1", port: 0)])
    }

    @Test func serverHeader() {
        var c = Configuration()
        #expect(c.serverHeader == "httpd/\(httpdVersion)")
        c.serverTokensFull = false
        #expect(c.serverHeader == "httpd")
    }

    @Test func listenAddressDescription() {
        #expect(ListenAddress(host: "127.0.0.1", port: 80).description == "127.0.0.1:80")
        #expect(ListenAddress(host: "::1", port: 8080).description == "[::1]:8080")
        #expect(ListenAddress(host: "::1", port: 8080).isIPv6)
        #expect(!ListenAddress(host: "0.0.0.0", port: 0).isIPv6)
        #expect(ListenAddress(host: "127.0.0.1", port: 8443, tls: true).description == "127.0.0.1:8443")
    }

    @Test func listenAddressURL() {
        #expect(ListenAddress(host: "127.0.0.1", port: 8443, tls: true).url == "https://127.0.0.1:8443/")
        #expect(ListenAddress(host: "::1", port: 8080).url == "http://[::1]:8080/")
        #expect(Configuration().effectiveListen.map(\.url) == ["http://127.0.0.1:8080/"])
    }
}
