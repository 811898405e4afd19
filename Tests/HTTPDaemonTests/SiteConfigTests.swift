// Sites and locations in the configuration: <VirtualHost> and <Location> blocks, what they inherit, and the
// site directives' values and errors (ServerName, Header, Redirect, TryFiles, FallbackFile, Basic auth, addresses).

import Testing

@testable import Config

private func apply(_ text: String) -> (config: Configuration, errors: [String]) { applyConfigText(text) }

private func config(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Configuration {
    configFromText(text, sourceLocation: sourceLocation)
}

private func errors(_ text: String) -> [String] { applyConfigText(text).errors }

/// `text` as one quoted configuration word (`\` and `"` escaped), as `ConfigReader.words` reads it back.
private func quoted(_ text: String) -> String {
    "\"" + text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
}

/// The message `check` throws, as the reader prints it after the directive's name; nil when it accepts. For
/// values no configuration text can hold (a line feed ends the line).
private func refusal(_ check: () throws -> Any) -> String? {
    do {
        _ = try check()
    } catch DirectiveError.value(let message) {
        return message
    } catch {
        return "\(error)"
    }
    return nil
}

/// Strings as their bytes, for comparisons that no Unicode equivalence can pass.
private func bytes(_ strings: [String]) -> [[UInt8]] { strings.map { Array($0.utf8) } }

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
        #expect(
            c.locations[0].config.auth
                == AuthSettings(realm: "Staff only", userFile: "/etc/httpd/users.htpasswd", requirement: .validUser))
        #expect(c.auth == nil)
        let site = c.virtualHosts[0].config
        #expect(site.locations.map(\.prefix) == ["/private", "/assets"])
        #expect(site.locations[0].config.cacheControl == "no-cache")
        #expect(site.locations[0].config.auth != nil)
        #expect(site.locations[1].config.cacheControl == "max-age=31536000, immutable")
        #expect(site.locations[1].config.headers == [HeaderRule(action: .set, always: false, name: "X-Asset", value: "yes")])
        #expect(site.locations[1].location == "httpd.conf:10")
    }

    @Test(arguments: [
        ("/", "/"),
        ("/docs", "/docs"),
        ("/docs/", "/docs"),
        ("/docs//", "/docs"),
        ("//docs", "/docs"),
        ("/a/./b//c/", "/a/b/c"),
        ("/a/./b/../c/%64/", "/a/c/d"),
        ("/a/../b", "/b"),
        ("/a/%2e%2e/b", "/b"),
        ("/a/%2E/b", "/a/b"),
        ("/a/..", "/"),
        ("/a%20b", "/a b"),
        ("/a b", "/a b"),
        ("/caf%C3%A9", "/caf\u{E9}"),
        ("/%25", "/%"),
        ("/Private", "/Private"),
        // The trailing slash is cut on bytes: U+0600 and the `/` after it are one Character.
        ("/\u{600}/", "/\u{600}"),
    ])
    func locationPrefixesAreNormalizedPaths(written: String, stored: String) {
        let c = config("<Location \(quoted(written))>\n</Location>")
        #expect(bytes(c.locations.map(\.prefix)) == bytes([stored]))
        // A Redirect prefix is read the same way.
        #expect(bytes(config("Redirect \(quoted(written)) https://x.test/").redirects.map(\.prefix)) == bytes([stored]))
    }

    @Test func locationPrefixesAreRefusedWithTheReason() {
        for (written, message) in [
            ("docs", "'docs' is not a path (it must start with /)"),
            ("private", "'private' is not a path (it must start with /)"),
            ("*", "'*' is not a path (it must start with /)"),
            ("%2Fdocs", "'%2Fdocs' is not a path (it must start with /)"),
            ("/..", "'/..': path goes above the document root"),
            ("/%2e%2e/x", "'/%2e%2e/x': path goes above the document root"),
            ("/a/../../x", "'/a/../../x': path goes above the document root"),
            ("/a%2Fb", "'/a%2Fb': encoded slash in path"),
            ("/a%2fb", "'/a%2fb': encoded slash in path"),
            ("/a%00", "'/a%00': NUL in path"),
            ("/a\\b", "'/a\\b': backslash in path"),
            ("/a%5Cb", "'/a%5Cb': backslash in path"),
            ("/%zz", "'/%zz': bad percent-escape in path"),
            ("/%2", "'/%2': bad percent-escape in path"),
            ("/%C3", "'/%C3': path is not UTF-8"),
            ("/a\0b", "the path has a control character"),
            ("/a\u{7F}", "the path has a control character"),
            ("/a\u{1B}[31m", "the path has a control character"),
            ("/a%0Ab", "the path has a control character"),
            ("/a%0D%0A", "the path has a control character"),
            ("/a%7f", "the path has a control character"),
        ] {
            #expect(errors("<Location \(quoted(written))>\n</Location>") == ["httpd.conf:1: <Location>: \(message)"])
        }
        #expect(errors("<Location /a%0Ab>\n</Location>") == ["httpd.conf:1: <Location>: the path has a control character"])
        #expect(errors("Redirect \"\" /x") == ["httpd.conf:1: Redirect: '' is not a path (it must start with /)"])
        // A line feed ends a configuration line; given directly, it is refused too.
        #expect(refusal { try BlockDirective.locationPrefix("/a\nb") } == "the path has a control character")
        #expect(refusal { try BlockDirective.locationPrefix("/a\r\nb") } == "the path has a control character")
        // A refused block's lines are not read.
        #expect(
            errors("<Location /../x>\n  Bogus\n</Location>") == [
                "httpd.conf:1: <Location>: '/../x': path goes above the document root"
            ])
        let long = String(repeating: "/a", count: 50_000)
        #expect(config("<Location \(long)>\n</Location>").locations.map(\.prefix.utf8.count) == [100_000])
    }

    @Test func directivesOutsideTheirContextsAreRefusedWithTheLine() {
        #expect(
            errors("<VirtualHost *>\n  Workers 3\n  Listen 9000\n</VirtualHost>") == [
                "httpd.conf:2: Workers is not allowed in <VirtualHost>",
                "httpd.conf:3: Listen is not allowed in <VirtualHost>",
            ])
        #expect(
            errors("<Location /a>\n  DocumentRoot /x\n</Location>") == ["httpd.conf:2: DocumentRoot is not allowed in <Location>"]
        )
        #expect(errors("ServerAlias a.example") == ["httpd.conf:1: ServerAlias is not allowed in the server config"])
        #expect(
            errors("<VirtualHost *>\n<VirtualHost *>\n</VirtualHost>\n</VirtualHost>") == [
                "httpd.conf:2: <VirtualHost> is not allowed in <VirtualHost>"
            ])
        // A location read for every site reports its error once.
        #expect(
            errors(
                "<Location /a>\n  Redirect /a /b\n</Location>\n<VirtualHost *>\n</VirtualHost>\n<VirtualHost *:81>\n</VirtualHost>"
            )
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
        #expect(
            errors("<VirtualHost *:99999>\n</VirtualHost>") == [
                "httpd.conf:1: <VirtualHost>: '99999' is not a port number from 0 to 65535"
            ])
        #expect(apply("<VirtualHost *:x>\nServerName a.example\n</VirtualHost>").config.virtualHosts.isEmpty)
    }

    @Test(arguments: [
        ("example.org", false, "example.org"),
        ("WWW.Example.Org.", false, "www.example.org"),
        ("www-1.example.org", false, "www-1.example.org"),
        ("localhost", false, "localhost"),
        ("xn--caf-dma.test", false, "xn--caf-dma.test"),
        ("*.Example.org", true, "*.example.org"),
        ("*.org.", true, "*.org"),
        ("127.0.0.1", false, "127.0.0.1"),
        ("::1", false, "[::1]"),
        ("[::1]", false, "[::1]"),
        ("[2001:DB8::1]", true, "[2001:db8::1]"),
        ("::ffff:1.2.3.4", false, "[::ffff:1.2.3.4]"),
    ])
    func hostNamesAsStored(name: String, wildcard: Bool, stored: String) {
        if wildcard {
            let c = config("<VirtualHost *>\nServerAlias \(quoted(name))\n</VirtualHost>")
            #expect(bytes(c.virtualHosts.flatMap(\.config.serverAliases)) == bytes([stored]))
        } else {
            #expect(bytes(config("ServerName \(quoted(name))").serverName.map { [$0] } ?? []) == bytes([stored]))
        }
    }

    @Test func hostNamesAreRefusedWithTheReason() {
        let notAName = "is not a host name: only letters, digits, '-' and '.' (write an international name as xn--…)"
        let l63 = String(repeating: "a", count: 63)
        for (name, message) in [
            ("", "a host name is empty"),
            ("*.example.org", "'*.example.org': a wildcard is only allowed in ServerAlias"),
            ("ex_ample.org", "'ex_ample.org' \(notAName)"),
            ("a_b.example", "'a_b.example' \(notAName)"),
            ("exa mple.org", "'exa mple.org' \(notAName)"),
            ("caf\u{E9}.test", "'caf\u{E9}.test' \(notAName)"),
            ("\u{212A}.example", "'\u{212A}.example' \(notAName)"),
            ("\u{212A}elvin.example", "'\u{212A}elvin.example' \(notAName)"),
            ("a\0b", "'a\0b' \(notAName)"),
            ("a/b", "'a/b' \(notAName)"),
            ("a..b", "'a..b' has an empty label"),
            (".a", "'.a' has an empty label"),
            (".", "'.' has an empty label"),
            ("a..", "'a..' has an empty label"),
            ("example.org:80", "'example.org:80' has a port; a host name has none"),
            ("[::1]:80", "'[::1]:80' is not an IPv6 address"),
            ("[example.org]", "'[example.org]' is not an IPv6 address"),
            ("1:2:3", "'1:2:3' is not an IPv6 address"),
            ("[::1", "'[::1' is not an IPv6 address"),
            // inet_pton reads a C string: a NUL would end it at ::1.
            ("::1\0x", "'::1\0x' is not an IPv6 address"),
            ("[::1\0x]", "'[::1\0x]' is not an IPv6 address"),
            ("[::1\0]", "'[::1\0]' is not an IPv6 address"),
            ("[::1 ]", "'[::1 ]' is not an IPv6 address"),
            (l63 + "a.test", "'\(l63)a.test' has a label longer than 63 bytes"),
            (
                String(repeating: "a", count: 64) + ".example",
                "'\(String(repeating: "a", count: 64)).example' has a label longer than 63 bytes"
            ),
            ("\(l63).\(l63).\(l63).\(String(repeating: "b", count: 62))", "a host name is longer than 253 bytes"),
            (String(repeating: "a", count: 100_000), "a host name is longer than 253 bytes"),
        ] {
            #expect(errors("ServerName \(quoted(name))") == ["httpd.conf:1: ServerName: \(message)"])
        }
        #expect(errors("ServerName [::1\0x]") == ["httpd.conf:1: ServerName: '[::1\0x]' is not an IPv6 address"])
        let whole = "a wildcard is a whole first label (*.example.org)"
        for (name, message) in [
            ("*", "'*': \(whole)"),
            ("*.", "'*.': \(whole)"),
            ("*example.org", "'*example.org': \(whole)"),
            ("www.*.org", "'www.*.org': \(whole)"),
            ("*.*.org", "'*.*.org': \(whole)"),
            ("*..a", "'*..a' has an empty label"),
        ] {
            #expect(
                errors("<VirtualHost *>\nServerAlias a.example \(quoted(name))\n</VirtualHost>") == [
                    "httpd.conf:2: ServerAlias: \(message)"
                ])
        }
        #expect(
            errors(
                "<VirtualHost *>\nServerName a.example\n</VirtualHost>\n<VirtualHost *>\nServerAlias A.example\n</VirtualHost>")
                == ["httpd.conf:4: a.example already names the <VirtualHost> at httpd.conf:1"])
    }

    @Test func hostNameLengthLimits() {
        let l63 = String(repeating: "a", count: 63)
        let name253 = "\(l63).\(l63).\(l63).\(String(repeating: "b", count: 61))"
        #expect(name253.utf8.count == 253)
        #expect(config("ServerName \(name253)").serverName == name253)
        #expect(config("ServerName \(name253).").serverName == name253)
        #expect(errors("ServerName \(name253)b") == ["httpd.conf:1: ServerName: a host name is longer than 253 bytes"])
        #expect(config("ServerName \(l63).test").serverName == l63 + ".test")
    }

    @Test func headerRules() {
        #expect(
            config("Header always set Content-Security-Policy \"default-src 'self'\"").headers == [
                HeaderRule(action: .set, always: true, name: "Content-Security-Policy", value: "default-src 'self'")
            ])
        #expect(
            config("Header unset X-Powered-By").headers == [
                HeaderRule(action: .unset, always: false, name: "X-Powered-By", value: "")
            ])
        #expect(
            config("Header append Vary Accept").headers == [
                HeaderRule(action: .append, always: false, name: "Vary", value: "Accept")
            ])
        #expect(
            config("Header onsuccess add Link </a.css>").headers == [
                HeaderRule(action: .add, always: false, name: "Link", value: "</a.css>")
            ])
        #expect(config("Header ALWAYS SET X-A b").headers == [HeaderRule(action: .set, always: true, name: "X-A", value: "b")])
        #expect(errors("Header set X-A") == ["httpd.conf:1: Header: set X-A wants one value (quote it when it has spaces)"])
        #expect(errors("Header set X-A a b") == ["httpd.conf:1: Header: set X-A wants one value (quote it when it has spaces)"])
        #expect(errors("Header always set") == ["httpd.conf:1: Header: set wants a field name"])
        #expect(
            errors("Header edit X-A a") == [
                "httpd.conf:1: Header: wants [always] set|append|add|unset NAME [value], got 'edit X-A a'"
            ])
        // Keywords are matched on ASCII bytes: U+017F (long s) is not s.
        #expect(
            errors("Header \u{17F}et X-A a") == [
                "httpd.conf:1: Header: wants [always] set|append|add|unset NAME [value], got '\u{17F}et X-A a'"
            ])
        #expect(errors("Header unset X-A b") == ["httpd.conf:1: Header: unset takes a field name only"])
    }

    @Test func headerNamesAndValues() {
        for (name, value) in [
            ("X-Frame-Options", "DENY"), ("!#$%&'*+-.^_`|~09azAZ", "v"), ("Cache-Control", ""), ("X-A", "a\tb c"),
            ("X-A", "caf\u{E9} \u{212A}"), ("Content-Type", "text/plain"), ("X-A", String(repeating: "v", count: 100_000)),
        ] {
            let headers = config("Header set \(name) \(quoted(value))").headers
            #expect(bytes(headers.map(\.name)) == bytes([name]))
            #expect(bytes(headers.map(\.value)) == bytes([value]))
        }
        let notAName = "is not a field name (letters, digits and !#$%&'*+-.^_`|~ only)"
        for (name, message) in [
            ("", "the field name is empty"),
            ("X Y", "'X Y' \(notAName)"),
            ("X-Y:", "'X-Y:' \(notAName)"),
            ("X\0", "'X\0' \(notAName)"),
            ("Caf\u{E9}", "'Caf\u{E9}' \(notAName)"),
            ("\u{212A}eep-Alive", "'\u{212A}eep-Alive' \(notAName)"),
            ("X\"", "'X\"' \(notAName)"),
            ("(X)", "'(X)' \(notAName)"),
        ] {
            #expect(errors("Header set \(quoted(name)) x") == ["httpd.conf:1: Header: \(message)"])
        }
        #expect(refusal { try SiteSyntax.header(["set", "X\r\nY", "x"]) } == "'X\r\nY' \(notAName)")
        // The fields httpd writes or that frame the message, Server included: one list, which the server's
        // HeaderRules.apply also reads (it ignores a rule naming one).
        #expect(
            SiteSyntax.ownedFields == [
                "content-length", "transfer-encoding", "connection", "keep-alive", "date", "content-range", "upgrade",
                "trailer", "te", "server",
            ])
        for name in [
            "Content-Length", "transfer-encoding", "CONNECTION", "Keep-Alive", "Date", "Content-Range", "Upgrade",
            "Trailer", "TE", "te", "Server",
        ] {
            #expect(
                errors("Header set \(name) x") == [
                    "httpd.conf:1: Header: \(name) is set by httpd itself; Header cannot change it"
                ])
            #expect(
                errors("Header unset \(name)") == [
                    "httpd.conf:1: Header: \(name) is set by httpd itself; Header cannot change it"
                ])
        }
        #expect(errors("Header set Server x") == ["httpd.conf:1: Header: Server is set by httpd itself; Header cannot change it"])
        for (value, message) in [
            ("a\0b", "the value of X-A has a CR, LF or NUL"),
            ("a\rb", "the value of X-A has a CR, LF or NUL"),
            ("a\u{1}b", "the value of X-A has a control character"),
            ("\u{1B}[31m", "the value of X-A has a control character"),
            ("a\u{7F}", "the value of X-A has a control character"),
        ] {
            #expect(errors("Header set X-A \(quoted(value))") == ["httpd.conf:1: Header: \(message)"])
        }
        // A line feed ends a configuration line; given directly, it is refused too.
        #expect(
            refusal { try SiteSyntax.header(["set", "X-A", "a\r\nSet-Cookie: x=1"]) } == "the value of X-A has a CR, LF or NUL")
        #expect(refusal { try SiteSyntax.header(["add", "X-A", "a\nb"]) } == "the value of X-A has a CR, LF or NUL")
    }

    @Test func redirects() {
        #expect(
            config("Redirect /old https://new.example/").redirects == [
                RedirectRule(status: 302, prefix: "/old", target: "https://new.example/")
            ])
        #expect(config("Redirect 301 /a/ /b/").redirects == [RedirectRule(status: 301, prefix: "/a", target: "/b/")])
        #expect(config("Redirect permanent /a /b").redirects == [RedirectRule(status: 301, prefix: "/a", target: "/b")])
        #expect(config("Redirect seeother /a /b").redirects[0].status == 303)
        for (line, rule) in [
            ("/old https://new.example/", RedirectRule(status: 302, prefix: "/old", target: "https://new.example/")),
            ("301 /old/ https://new.example/", RedirectRule(status: 301, prefix: "/old", target: "https://new.example/")),
            ("permanent /a/./b/../c /new", RedirectRule(status: 301, prefix: "/a/c", target: "/new")),
            ("Permanent /a /b", RedirectRule(status: 301, prefix: "/a", target: "/b")),
            ("TEMP /a%20b /new", RedirectRule(status: 302, prefix: "/a b", target: "/new")),
            ("SeeOther /a /b", RedirectRule(status: 303, prefix: "/a", target: "/b")),
            ("307 /a http://h.test", RedirectRule(status: 307, prefix: "/a", target: "http://h.test")),
            ("308 / HTTPS://New.Example/x", RedirectRule(status: 308, prefix: "/", target: "HTTPS://New.Example/x")),
            ("/a https://[::1]:8443/b%20c", RedirectRule(status: 302, prefix: "/a", target: "https://[::1]:8443/b%20c")),
            ("/old /older", RedirectRule(status: 302, prefix: "/old", target: "/older")),
            ("/old /Old", RedirectRule(status: 302, prefix: "/old", target: "/Old")),
            ("/a /!$&'()*+,;=:@-._~", RedirectRule(status: 302, prefix: "/a", target: "/!$&'()*+,;=:@-._~")),
        ] {
            #expect(config("Redirect \(line)").redirects == [rule], "\(line)")
        }
    }

    @Test func redirectsAreRefusedWithTheReason() {
        let statuses = "is not a redirect status (301, 302, 303, 307, 308, permanent, temp or seeother)"
        for (args, message) in [
            ("305 /a /b", "'305' \(statuses)"),
            ("gone /old /x", "'gone' \(statuses)"),
            ("300 /old /x", "'300' \(statuses)"),
            ("410 /old /x", "'410' \(statuses)"),
            ("+301 /old /x", "'+301' \(statuses)"),
            ("0301 /old /x", "'0301' \(statuses)"),
            ("\" 301\" /old /x", "' 301' \(statuses)"),
            ("temporary /old /x", "'temporary' \(statuses)"),
            ("\u{212A} /old /x", "'\u{212A}' \(statuses)"),
            ("/a /b /c", "'/a' \(statuses)"),
            ("301 /old", "wants [status] /prefix target"),
            ("a /b", "'a' is not a path (it must start with /)"),
            ("old https://x.test/", "'old' is not a path (it must start with /)"),
            ("/a%2Fb /x", "'/a%2Fb': encoded slash in path"),
            ("/../x /x", "'/../x': path goes above the document root"),
            ("/a\0 /x", "the path has a control character"),
        ] {
            #expect(errors("Redirect \(args)") == ["httpd.conf:1: Redirect: \(message)"], "\(args)")
        }
        #expect(errors("Redirect /old") == ["httpd.conf:1: Redirect takes 2 to 3 arguments, got 1"])
        #expect(errors("Redirect 301 /old /x /y") == ["httpd.conf:1: Redirect takes 2 to 3 arguments, got 4"])
    }

    @Test func redirectTargetsAreRefusedWithTheReason() {
        let raw = "the target has a space, a control character or a non-ASCII byte (write them %XX-encoded)"
        let queryOrFragment = "the target has a query or fragment ('?' or '#'); the request's query is passed on"
        let percent = "the target has a '%' that is not followed by two hex digits"
        let neither = "is neither a path starting with / nor an http:// or https:// URL"
        let noHost = "has no host (or has user information)"
        for (target, message) in [
            ("", "the target is empty"),
            ("/b c", raw),
            ("https://new.example/a b", raw),
            ("https://new.example/caf\u{E9}", raw),
            ("https://new.example/\u{212A}", raw),
            ("/new\0", raw),
            ("/new\t", raw),
            ("/new\u{7F}", raw),
            ("/new\r", raw),
            ("/<x>", "the target has '<', which a URL cannot hold (write it %XX-encoded)"),
            ("/a<b>", "the target has '<', which a URL cannot hold (write it %XX-encoded)"),
            ("/x\"", "the target has '\"', which a URL cannot hold (write it %XX-encoded)"),
            ("/a\\b", "the target has '\\', which a URL cannot hold (write it %XX-encoded)"),
            ("/{x}", "the target has '{', which a URL cannot hold (write it %XX-encoded)"),
            ("/new?x=1", queryOrFragment),
            ("https://new.example/#top", queryOrFragment),
            ("/new%zz", percent),
            ("/new%2", percent),
            ("/new%", percent),
            ("//evil.example/", "the target //evil.example/ starts with //, which a browser reads as another host"),
            ("b", "the target b \(neither)"),
            ("new", "the target new \(neither)"),
            ("ftp://x.test/", "the target ftp://x.test/ \(neither)"),
            ("javascript:alert(1)", "the target javascript:alert(1) \(neither)"),
            ("https:/x.test", "the target https:/x.test \(neither)"),
            ("https://", "the target https:// \(noHost)"),
            ("https:///x", "the target https:///x \(noHost)"),
            ("https://u@evil.test/", "the target https://u@evil.test/ \(noHost)"),
        ] {
            #expect(errors("Redirect /old \(quoted(target))") == ["httpd.conf:1: Redirect: \(message)"], "\(target)")
        }
        #expect(
            errors("Redirect /old //evil.example/")
                == ["httpd.conf:1: Redirect: the target //evil.example/ starts with //, which a browser reads as another host"])
        #expect(errors("Redirect /old /new?x=1") == ["httpd.conf:1: Redirect: \(queryOrFragment)"])
        #expect(errors("Redirect /old https://") == ["httpd.conf:1: Redirect: the target https:// \(noHost)"])
        #expect(
            errors("Redirect /old /a<b>") == [
                "httpd.conf:1: Redirect: the target has '<', which a URL cannot hold (write it %XX-encoded)"
            ])
        #expect(
            errors("Redirect /old /a\\b") == [
                "httpd.conf:1: Redirect: the target has '\\', which a URL cannot hold (write it %XX-encoded)"
            ])
        // A line feed ends a configuration line; given directly, it is refused too.
        #expect(refusal { try SiteSyntax.redirect(["/old", "/new\r\nSet-Cookie: a=1"]) } == raw)
    }

    @Test func aRedirectTargetUnderItsPrefixIsRefused() {
        for (args, message) in [
            ("/ /new", "the target /new is under /: it would redirect forever"),
            ("/old /old", "the target /old is under /old: it would redirect forever"),
            ("/old/ /old/new", "the target /old/new is under /old: it would redirect forever"),
            ("/old /x/../old/y", "the target /x/../old/y is under /old: it would redirect forever"),
            ("/old /%6Fld", "the target /%6Fld is under /old: it would redirect forever"),
            ("/%6Fld /old/", "the target /old/ is under /old: it would redirect forever"),
        ] {
            #expect(errors("Redirect \(args)") == ["httpd.conf:1: Redirect: \(message)"], "\(args)")
        }
        // Covering is on bytes and whole segments, as the server's.
        #expect(config("Redirect /old /older").redirects.count == 1)
        #expect(
            errors("Redirect /k /\u{212A}") == [
                "httpd.conf:1: Redirect: the target has a space, a control character or a non-ASCII byte (write them %XX-encoded)"
            ])
        #expect(config("Redirect /k /%E2%84%AA").redirects.count == 1)
        #expect(config("Redirect /caf%C3%A9 /cafe%CC%81").redirects.count == 1)
    }

    @Test func tryFilesAndFallback() {
        #expect(
            config("TryFiles $uri $uri.html $uri/ =404").tryFiles == [
                .file("$uri"), .file("$uri.html"), .file("$uri/"), .status(404),
            ])
        #expect(config("TryFiles $uri /index.html").tryFiles == [.file("$uri"), .file("/index.html")])
        #expect(
            config("TryFiles $uri $uri.html $uri/ /index.html =404").tryFiles == [
                .file("$uri"), .file("$uri.html"), .file("$uri/"), .file("/index.html"), .status(404),
            ])
        #expect(config("TryFiles /index.html").tryFiles == [.file("/index.html")])
        #expect(config("TryFiles $uri =400").tryFiles == [.file("$uri"), .status(400)])
        #expect(config("TryFiles $uri =599").tryFiles == [.file("$uri"), .status(599)])
        #expect(config("TryFiles $uri$uri /a$uri.b").tryFiles == [.file("$uri$uri"), .file("/a$uri.b")])
        #expect(
            config("TryFiles $uri.. /a..b /100%.html //x").tryFiles == [
                .file("$uri.."), .file("/a..b"), .file("/100%.html"), .file("//x"),
            ])
        // A space is a file name's byte like another (only control bytes are refused).
        #expect(config("TryFiles \"$uri/a b.html\"").tryFiles == [.file("$uri/a b.html")])
        #expect(config("FallbackFile /index.html").fallbackFile == "/index.html")
        #expect(config("FallbackFile /index.html\nFallbackFile off").fallbackFile == nil)
        #expect(
            errors("FallbackFile index.html") == [
                "httpd.conf:1: FallbackFile: wants a path starting with / (or off), got 'index.html'"
            ])
    }

    @Test func tryFilesAreRefusedWithTheReason() {
        let wants = "wants at least one path ($uri, $uri.html, $uri/, /index.html …)"
        var cases: [(String, String)] = [
            ("=404", wants),
            ("=404 $uri", "=404 must be the last argument"),
            ("$uri =404 =500", "=404 must be the last argument"),
            ("uri", "'uri' must start with / or $uri"),
            ("index.html", "'index.html' must start with / or $uri"),
            ("\"\"", "'' must start with / or $uri"),
            ("$uri x$uri", "'x$uri' must start with / or $uri"),
            ("$args", "'$args': unknown variable $args (only $uri exists)"),
            ("$uri$args", "'$uri$args': unknown variable $args (only $uri exists)"),
            ("$uri?$args", "'$uri?$args': unknown variable $args (only $uri exists)"),
            ("/$request_uri", "'/$request_uri': unknown variable $request_uri (only $uri exists)"),
            ("$uri_x", "'$uri_x': unknown variable $uri_x (only $uri exists)"),
            ("$uril", "'$uril': unknown variable $uril (only $uri exists)"),
            ("$URI", "'$URI': unknown variable $URI (only $uri exists)"),
            ("/a$", "'/a$': '$' without a variable name (only $uri exists)"),
            ("${uri}", "'${uri}': '$' without a variable name (only $uri exists)"),
            ("$\u{212A}", "'$\u{212A}': '$' without a variable name (only $uri exists)"),
            ("/a\0", "a path has a control character"),
            ("\"$uri\r\"", "a path has a control character"),
            ("/a\u{7F}", "a path has a control character"),
            ("/a\\b", "'/a\\b' has a backslash"),
        ]
        for code in ["=200", "=304", "=600", "=4040", "=", "=abc", "=+40", "=+404", "=40", "=0404"] {
            cases.append(("$uri \(code)", "'\(code)' is not an error status (=400 to =599)"))
        }
        cases.append(("$uri \"= 404\"", "'= 404' is not an error status (=400 to =599)"))
        for template in ["$uri/../x", "/../x", "/../etc/passwd", "/./x", "$uri/.", "/..", "$uri/..", "/a/./b"] {
            cases.append((template, "'\(template)' has a '.' or '..' segment"))
        }
        for (args, message) in cases {
            #expect(errors("TryFiles \(args)") == ["httpd.conf:1: TryFiles: \(message)"], "\(args)")
        }
        #expect(errors("TryFiles") == ["httpd.conf:1: TryFiles takes at least 1 argument, got 0"])
        // A line feed ends a configuration line; given directly, it is refused too.
        #expect(refusal { try SiteSyntax.tryFiles(["$uri\n"]) } == "a path has a control character")
    }

    @Test func basicAuthNeedsItsFourDirectives() {
        let c = config("AuthType basic\nAuthName \"a \\\"b\\\"\"\nAuthUserFile /etc/pw\nRequire user alice bob")
        #expect(c.auth == AuthSettings(realm: "a \"b\"", userFile: "/etc/pw", requirement: .users(["alice", "bob"])))
        #expect(errors("AuthType Basic\nAuthName x") == ["httpd.conf:1: AuthType Basic needs AuthName, AuthUserFile and Require"])
        #expect(errors("Require valid-user") == ["httpd.conf:1: Require needs AuthType Basic (and AuthName, AuthUserFile)"])
        #expect(errors("AuthType Digest") == ["httpd.conf:1: AuthType: wants Basic or None, got 'Digest'"])
        #expect(errors("Require group staff") == ["httpd.conf:1: Require: wants valid-user or user NAME..., got 'group staff'"])
        #expect(
            errors("Require valid-user alice") == [
                "httpd.conf:1: Require: wants valid-user or user NAME..., got 'valid-user alice'"
            ])
        // AuthType None below an authenticated site turns it off there.
        let open = config(
            "AuthType Basic\nAuthName x\nAuthUserFile /pw\nRequire valid-user\n<Location /public>\nAuthType None\n</Location>")
        #expect(open.auth != nil)
        #expect(open.locations[0].config.auth == nil)
        #expect(
            errors("<Location /a>\nAuthType Basic\n</Location>") == [
                "httpd.conf:2: AuthType Basic needs AuthName, AuthUserFile and Require"
            ])
    }

    @Test func numericAddressesHoldNoControlByte() {
        // inet_pton reads a C string: before this check, a NUL ended it and the rest was never seen.
        #expect(
            errors("Listen \"127.0.0.1\0junk:8099\"")
                == ["httpd.conf:1: Listen: '127.0.0.1\0junk' is not a numeric IPv4 address (write IPv6 as [::1]:port)"])
        #expect(errors("Listen [::1\0junk]:8099") == ["httpd.conf:1: Listen: '::1\0junk' is not a numeric IPv6 address"])
        #expect(
            errors("<VirtualHost 127.0.0.1\0x:80>\n</VirtualHost>")
                == ["httpd.conf:1: <VirtualHost>: wants *, *:port or a numeric address with a port, got '127.0.0.1\0x:80'"])
        #expect(
            errors("<VirtualHost [::1\0x]:80>\n</VirtualHost>") == [
                "httpd.conf:1: <VirtualHost>: '::1\0x' is not a numeric IPv6 address"
            ])
        #expect(
            errors("StatusAllow 127.0.0.1\0x")
                == [
                    "httpd.conf:1: StatusAllow wants numeric addresses or CIDR blocks (127.0.0.1, 10.0.0.0/8, ::1), 'loopback' or 'all', got '127.0.0.1\0x'"
                ])
        #expect(config("Listen 127.0.0.1:8099").listen == [ListenAddress(host: "127.0.0.1", port: 8099)])
        for text in ["127.0.0.1", "0.0.0.0"] { #expect(IPAddress.isIPv4(text)) }
        for text in ["::1", "2001:db8::1", "::ffff:1.2.3.4"] { #expect(IPAddress.isIPv6(text)) }
        for text in [
            "127.0.0.1\0", "127.0.0.1\0junk", "127.0.0.1\n", "127.0.0.1\u{7F}", "\u{1}127.0.0.1", " 127.0.0.1", "127.0.0.1 ",
        ] {
            #expect(!IPAddress.isIPv4(text))
            #expect(CIDR(text) == nil)
        }
        for text in ["::1\0", "::1\0x", "::1\r", "::1\u{7F}", "\t::1"] {
            #expect(!IPAddress.isIPv6(text))
            #expect(CIDR(text) == nil)
        }
        #expect(CIDR("127.0.0.0\0/8") == nil)
        #expect(CIDR("127.0.0.0/8")?.contains("127.0.0.1\0") == false)
        #expect(CIDR("127.0.0.0/8")?.contains("127.0.0.1") == true)
    }
}
