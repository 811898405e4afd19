// ConfigReader: words and quoting, every directive's values and errors, block lines.

import Testing

@testable import Config
@testable import Daemon
@testable import HTTPCore
@testable import IO
@testable import Server
@testable import Support

private var reader: ConfigReader { ConfigReader(baseDirectory: "/etc/httpd") }

/// Applies `text` to a default configuration; returns it and the error descriptions.
private func apply(_ text: String, to config: Configuration = Configuration()) -> (config: Configuration, errors: [String]) {
    var c = config
    let errors = reader.apply(text, file: "httpd.conf", to: &c)
    return (c, errors.map(\.description))
}

/// The configuration from `text`, recording an issue for any error.
private func config(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Configuration {
    let (c, errors) = apply(text)
    #expect(errors == [], sourceLocation: sourceLocation)
    return c
}

/// The single error `text` gives (as `httpd.conf:LINE: message`).
private func error(_ text: String) -> String? {
    let errors = apply(text).errors
    return errors.count == 1 ? errors[0] : errors.joined(separator: " | ")
}

@Suite struct ConfigReaderTests {
    // MARK: Words

    @Test(arguments: [
        ("Listen 80", ["Listen", "80"]),
        ("  Listen\t\t80  ", ["Listen", "80"]),
        ("DocumentRoot \"/var/my www\"", ["DocumentRoot", "/var/my www"]),
        ("A \"x\\\"y\\\\z\"", ["A", "x\"y\\z"]),
        ("A \"\\n\"", ["A", "n"]),
        ("A \"\"", ["A", ""]),
        ("A \"#not a comment\"", ["A", "#not a comment"]),
        ("A a\"b c\"d", ["A", "ab cd"]),
        ("A a#b", ["A", "a#b"]),
        ("Listen 80 # trailing comment", ["Listen", "80"]),
        ("Listen 80 #", ["Listen", "80"]),
        ("# whole line", []),
        ("   # indented comment", []),
        ("", []),
        ("   \t ", []),
        ("Listen 80\r", ["Listen", "80"]),
        ("A b\\c", ["A", "b\\c"]),
    ])
    func words(line: String, words: [String]) {
        #expect(ConfigReader.words(of: Substring(line)) == words)
    }

    @Test(arguments: ["A \"unterminated", "\"", "A \"ends with escape\\\"", "A \"x\" \"y"])
    func unterminatedQuote(line: String) {
        #expect(ConfigReader.words(of: Substring(line)) == nil)
    }

    // MARK: Errors

    @Test func errorDescription() {
        #expect(ConfigError(file: "httpd.conf", line: 3, message: "oops").description == "httpd.conf:3: oops")
        #expect(ConfigError(file: "-c", line: 1, message: "x").description == "-c:1: x")
    }

    @Test func unknownDirective() {
        #expect(error("Foo bar") == "httpd.conf:1: unknown directive 'Foo'")
        #expect(error("\n\nServerSignature On") == "httpd.conf:3: unknown directive 'ServerSignature'")
        #expect(error("Foo") == "httpd.conf:1: unknown directive 'Foo'")
    }

    @Test func unterminatedQuoteIsAnError() {
        #expect(error("Listen 80\nDocumentRoot \"/var/www") == "httpd.conf:2: unterminated quoted value")
    }

    @Test func wrongArgumentCounts() {
        #expect(error("Listen") == "httpd.conf:1: Listen takes 1 to 2 arguments, got 0")
        #expect(error("Listen 80 tls 81") == "httpd.conf:1: Listen takes 1 to 2 arguments, got 3")
        #expect(error("Workers 1 2 3") == "httpd.conf:1: Workers takes 1 argument, got 3")
        #expect(error("ErrorDocument 404") == "httpd.conf:1: ErrorDocument takes 2 arguments, got 1")
        #expect(error("ErrorDocument 404 /a /b") == "httpd.conf:1: ErrorDocument takes 2 arguments, got 3")
        #expect(error("DirectoryIndex") == "httpd.conf:1: DirectoryIndex takes at least 1 argument, got 0")
        #expect(error("AccessLog") == "httpd.conf:1: AccessLog takes 1 to 2 arguments, got 0")
        #expect(error("AccessLog a b c") == "httpd.conf:1: AccessLog takes 1 to 2 arguments, got 3")
    }

    @Test func everyDirectiveChecksItsArgumentCount() {
        for d in Directive.all {
            let minArgs = d.arity.min
            #expect(minArgs >= 1)
            #expect(apply(d.name).errors.count == 1, "\(d.name) without arguments")
            #expect(apply(d.name).errors.first?.hasPrefix("httpd.conf:1: \(d.name) takes ") == true)
        }
    }

    @Test func directiveNamesMatchTheirDisplayNames() {
        for d in Directive.all {
            #expect(Directive.named(d.name.lowercased())?.name == d.name)
            #expect(Directive.named(d.name.uppercased())?.name == d.name)
        }
    }

    @Test func directiveNamesAreCaseInsensitive() {
        let c = config("LISTEN 81\nworkers 3\nDocumentroot /srv/www")
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 81)])
        #expect(c.workers == 3)
        #expect(c.documentRoot == "/srv/www")
    }

    @Test func severalErrorsInOnePass() {
        let text = """
            # comment
            Listen 8080
            Workers zero
            KeepAlive on
            Bogus 1
            Listen 8080
            DocumentRoot "/unterminated
            """
        let (c, errors) = apply(text)
        #expect(
            errors == [
                "httpd.conf:3: Workers: wants a whole number from 1 to 1024, got 'zero'",
                "httpd.conf:5: unknown directive 'Bogus'",
                "httpd.conf:6: Listen 127.0.0.1:8080 is given twice",
                "httpd.conf:7: unterminated quoted value",
            ])
        // Valid lines are still applied.
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 8080)])
        #expect(c.keepAlive)
    }

    @Test func blankLinesCommentsAndCRLF() {
        let c = config("# httpd.conf\r\n\r\n   Listen 8080   # the port\r\n\t\r\n  Workers 2\r\n")
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 8080)])
        #expect(c.workers == 2)
    }

    @Test func crlfLinesAreSeparateLines() {
        let c = config("Listen 8080\r\nWorkers 2\r\nKeepAlive off\r\n")
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 8080)])
        #expect(c.workers == 2)
        #expect(c.keepAlive == false)
        #expect(error("Listen 8080\r\n\r\nBogus\r\n") == "httpd.conf:3: unknown directive 'Bogus'")
    }

    @Test func emptyTextChangesNothing() {
        let (c, errors) = apply("")
        #expect(errors == [])
        #expect(c.listen == [])
        #expect(c.workers == 4)
    }

    // MARK: Blocks

    @Test(arguments: [
        (["Listen", "80"], ConfigLine.directive("Listen", ["80"])),
        (["<VirtualHost", "*:80>"], ConfigLine.open("VirtualHost", ["*:80"])),
        (["<Location", "/a b>"], ConfigLine.open("Location", ["/a b"])),
        (["<Location", "/a", ">"], ConfigLine.open("Location", ["/a"])),
        (["<Location>"], ConfigLine.open("Location", [])),
        (["</Location>"], ConfigLine.close("Location")),
        (["</Location", ">"], ConfigLine.close("Location")),
        (["<Location", "/a"], ConfigLine.malformed("<Location lacks its closing '>'")),
        (["<Location"], ConfigLine.malformed("<Location lacks its closing '>'")),
        (["</Location"], ConfigLine.malformed("</Location lacks its closing '>'")),
        (["</Location>", "x"], ConfigLine.malformed("</Location> takes no arguments")),
        (["<>"], ConfigLine.malformed("'<>' is not a block name")),
        (["</>"], ConfigLine.malformed("'</>' is not a block name")),
        (["<", "Location>"], ConfigLine.malformed("'<' is not a block name")),
        (["<a>b>"], ConfigLine.malformed("'<a>b>' is not a block name")),
    ])
    func blockLines(words: [String], line: ConfigLine) {
        #expect(ConfigLine(words) == line)
    }

    @Test func noWordsIsNoLine() {
        #expect(ConfigLine([]) == nil)
    }

    @Test func unknownBlocksAreErrorsAndTheirLinesAreNotApplied() {
        let (c, errors) = apply("<Directory /x>\n  Listen 9090\n  Workers 7\n</Directory>\nWorkers 3")
        #expect(errors == ["httpd.conf:1: unknown block <Directory>"])
        #expect(c.listen == [])
        #expect(c.workers == 3)
        #expect(error("<Location>\n</Location >") == "httpd.conf:1: <Location> takes 1 argument, got 0")
    }

    @Test func blocksNestAndCloseByName() {
        #expect(error("</Location>") == "httpd.conf:1: </Location> without an open <Location>")
        #expect(
            apply("<VirtualHost *:80>\n<Location /a>\n</VirtualHost>\n</Location>").errors == [
                "httpd.conf:1: <VirtualHost> is not closed",
                "httpd.conf:3: </VirtualHost> does not close <Location> opened on line 2",
            ])
        #expect(
            apply("# site\n<Location /x>\nWorkers 2\n").errors == [
                "httpd.conf:2: <Location> is not closed"
            ])
        #expect(
            apply("<VirtualHost *:80>\n<Location /a>\n").errors == [
                "httpd.conf:1: <VirtualHost> is not closed", "httpd.conf:2: <Location> is not closed",
            ])
        #expect(
            apply("<Location /a>\n<VirtualHost *>\n</VirtualHost>\n</Location>").errors == [
                "httpd.conf:2: <VirtualHost> is not allowed in <Location>"
            ])
    }

    @Test func malformedBlockLinesAreErrors() {
        #expect(error("<Location /x") == "httpd.conf:1: <Location lacks its closing '>'")
        #expect(error("Workers 2\n</Location> now") == "httpd.conf:2: </Location> takes no arguments")
        #expect(error("<>") == "httpd.conf:1: '<>' is not a block name")
        // Inside an unknown block, quoting is still checked.
        #expect(
            apply("<X>\nDocumentRoot \"/a\n</X>").errors == [
                "httpd.conf:1: unknown block <X>", "httpd.conf:2: unterminated quoted value",
            ])
    }

    // MARK: Listen

    @Test(arguments: [
        ("8080", "127.0.0.1", 8080),
        ("0", "127.0.0.1", 0),
        ("65535", "127.0.0.1", 65535),
        ("*:80", "0.0.0.0", 80),
        ("0.0.0.0:80", "0.0.0.0", 80),
        ("1.2.3.4:80", "1.2.3.4", 80),
        ("[::1]:80", "::1", 80),
        ("[::]:8080", "::", 8080),
        ("[fe80::1]:443", "fe80::1", 443),
    ])
    func listenForms(value: String, host: String, port: Int) {
        let c = config("Listen \(value)")
        #expect(c.listen == [ListenAddress(host: host, port: UInt16(port))])
    }

    @Test(arguments: [
        ("abc", "Listen: 'abc' is not a port number from 0 to 65535"),
        ("65536", "Listen: '65536' is not a port number from 0 to 65535"),
        ("-1", "Listen: '-1' is not a port number from 0 to 65535"),
        ("*:http", "Listen: 'http' is not a port number from 0 to 65535"),
        ("1.2.3.4:", "Listen: '' is not a port number from 0 to 65535"),
        ("1.2.3:80", "Listen: '1.2.3' is not a numeric IPv4 address (write IPv6 as [::1]:port)"),
        ("localhost:80", "Listen: 'localhost' is not a numeric IPv4 address (write IPv6 as [::1]:port)"),
        (":80", "Listen: '' is not a numeric IPv4 address (write IPv6 as [::1]:port)"),
        ("::1:80", "Listen: '::1' is not a numeric IPv4 address (write IPv6 as [::1]:port)"),
        ("[::1]", "Listen: wants [address]:port for IPv6, got '[::1]'"),
        ("[::1", "Listen: wants [address]:port for IPv6, got '[::1'"),
        ("[::1]80", "Listen: wants [address]:port for IPv6, got '[::1]80'"),
        ("[::1]:", "Listen: '' is not a port number from 0 to 65535"),
        ("[1.2.3.4]:80", "Listen: '1.2.3.4' is not a numeric IPv6 address"),
        ("[zz]:80", "Listen: 'zz' is not a numeric IPv6 address"),
    ])
    func invalidListen(value: String, message: String) {
        #expect(error("Listen \(value)") == "httpd.conf:1: \(message)")
    }

    @Test func repeatedListen() {
        let c = config("Listen 8080\nListen 8081\nListen [::1]:8080\nListen *:8080")
        #expect(
            c.listen == [
                ListenAddress(host: "127.0.0.1", port: 8080), ListenAddress(host: "127.0.0.1", port: 8081),
                ListenAddress(host: "::1", port: 8080), ListenAddress(host: "0.0.0.0", port: 8080),
            ])
    }

    @Test func duplicateListen() {
        #expect(error("Listen 8080\nListen 127.0.0.1:8080") == "httpd.conf:2: Listen 127.0.0.1:8080 is given twice")
        #expect(error("Listen *:80\n\nListen 0.0.0.0:80") == "httpd.conf:3: Listen 0.0.0.0:80 is given twice")
        #expect(error("Listen [::1]:80\nListen [::1]:80") == "httpd.conf:2: Listen [::1]:80 is given twice")
    }

    // MARK: Paths

    @Test func relativePathsResolveAgainstTheConfigFolder() {
        let c = config(
            "DocumentRoot site\nTypesConfig conf/mime.types\nPidFile logs/httpd.pid\nAccessLog logs/access.log\nErrorLog logs/error.log"
        )
        #expect(c.documentRoot == "/etc/httpd/site")
        #expect(c.typesConfig == "/etc/httpd/conf/mime.types")
        #expect(c.pidFile == "/etc/httpd/logs/httpd.pid")
        #expect(c.accessLog?.path == "/etc/httpd/logs/access.log")
        #expect(c.errorLog == .file("/etc/httpd/logs/error.log"))
    }

    @Test func absolutePathsAreKept() {
        let c = config("DocumentRoot /srv/www\nTypesConfig /etc/mime.types\nPidFile /run/httpd.pid")
        #expect(c.documentRoot == "/srv/www")
        #expect(c.typesConfig == "/etc/mime.types")
        #expect(c.pidFile == "/run/httpd.pid")
    }

    @Test func resolve() {
        #expect(ConfigReader(baseDirectory: "/").resolve("www") == "/www")
        #expect(ConfigReader(baseDirectory: "/etc/httpd/").resolve("www") == "/etc/httpd/www")
        #expect(ConfigReader(baseDirectory: "/etc/httpd").resolve("a/b") == "/etc/httpd/a/b")
        #expect(ConfigReader(baseDirectory: "/etc/httpd").resolve("/abs") == "/abs")
        #expect(ConfigReader(baseDirectory: "/etc/httpd").resolve("../www") == "/etc/httpd/../www")
    }

    // MARK: Every directive

    @Test func numbers() {
        let c = config(
            """
            Workers 8
            MaxKeepAliveRequests 0
            MaxConnections 10
            LimitRequestLine 64
            LimitRequestFieldSize 1048576
            LimitRequestFields 10000
            LimitRequestHeadSize 1024
            LimitRequestBody 0
            FileCacheEntries 0
            """)
        #expect(c.workers == 8)
        #expect(c.maxKeepAliveRequests == 0)
        #expect(c.maxConnections == 10)
        #expect(c.limitRequestLine == 64)
        #expect(c.limitRequestFieldSize == 1_048_576)
        #expect(c.limitRequestFields == 10_000)
        #expect(c.limitRequestHeadSize == 1024)
        #expect(c.limitRequestBody == 0)
        #expect(c.fileCacheEntries == 0)
    }

    @Test(arguments: [
        ("Workers 0", "Workers: wants a whole number from 1 to 1024, got '0'"),
        ("Workers 1025", "Workers: wants a whole number from 1 to 1024, got '1025'"),
        ("Workers four", "Workers: wants a whole number from 1 to 1024, got 'four'"),
        ("Workers 2.5", "Workers: wants a whole number from 1 to 1024, got '2.5'"),
        ("MaxKeepAliveRequests -1", "MaxKeepAliveRequests: wants a whole number from 0 to 2147483647, got '-1'"),
        ("MaxConnections 0", "MaxConnections: wants a whole number from 1 to 1000000, got '0'"),
        ("LimitRequestLine 63", "LimitRequestLine: wants a whole number from 64 to 1048576, got '63'"),
        ("LimitRequestFieldSize 1048577", "LimitRequestFieldSize: wants a whole number from 64 to 1048576, got '1048577'"),
        ("LimitRequestFields 0", "LimitRequestFields: wants a whole number from 1 to 10000, got '0'"),
        ("LimitRequestHeadSize 1023", "LimitRequestHeadSize: wants a whole number from 1024 to 16777216, got '1023'"),
        ("LimitRequestBody -1", "LimitRequestBody: wants a whole number from 0 to 9223372036854775807, got '-1'"),
        ("FileCacheEntries 1000001", "FileCacheEntries: wants a whole number from 0 to 1000000, got '1000001'"),
    ])
    func invalidNumbers(line: String, message: String) {
        #expect(error(line) == "httpd.conf:1: \(message)")
    }

    @Test func seconds() {
        let c = config(
            """
            KeepAliveTimeout 2.5
            RequestHeaderTimeout 10
            RequestBodyTimeout 0.5
            SendTimeout 30
            FileCacheValidity 0
            ShutdownTimeout 0
            DrainDelay 3
            """)
        #expect(c.keepAliveTimeout == 2.5)
        #expect(c.requestHeaderTimeout == 10)
        #expect(c.requestBodyTimeout == 0.5)
        #expect(c.sendTimeout == 30)
        #expect(c.fileCacheValidity == 0)
        #expect(c.shutdownTimeout == 0)
        #expect(c.drainDelay == 3)
        #expect(config("KeepAliveTimeout 0").keepAliveTimeout == 0)
    }

    @Test(arguments: [
        ("KeepAliveTimeout -1", "KeepAliveTimeout: wants a number of seconds, got '-1'"),
        ("KeepAliveTimeout five", "KeepAliveTimeout: wants a number of seconds, got 'five'"),
        ("KeepAliveTimeout inf", "KeepAliveTimeout: wants a number of seconds, got 'inf'"),
        ("KeepAliveTimeout nan", "KeepAliveTimeout: wants a number of seconds, got 'nan'"),
        ("KeepAliveTimeout 31536001", "KeepAliveTimeout: wants a number of seconds, got '31536001'"),
        ("RequestHeaderTimeout 0", "RequestHeaderTimeout: wants a number of seconds above 0, got '0'"),
        ("RequestBodyTimeout 0", "RequestBodyTimeout: wants a number of seconds above 0, got '0'"),
        ("SendTimeout 0", "SendTimeout: wants a number of seconds above 0, got '0'"),
        ("SendTimeout -5", "SendTimeout: wants a number of seconds above 0, got '-5'"),
        ("FileCacheValidity x", "FileCacheValidity: wants a number of seconds, got 'x'"),
    ])
    func invalidSeconds(line: String, message: String) {
        #expect(error(line) == "httpd.conf:1: \(message)")
    }

    @Test func flags() {
        let on = config("KeepAlive on\nAutoindex yes\nHideDotfiles TRUE\nPrecompressed On\nLogHealth on")
        #expect(on.keepAlive && on.autoindex && on.hideDotfiles && on.precompressed && on.logHealth)
        let off = config("KeepAlive off\nAutoindex no\nHideDotfiles false\nPrecompressed OFF\nLogHealth off")
        #expect(!off.keepAlive && !off.autoindex && !off.hideDotfiles && !off.precompressed && !off.logHealth)
    }

    @Test(arguments: ["KeepAlive", "Autoindex", "HideDotfiles", "Precompressed", "LogHealth", "Daemon"])
    func invalidFlag(name: String) {
        #expect(error("\(name) maybe") == "httpd.conf:1: \(name): wants on or off, got 'maybe'")
        #expect(error("\(name) 1") == "httpd.conf:1: \(name): wants on or off, got '1'")
    }

    @Test func daemon() {
        #expect(config("Daemon off").foreground == true)
        #expect(config("Daemon on").foreground == false)
    }

    @Test func directoryIndex() {
        #expect(config("DirectoryIndex index.htm").directoryIndex == ["index.htm"])
        #expect(
            config("DirectoryIndex index.html index.htm default.html").directoryIndex == [
                "index.html", "index.htm", "default.html",
            ])
        #expect(error("DirectoryIndex sub/index.html") == "httpd.conf:1: DirectoryIndex names files, not paths")
        #expect(error("DirectoryIndex index.html \"\"") == "httpd.conf:1: DirectoryIndex names files, not paths")
    }

    @Test func typesConfig() {
        #expect(config("TypesConfig builtin").typesConfig == "")
        #expect(config("TypesConfig BuiltIn").typesConfig == "")
        #expect(config("TypesConfig mime.types").typesConfig == "/etc/httpd/mime.types")
    }

    @Test func defaultType() {
        #expect(config("DefaultType text/plain").defaultType == "text/plain")
        #expect(error("DefaultType plain") == "httpd.conf:1: DefaultType wants a media type such as text/plain, got 'plain'")
    }

    @Test func addDefaultCharset() {
        #expect(config("AddDefaultCharset off").defaultCharset == nil)
        #expect(config("AddDefaultCharset Off").defaultCharset == nil)
        #expect(config("AddDefaultCharset iso-8859-1").defaultCharset == "iso-8859-1")
    }

    @Test func errorDocument() {
        let c = config(
            "ErrorDocument 404 /404.html\nErrorDocument 500 \"/errors/server error.html\"\nErrorDocument 404 /missing.html")
        #expect(c.errorDocuments == [404: "/missing.html", 500: "/errors/server error.html"])
        #expect(error("ErrorDocument 200 /x") == "httpd.conf:1: ErrorDocument wants a status code from 400 to 599, got '200'")
        #expect(error("ErrorDocument 600 /x") == "httpd.conf:1: ErrorDocument wants a status code from 400 to 599, got '600'")
        #expect(error("ErrorDocument abc /x") == "httpd.conf:1: ErrorDocument wants a status code from 400 to 599, got 'abc'")
        #expect(
            error("ErrorDocument 404 404.html")
                == "httpd.conf:1: ErrorDocument wants a local path starting with '/', got '404.html'")
        #expect(
            error("ErrorDocument 404 http://example.com/")
                == "httpd.conf:1: ErrorDocument wants a local path starting with '/', got 'http://example.com/'")
    }

    @Test func followSymlinks() {
        #expect(config("FollowSymlinks on").followSymlinks == .on)
        #expect(config("FollowSymlinks Inside").followSymlinks == .inside)
        #expect(config("FollowSymlinks OFF").followSymlinks == .off)
        #expect(error("FollowSymlinks yes") == "httpd.conf:1: FollowSymlinks wants on, inside or off, got 'yes'")
    }

    @Test func cacheControl() {
        #expect(config("CacheControl \"max-age=3600, public\"").cacheControl == "max-age=3600, public")
        #expect(config("CacheControl no-cache").cacheControl == "no-cache")
        var withValue = Configuration()
        withValue.cacheControl = "x"
        #expect(apply("CacheControl off", to: withValue).config.cacheControl == nil)
        #expect(apply("CacheControl \"\"", to: withValue).config.cacheControl == nil)
        #expect(error("CacheControl \"a\tb\"") == "httpd.conf:1: CacheControl has a control character")
        #expect(error("CacheControl \"a\u{7F}\"") == "httpd.conf:1: CacheControl has a control character")
    }

    @Test func serverTokens() {
        #expect(config("ServerTokens Prod").serverTokensFull == false)
        #expect(config("ServerTokens ProductOnly").serverTokensFull == false)
        #expect(config("ServerTokens full").serverTokensFull == true)
        #expect(error("ServerTokens Minimal") == "httpd.conf:1: ServerTokens wants Prod or Full, got 'Minimal'")
    }

    @Test func logLevel() {
        #expect(config("LogLevel debug").logLevel == .debug)
        #expect(config("LogLevel WARN").logLevel == .warn)
        #expect(config("LogLevel emerg").logLevel == .emerg)
        #expect(
            error("LogLevel verbose")
                == "httpd.conf:1: LogLevel wants one of emerg, alert, crit, error, warn, notice, info, debug, got 'verbose'")
    }

    @Test func pidFile() {
        var withValue = Configuration()
        withValue.pidFile = "/run/x.pid"
        #expect(apply("PidFile off", to: withValue).config.pidFile == nil)
    }

    @Test func accessLog() {
        let combined = config("AccessLog /var/log/httpd/access.log")
        #expect(combined.accessLog?.path == "/var/log/httpd/access.log")
        #expect(combined.accessLog?.format == .combined)
        let common = config("AccessLog access.log Common")
        #expect(common.accessLog?.path == "/etc/httpd/access.log")
        #expect(common.accessLog?.format == .common)
        var withValue = Configuration()
        withValue.accessLog = ("/x", .common)
        #expect(apply("AccessLog off", to: withValue).config.accessLog == nil)
        #expect(error("AccessLog off common") == "httpd.conf:1: AccessLog off takes no format")
        #expect(
            error("AccessLog a.log fancy")
                == "httpd.conf:1: AccessLog format must be common, combined, combined_tls or vhost_combined, got 'fancy'")
        #expect(config("AccessLog access.log combined_tls").accessLog?.format == .combinedTLS)
        #expect(config("AccessLog access.log COMBINED_TLS").accessLog?.format == .combinedTLS)
        #expect(
            error("AccessLog access.log combinedtls")
                == "httpd.conf:1: AccessLog format must be common, combined, combined_tls or vhost_combined, got 'combinedtls'")
    }

    @Test func errorLog() {
        #expect(config("ErrorLog stderr").errorLog == .stderr)
        #expect(config("ErrorLog SysLog").errorLog == .syslog)
        #expect(config("ErrorLog /var/log/httpd/error.log").errorLog == .file("/var/log/httpd/error.log"))
    }

    @Test func userAndGroup() {
        let c = config("User www-data\nGroup www-data")
        #expect(c.user == "www-data")
        #expect(c.group == "www-data")
        #expect(error("User \"\"") == "httpd.conf:1: User wants a user name")
        #expect(error("Group \"\"") == "httpd.conf:1: Group wants a group name")
    }

    @Test func endpointPaths() {
        let c = config("HealthPath /health\nReadyPath /ready\nStatusPath /status\nMetricsPath off")
        #expect(c.healthPath == "/health")
        #expect(c.readyPath == "/ready")
        #expect(c.statusPath == "/status")
        #expect(c.metricsPath == nil)
        #expect(error("HealthPath health") == "httpd.conf:1: HealthPath: wants a path starting with / (or off), got 'health'")
        #expect(error("StatusPath /s?x") == "httpd.conf:1: StatusPath: wants a path starting with / (or off), got '/s?x'")
        #expect(error("MetricsPath \"/a b\"") == "httpd.conf:1: MetricsPath: wants a path starting with / (or off), got '/a b'")
    }

    @Test func statusAllow() {
        #expect(config("StatusAllow 10.0.0.0/8 ::1").statusAllow == [CIDR("10.0.0.0/8")!, CIDR("::1")!])
        #expect(config("StatusAllow loopback").statusAllow == CIDR.loopback)
        #expect(config("StatusAllow all").statusAllow == [CIDR("0.0.0.0/0")!, CIDR("::/0")!])
        #expect(
            error("StatusAllow 10.0.0.0/33")
                == "httpd.conf:1: StatusAllow wants numeric addresses or CIDR blocks (127.0.0.1, 10.0.0.0/8, ::1), 'loopback' or 'all', got '10.0.0.0/33'"
        )
    }

    @Test func laterLinesOverrideEarlierOnes() {
        let c = config("Workers 2\nWorkers 6\nDocumentRoot a\nDocumentRoot b")
        #expect(c.workers == 6)
        #expect(c.documentRoot == "/etc/httpd/b")
    }
}
