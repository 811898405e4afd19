// CommandLineOptions: every flag, its errors, and the usage text.

import Testing

@testable import Config
@testable import Daemon
@testable import Files
@testable import HTTPCore
@testable import IO
@testable import Server
@testable import Support

private func options(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) -> CommandLineOptions? {
    switch CommandLineOptions.parse(args) {
    case .success(let o): return o
    case .failure(let e):
        Issue.record("unexpected usage error: \(e)", sourceLocation: sourceLocation)
        return nil
    }
}

private func usageError(_ args: [String]) -> String? {
    if case .failure(let e) = CommandLineOptions.parse(args) { return e.description }
    return nil
}

@Suite struct CommandLineOptionsTests {
    @Test func defaults() throws {
        let o = try #require(options([]))
        #expect(o.action == .serve)
        #expect(o.configFile == "httpd.conf")
        #expect(o.directives == [])
        #expect(o.foreground == false)
        #expect(o.inetd == false)
        #expect(o == CommandLineOptions())
    }

    @Test func configFile() {
        #expect(options(["-f", "/etc/httpd/httpd.conf"])?.configFile == "/etc/httpd/httpd.conf")
        #expect(options(["--config", "site.conf"])?.configFile == "site.conf")
        #expect(options(["-fmy.conf"])?.configFile == "my.conf")
        #expect(options(["-f/abs/path.conf"])?.configFile == "/abs/path.conf")
        #expect(options(["-f", "a.conf", "-f", "b.conf"])?.configFile == "b.conf")
        // The value is taken as is, even when it looks like an option.
        #expect(options(["-f", "-F"])?.configFile == "-F")
    }

    @Test func directivesAreRepeatableAndKeepTheirOrder() {
        #expect(
            options(["-c", "Listen 127.0.0.1:0", "-c", "Workers 2", "-c", "KeepAlive off"])?.directives
                == ["Listen 127.0.0.1:0", "Workers 2", "KeepAlive off"])
        #expect(options(["-c", "-t"])?.directives == ["-t"])
        #expect(options(["-c", ""])?.directives == [""])
    }

    @Test func foreground() {
        #expect(options(["-F"])?.foreground == true)
        #expect(options(["--foreground"])?.foreground == true)
    }

    @Test func inetd() {
        #expect(options(["-i"])?.inetd == true)
        #expect(options(["--inetd"])?.inetd == true)
    }

    @Test func actions() {
        #expect(options(["-t"])?.action == .checkConfig)
        #expect(options(["--check-config"])?.action == .checkConfig)
        #expect(options(["-L"])?.action == .listDirectives)
        #expect(options(["-v"])?.action == .version)
        #expect(options(["--version"])?.action == .version)
        #expect(options(["-h"])?.action == .help)
        #expect(options(["--help"])?.action == .help)
        #expect(options(["-s", "stop"])?.action == .signal("stop"))
        #expect(options(["-s", "reload"])?.action == .signal("reload"))
        #expect(options(["-s", "reopen"])?.action == .signal("reopen"))
        #expect(options(["-s", "upgrade"])?.action == .signal("upgrade"))
        // The last action wins, but -t with -v (either order) lists the sites, as -S does.
        #expect(options(["-v", "-h"])?.action == .help)
        #expect(options(["-t", "-v"])?.action == .listSites)
        #expect(options(["-v", "-t"])?.action == .listSites)
        #expect(options(["-S"])?.action == .listSites)
        #expect(options(["-t", "-L"])?.action == .listDirectives)
    }

    @Test func everythingTogether() throws {
        let o = try #require(options(["-F", "-f", "a.conf", "-c", "Listen 0", "-t", "-c", "Workers 1"]))
        #expect(o.foreground)
        #expect(o.configFile == "a.conf")
        #expect(o.directives == ["Listen 0", "Workers 1"])
        #expect(o.action == .checkConfig)
    }

    @Test func missingValues() {
        #expect(usageError(["-f"]) == "-f needs a file name")
        #expect(usageError(["--config"]) == "--config needs a file name")
        #expect(usageError(["-c"]) == "-c needs a directive, e.g. -c \"Listen 127.0.0.1:8080\"")
        #expect(usageError(["-F", "-c"]) == "-c needs a directive, e.g. -c \"Listen 127.0.0.1:8080\"")
        #expect(usageError(["-s"]) == "-s needs stop, reload, reopen or upgrade")
    }

    @Test func invalidSignal() {
        #expect(usageError(["-s", "kill"]) == "-s takes stop, reload, reopen or upgrade, not 'kill'")
        #expect(usageError(["-s", "STOP"]) == "-s takes stop, reload, reopen or upgrade, not 'STOP'")
    }

    @Test(arguments: ["-x", "foo", "--foo", "-", "--", "-Ft", "-tv", "--check", "-C", "--config=a.conf"])
    func unknownOptions(arg: String) {
        #expect(usageError([arg]) == "unknown option '\(arg)'")
    }

    @Test func unknownOptionAfterValidOnes() {
        #expect(usageError(["-F", "-f", "a.conf", "bogus"]) == "unknown option 'bogus'")
    }

    @Test func usageErrorDescription() {
        #expect(UsageError("boom").description == "boom")
        #expect(UsageError("boom") == UsageError("boom"))
    }

    @Test func usageMentionsEveryOption() {
        for option in [
            "-f FILE", "-c ", "-F, --foreground", "-s stop|reload|reopen", "-i, --inetd", "-t, --check-config", "-L ",
            "-v, --version", "-h, --help",
        ] {
            #expect(CommandLineOptions.usage.contains(option), "\(option)")
        }
    }
}
