// ConfigLoader: the file plus -c directives, relative paths, and error locations.

import Foundation
import Testing

@testable import Config
@testable import Files
@testable import HTTPCore
@testable import Server
@testable import Support

/// A folder of its own for one test, removed afterwards.
private struct TempDir: ~Copyable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "httpd-unit-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` inside the folder; returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

private func loaded(_ file: String, _ directives: [String] = [], sourceLocation: SourceLocation = #_sourceLocation)
    -> Configuration?
{
    switch ConfigLoader.load(file: file, directives: directives) {
    case .success(let c): return c
    case .failure(let e):
        Issue.record("unexpected errors: \(e.errors.map(\.description))", sourceLocation: sourceLocation)
        return nil
    }
}

private func errors(_ file: String, _ directives: [String] = []) -> [String] {
    if case .failure(let e) = ConfigLoader.load(file: file, directives: directives) { return e.errors.map(\.description) }
    return []
}

@Suite struct ConfigLoaderTests {
    @Test func loadsTheFile() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "Listen 8080\nListen 8081\nDocumentRoot site\nWorkers 2\n")
        let c = try #require(loaded(file))
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 8080), ListenAddress(host: "127.0.0.1", port: 8081)])
        #expect(c.documentRoot == dir.path + "/site")
        #expect(c.workers == 2)
    }

    @Test func documentRootDefaultsToWwwBesideTheFile() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "# nothing\n")
        let c = try #require(loaded(file))
        #expect(c.documentRoot == dir.path + "/www")
        #expect(c.listen == [])
        #expect(c.effectiveListen == [ListenAddress(host: "127.0.0.1", port: 8080)])
    }

    @Test func directivesApplyAfterTheFile() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "Workers 2\nKeepAlive on\nListen 8080\n")
        let c = try #require(loaded(file, ["Workers 8", "KeepAlive off", "DocumentRoot public"]))
        #expect(c.workers == 8)
        #expect(c.keepAlive == false)
        // Relative paths in -c are relative to the config file's folder too.
        #expect(c.documentRoot == dir.path + "/public")
        // Without a -c Listen, the file's Listen stays.
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 8080)])
    }

    @Test func aListenInDirectivesReplacesTheFilesListens() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "Listen 8080\nListen [::1]:8080\n")
        let one = try #require(loaded(file, ["Listen 127.0.0.1:0"]))
        #expect(one.listen == [ListenAddress(host: "127.0.0.1", port: 0)])
        let two = try #require(loaded(file, ["listen 9090", "Workers 3", "LISTEN [::1]:9091"]))
        #expect(two.listen == [ListenAddress(host: "127.0.0.1", port: 9090), ListenAddress(host: "::1", port: 9091)])
        // The same address as in the file is not a duplicate: the file's are gone.
        let same = try #require(loaded(file, ["Listen 8080"]))
        #expect(same.listen == [ListenAddress(host: "127.0.0.1", port: 8080)])
    }

    @Test func directiveErrorsAreReportedAsDashC() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "Listen 8080\n")
        #expect(
            errors(file, ["Workers 2", "Workers 0", "Bogus x", "Listen 80", "Listen 127.0.0.1:80"]) == [
                "-c:2: Workers: wants a whole number from 1 to 1024, got '0'",
                "-c:3: unknown directive 'Bogus'",
                "-c:5: Listen 127.0.0.1:80 is given twice",
            ])
        #expect(errors(file, ["DocumentRoot \"/unterminated"]) == ["-c:1: unterminated quoted value"])
        #expect(errors(file, ["Listen"]) == ["-c:1: Listen takes 1 to 2 arguments, got 0"])
    }

    // MARK: What one directive needs from another: checked on the file and -c together

    @Test func aCertificateInTheFileServesATLSListenFromDashC() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "Listen 8080\nTLSCertificateFile a.crt\nTLSCertificateKeyFile a.key\n")
        let c = try #require(loaded(file, ["Listen 127.0.0.1:8443 tls", "RedirectToHTTPS on"]))
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 8443, tls: true)])
        #expect(
            c.tlsCertificates == [
                TLSCertificatePair(
                    certificateFile: dir.path + "/a.crt", keyFile: dir.path + "/a.key", certificateLocation: "\(file):2",
                    keyLocation: "\(file):3")
            ])
    }

    @Test func aPairMaySpanTheFileAndDashC() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "Listen 8443 tls\nTLSCertificateFile a.crt\n")
        let c = try #require(loaded(file, ["Workers 2", "TLSCertificateKeyFile /k/a.key"]))
        #expect(c.tlsCertificates.map(\.keyFile) == ["/k/a.key"])
        #expect(c.tlsCertificates.map(\.keyLocation) == ["-c:2"])
        let d = try #require(
            loaded(file, ["TLSCertificateKeyFile a.key", "TLSCertificateFile b.crt", "TLSCertificateKeyFile b.key"]))
        #expect(d.tlsCertificates.map(\.certificateLocation) == ["\(file):2", "-c:2"])
        #expect(d.tlsCertificates.map(\.keyLocation) == ["-c:1", "-c:3"])
    }

    @Test func checksRunOnceAfterDashC() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "Listen 8443 tls\nTLSCertificateFile a.crt\nWorkers x\n")
        // A file's error first, then -c's, then the whole-configuration checks.
        #expect(
            errors(file, ["Bogus", "RedirectToHTTPS on"]) == [
                "\(file):3: Workers: wants a whole number from 1 to 1024, got 'x'",
                "-c:1: unknown directive 'Bogus'",
                "\(file):2: TLSCertificateFile \(dir.path)/a.crt has no TLSCertificateKeyFile after it (each key follows its certificate)",
            ])
        // A -c Listen replaces the file's: its tls address no longer needs a certificate, and RedirectToHTTPS
        // has no tls address left.
        let plain = try dir.write("plain.conf", "Listen 8443 tls\nRedirectToHTTPS on\n")
        #expect(errors(plain, ["Listen 8080"]) == ["\(plain):2: RedirectToHTTPS on needs a Listen with tls"])
        #expect(
            errors(plain, ["Listen 8080", "Listen 8443 tls"]) == [
                "-c:2: Listen 127.0.0.1:8443 tls needs a certificate: TLSCertificateFile and TLSCertificateKeyFile"
            ])
        #expect(
            errors(plain) == [
                "\(plain):1: Listen 127.0.0.1:8443 tls needs a certificate: TLSCertificateFile and TLSCertificateKeyFile"
            ])
    }

    @Test func fileErrorsComeFirstWithTheFileName() throws {
        let dir = try TempDir()
        let file = try dir.write("site.conf", "Listen 8080\n\nWorkers x\nNoSuchThing\n")
        #expect(
            errors(file, ["Bogus"]) == [
                "\(file):3: Workers: wants a whole number from 1 to 1024, got 'x'",
                "\(file):4: unknown directive 'NoSuchThing'",
                "-c:1: unknown directive 'Bogus'",
            ])
    }

    @Test func missingFile() throws {
        let dir = try TempDir()
        let file = dir.path + "/missing.conf"
        #expect(errors(file) == ["\(file):0: cannot read: No such file or directory"])
    }

    @Test func emptyDirectiveIsNothing() throws {
        let dir = try TempDir()
        let file = try dir.write("httpd.conf", "Listen 8080\n")
        let c = try #require(loaded(file, ["", "# just a comment"]))
        #expect(c.listen == [ListenAddress(host: "127.0.0.1", port: 8080)])
    }

    @Test func absoluteDirectory() {
        let cwd = FileManager.default.currentDirectoryPath
        #expect(ConfigLoader.absoluteDirectory(of: "/etc/httpd/httpd.conf") == "/etc/httpd")
        #expect(ConfigLoader.absoluteDirectory(of: "/httpd.conf") == "/")
        #expect(ConfigLoader.absoluteDirectory(of: "httpd.conf") == cwd)
        #expect(ConfigLoader.absoluteDirectory(of: "./httpd.conf") == cwd)
        #expect(ConfigLoader.absoluteDirectory(of: "conf/httpd.conf") == (cwd == "/" ? "/conf" : cwd + "/conf"))
    }
}
