// Sites and locations in the configuration: <VirtualHost> and <Location> blocks, what they inherit, and the
// site directives' values and errors (ServerName, Header, Redirect, TryFiles, FallbackFile, Basic auth).

import Testing

@testable import Config

private var reader: ConfigReader { ConfigReader(baseDirectory: "/etc/httpd") }

private func apply(_ text: String) -> (config: Configuration, errors: [String]) {
    var c = Configuration()
    let errors = reader.apply(text, file: "httpd.conf", to: &c)
    return (c, errors.map(\.description))
}

private func config(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Configuration {
    let (c, errors) = apply(text)
    #expect(errors == [], sourceLocation: sourceLocation)
    return c
}

private func errors(_ text: String) -> [String] { apply(text).errors }

@Suite struct SiteConfigTests {
    @Test func sitesInheritEveryServerDirectiveWhereverItIsWritten() {
        let c = config(
            """
            CacheControl "max-age=60"
            Header set X-Frame-Options DENY
            <VirtualHost *:8080>
              ServerName Example.ORG.
              ServerAlias www.example.org *.cdn.example.org
              DocumentRoot /srv/a
              Header always set X-Site a
            </VirtualHost>
            <VirtualHost 127.0.0.2:8080 [::1]:8080>
              ServerName b.example
              CacheControl off
            </VirtualHost>
            Autoindex on
            """)
        #expect(c.virtualHosts.count == 2)
        let a = c.virtualHosts[0]
        #expect(a.location == "httpd.conf:3")
        #expect(a.addresses == [VirtualHostAddress(host: nil, port: 8080)])
        #expect(a.config.serverName == "example.org")
        #expect(a.config.serverAliases == ["www.example.org", "*.cdn.example.org"])
        #expect(a.config.documentRoot == "/srv/a")
        #expect(a.config.cacheControl == "max-age=60")
        // Autoindex comes after the block in the file, and still applies to it.
        #expect(a.config.autoindex)
        #expect(
            a.config.headers == [
                HeaderRule(action: .set, always: false, name: "X-Frame-Options", value: "DENY"),
                HeaderRule(action: .set, always: true, name: "X-Site", value: "a"),
            ])
        let b = c.virtualHosts[1]
        #expect(b.addresses == [VirtualHostAddress(host: "127.0.0.2", port: 8080), VirtualHostAddress(host: "::1", port: 8080)])
        #expect(b.config.cacheControl == nil)
        #expect(b.config.documentRoot == "www")
        // The main server keeps its own settings.
        #expect(c.serverName == nil)
        #expect(c.headers.count == 1)
    }

    @Test func locationsResolveAgainstTheirSiteLongestFirstIsTheServersJob() {
        let c = config(
            """
            <Location /private>
              AuthType Basic
              AuthName "Staff only"
              AuthUserFile users.htpasswd
              Require valid-user
            </Location>
            <VirtualHost *>
              ServerName a.example
              CacheControl no-cache
              <Location /assets/>
                CacheControl "max-age=31536000, immutable"
                Header set X-Asset yes
              </Location>
            </VirtualHost>
            """)
        #expect(c.locations.map(\.prefix) == ["/private"])
        #expect(c.locations[0].config.auth == AuthSettings(realm: "Staff only", userFile: "/etc/httpd/users.htpasswd", requirement: .validUser))
        #expect(c.auth == nil)
        let site = c.virtualHosts[0].config
        #expect(site.locations.map(\.prefix) == ["/private", "/assets"])
        #expect(site.locations[0].config.cacheControl == "no-cache")
        #expect(site.locations[0].config.auth != nil)
        #expect(site.locations[1].config.cacheControl == "max-age=31536000, immutable")
        #expect(site.locations[1].config.headers == [HeaderRule(action: .set, always: false, name: "X-Asset", value: "yes")])
        #expect(site.locations[1].location == "httpd.conf:10")
    }

    @Test func locationPrefixesAreNormalizedPaths() throws {
        let c = config("<Location /a/./b/../c/%64/>\n</Location>\n<Location />\n</Location>")
        #expect(c.locations.map(\.prefix) == ["/a/c/d", "/"])
        #expect(errors("<Location private>\n</Location>") == ["httpd.conf:1: <Location>: wants a path starting with /, got 'private'"])
    }

    @Test func directivesOutsideTheirContextsAreRefusedWithTheLine() {
        #expect(
            errors("<VirtualHost *>\n  Workers 3\n  Listen 9000\n</VirtualHost>") == [
                "httpd.conf:2: Workers is not allowed in <VirtualHost>",
                "httpd.conf:3: Listen is not allowed in <VirtualHost>",
            ])
        #expect(errors("<Location /a>\n  DocumentRoot /x\n</Location>") == ["httpd.conf:2: DocumentRoot is not allowed in <Location>"])
        #expect(errors("ServerAlias a.example") == ["httpd.conf:1: ServerAlias is not allowed in the server config"])
        #expect(errors("<VirtualHost *>\n<VirtualHost *>\n</VirtualHost>\n</VirtualHost>") == ["httpd.conf:2: <VirtualHost> is not allowed in <VirtualHost>"])
        // A location read for every site reports its error once.
        #expect(
            errors("<Location /a>\n  Redirect /a /b\n</Location>\n<VirtualHost *>\n</VirtualHost>\n<VirtualHost *:81>\n</VirtualHost>")
                == ["httpd.conf:2: Redirect is not allowed in <Location>"])
    }

    @Test(arguments: [
        ("*", VirtualHostAddress(host: nil, port: nil)),
        ("*:80", VirtualHostAddress(host: nil, port: 80)),
        ("_default_:443", VirtualHostAddress(host: nil, port: 443)),
        ("127.0.0.1:8080", VirtualHostAddress(host: "127.0.0.1", port: 8080)),
        ("127.0.0.1", VirtualHostAddress(host: "127.0.0.1", port: nil)),
        ("[::1]:8443", VirtualHostAddress(host: "::1", port: 8443)),
    ])
    func virtualHostAddresses(word: String, address: VirtualHostAddress) throws {
        #expect(try BlockDirective.virtualHostAddress(word) == address)
    }

    @Test func badVirtualHostAddressesAreRefused() {
        #expect(
            errors("<VirtualHost example.org:80>\nServerName x.example\n</VirtualHost>") == [
                "httpd.conf:1: <VirtualHost>: wants *, *:port or a numeric address with a port, got 'example.org:80'"
            ])
        #expect(errors("<VirtualHost *:99999>\n</VirtualHost>") == ["httpd.conf:1: <VirtualHost>: '99999' is not a port number from 0 to 65535"])
        #expect(apply("<VirtualHost *:x>\nServerName a.example\n</VirtualHost>").config.virtualHosts.isEmpty)
    }

    @Test func hostNames() {
        #expect(config("ServerName WWW.Example.Org.").serverName == "www.example.org")
        #expect(config("ServerName 127.0.0.1").serverName == "127.0.0.1")
        #expect(config("ServerName [::1]").serverName == "[::1]")
        #expect(errors("ServerName *.example.org") == ["httpd.conf:1: ServerName: a wildcard belongs in ServerAlias, got '*.example.org'"])
        for bad in ["exa mple.org", "a..b", ".a", "\u{212A}elvin.example", "a_b.example", String(repeating: "a", count: 64) + ".example"] {
            #expect(
                errors("ServerName \"\(bad)\"") == ["httpd.conf:1: ServerName: wants a host name (letters, digits, '-' and '.'), got '\(bad)'"])
        }
        #expect(
            errors("<VirtualHost *>\nServerName a.example\n</VirtualHost>\n<VirtualHost *>\nServerAlias A.example\n</VirtualHost>")
                == ["httpd.conf:4: a.example already names the <VirtualHost> at httpd.conf:1"])
    }

    @Test func headerRules() {
        #expect(
            config("Header always set Content-Security-Policy \"default-src 'self'\"").headers == [
                HeaderRule(action: .set, always: true, name: "Content-Security-Policy", value: "default-src 'self'")
            ])
        #expect(config("Header unset X-Powered-By").headers == [HeaderRule(action: .unset, always: false, name: "X-Powered-By", value: "")])
        #expect(config("Header append Vary Accept").headers == [HeaderRule(action: .append, always: false, name: "Vary", value: "Accept")])
        #expect(config("Header onsuccess add Link </a.css>").headers == [HeaderRule(action: .add, always: false, name: "Link", value: "</a.css>")])
        #expect(errors("Header set X-A") == ["httpd.conf:1: Header: set X-A wants one value (quote it when it has spaces)"])
        #expect(errors("Header set X-A a b") == ["httpd.conf:1: Header: set X-A wants one value (quote it when it has spaces)"])
        #expect(errors("Header edit X-A a") == ["httpd.conf:1: Header: wants [always] set|append|add|unset NAME [value], got 'edit X-A a'"])
        #expect(errors("Header set \"X A\" b") == ["httpd.conf:1: Header: 'X A' is not a field name (a token: letters, digits, !#$%&'*+-.^_`|~)"])
        #expect(errors("Header set Content-Length 5") == ["httpd.conf:1: Header: Content-Length is written by httpd itself and cannot be changed"])
        #expect(errors("Header unset X-A b") == ["httpd.conf:1: Header: unset takes a field name only"])
        #expect(
            errors("Header set X-A \"a\u{7F}\"") == ["httpd.conf:1: Header: the value of X-A may not hold control characters (CR, LF, NUL, …)"])
    }

    @Test func redirects() {
        #expect(config("Redirect /old https://new.example/").redirects == [RedirectRule(status: 302, prefix: "/old", target: "https://new.example/")])
        #expect(config("Redirect 301 /a/ /b/").redirects == [RedirectRule(status: 301, prefix: "/a", target: "/b/")])
        #expect(config("Redirect permanent /a /b").redirects == [RedirectRule(status: 301, prefix: "/a", target: "/b")])
        #expect(config("Redirect seeother /a /b").redirects[0].status == 303)
        #expect(
            errors("Redirect 305 /a /b") == [
                "httpd.conf:1: Redirect: wants a status of 301, 302, 303, 307 or 308 (or permanent, temp, seeother), got '305'"
            ])
        #expect(errors("Redirect /a b") == ["httpd.conf:1: Redirect: wants an http:// or https:// URL or a path starting with / as the target, got 'b'"])
        #expect(errors("Redirect a /b") == ["httpd.conf:1: Redirect: wants a path starting with /, got 'a'"])
        #expect(errors("Redirect /a \"/b c\"") == ["httpd.conf:1: Redirect: the target may hold printable ASCII only (percent-encode the rest), got '/b c'"])
    }

    @Test func tryFilesAndFallback() {
        #expect(config("TryFiles $uri $uri.html $uri/ =404").tryFiles == [.file("$uri"), .file("$uri.html"), .file("$uri/"), .status(404)])
        #expect(config("TryFiles $uri /index.html").tryFiles == [.file("$uri"), .file("/index.html")])
        #expect(errors("TryFiles =404 $uri") == ["httpd.conf:1: TryFiles: =404 may only come last"])
        #expect(errors("TryFiles $uri =200") == ["httpd.conf:1: TryFiles: wants =CODE with a status from 400 to 599 last, got '=200'"])
        #expect(errors("TryFiles $args") == ["httpd.conf:1: TryFiles: wants paths starting with / or $uri, got '$args'"])
        #expect(errors("TryFiles $uri$args") == ["httpd.conf:1: TryFiles: knows only the variable $uri, got '$uri$args'"])
        #expect(errors("TryFiles =404") == ["httpd.conf:1: TryFiles: wants at least one path to try"])
        #expect(config("FallbackFile /index.html").fallbackFile == "/index.html")
        #expect(config("FallbackFile /index.html\nFallbackFile off").fallbackFile == nil)
        #expect(errors("FallbackFile index.html") == ["httpd.conf:1: FallbackFile: wants a path starting with / (or off), got 'index.html'"])
    }

    @Test func basicAuthNeedsItsFourDirectives() {
        let c = config("AuthType basic\nAuthName \"a \\\"b\\\"\"\nAuthUserFile /etc/pw\nRequire user alice bob")
        #expect(c.auth == AuthSettings(realm: "a \"b\"", userFile: "/etc/pw", requirement: .users(["alice", "bob"])))
        #expect(errors("AuthType Basic\nAuthName x") == ["httpd.conf:1: AuthType Basic needs AuthName, AuthUserFile and Require"])
        #expect(errors("Require valid-user") == ["httpd.conf:1: Require needs AuthType Basic (and AuthName, AuthUserFile)"])
        #expect(errors("AuthType Digest") == ["httpd.conf:1: AuthType: wants Basic or None, got 'Digest'"])
        #expect(errors("Require group staff") == ["httpd.conf:1: Require: wants valid-user or user NAME..., got 'group staff'"])
        #expect(errors("Require valid-user alice") == ["httpd.conf:1: Require: wants valid-user or user NAME..., got 'valid-user alice'"])
        // AuthType None below an authenticated site turns it off there.
        let open = config(
            "AuthType Basic\nAuthName x\nAuthUserFile /pw\nRequire valid-user\n<Location /public>\nAuthType None\n</Location>")
        #expect(open.auth != nil)
        #expect(open.locations[0].config.auth == nil)
        #expect(errors("<Location /a>\nAuthType Basic\n</Location>") == ["httpd.conf:2: AuthType Basic needs AuthName, AuthUserFile and Require"])
    }
}
