// PasswordFile: htpasswd lines to entries and findings (line numbers, severities, exact messages), the hash
// schemes recognized by shape, and every scheme of the fixture file (made by the real htpasswd) verified.

import Support
import Testing

@testable import Auth

/// Tests/HTTPDaemonTests/Fixtures/auth/ (README.md there says how its files were made).
let authFixtures: String = {
    var path = #filePath
    while let last = path.last, last != "/" { path.removeLast() }
    return path + "Fixtures/auth/"
}()

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func parsed(_ text: String, libCrypt: Set<HashScheme>? = nil) -> PasswordFile {
    PasswordFile(parsing: bytes(text), libCryptSchemes: libCrypt)
}

/// The findings as `severity line: message` lines, to compare whole.
private func findings(_ file: PasswordFile) -> [String] {
    file.findings.map { ($0.severity == .error ? "error " : "warning ") + $0.description }
}

private let bcrypt = "$2y$05$hAtrWXTVX6n6h.mq5e0FCeGtN3eVoT87qbG0280tsBPu1FpNzTJSC"
private let apr1 = "$apr1$gJjzns2d$uVTfMbw2jSS7l7C.eSaCD1"

@Suite struct AuthPasswordFileTests {
    /// Every user of the fixture with their right password, a wrong one, and the findings of the file.
    @Test func fixtureFile() throws {
        let file = PasswordFile(parsing: try #require(readFixture("users.htpasswd")))
        #expect(
            findings(file) == [
                "warning line 2: user 'apr1-user': Apache MD5 ($apr1$) hashes are weak; rehash the password with htpasswd -B",
                "warning line 3: user 'sha1-user': unsalted SHA-1 ({SHA}) hashes are weak; rehash the password with htpasswd -B",
                "warning line 6: user 'des-user': DES crypt hashes are weak (only the first 8 bytes of a password count); "
                    + "rehash the password with htpasswd -B",
                "warning line 10: user 'md5crypt-user': MD5-crypt ($1$) hashes are weak; rehash the password with htpasswd -B",
                "error line 11: user 'plain-user': plaintext passwords are refused; hash it with htpasswd -B",
            ])
        #expect(file.entries.count == 11)
        let users: [(String, String, HashScheme)] = [
            ("bcrypt-user", "bcrypt-pass", .bcrypt), ("apr1-user", "apr1-pass", .apr1), ("sha1-user", "sha1-pass", .sha1),
            ("sha256-user", "sha256-pass", .sha256Crypt), ("sha512-user", "sha512-pass", .sha512Crypt),
            ("des-user", "despass", .des), ("utf8-user", "pässwörd", .bcrypt), ("yescrypt-user", "yescrypt-pass", .yescrypt),
            ("bcrypt2b-user", "bcrypt2b-pass", .bcrypt), ("md5crypt-user", "md5crypt-pass", .md5Crypt),
        ]
        for (user, password, scheme) in users {
            guard case .hash(let hash, _) = file.entry(for: bytes(user)) else {
                Issue.record("\(user) has no hash")
                continue
            }
            #expect(hash.scheme == scheme, "\(user)")
            #expect(hash.check(bytes(password)) == .match, "\(user)")
            #expect(hash.check(bytes(password + "x")) == .mismatch, "\(user)")
            #expect(hash.check(bytes(String(password.dropLast()))) == .mismatch, "\(user)")
            #expect(hash.check([]) == .mismatch, "\(user)")
        }
        #expect(
            file.entry(for: bytes("plain-user"))
                == .refused(
                    AuthFinding(.error, line: 11, "user 'plain-user': plaintext passwords are refused; hash it with htpasswd -B"))
        )
        #expect(file.entry(for: bytes("nobody")) == nil)
        #expect(file.hasErrors)
        // The password is compared as UTF-8 bytes: the same letters in Latin-1 are another password.
        guard case .hash(let utf8, _) = file.entry(for: bytes("utf8-user")) else { return }
        #expect(utf8.check([0x70, 0xe4, 0x73, 0x73, 0x77, 0xf6, 0x72, 0x64]) == .mismatch)
    }

    /// Comments, blank lines, CRLF, surrounding blanks, and a third field are tolerated.
    @Test func lineSyntax() {
        let file = parsed(
            "# users\r\n\r\n   \n  alice:\(apr1)  \r\n\tbob:\(bcrypt):comment:more\n#carol:\(apr1)\n  # indented comment\ncarol:\(bcrypt)"
        )
        #expect(file.entries.keys.sorted { $0.lexicographicallyPrecedes($1) } == [bytes("alice"), bytes("bob"), bytes("carol")])
        #expect(file.entry(for: bytes("alice")) == .hash(PasswordHash(scheme: .apr1, text: bytes(apr1)), line: 4))
        #expect(file.entry(for: bytes("bob")) == .hash(PasswordHash(scheme: .bcrypt, text: bytes(bcrypt)), line: 5))
        #expect(file.entry(for: bytes("carol")) == .hash(PasswordHash(scheme: .bcrypt, text: bytes(bcrypt)), line: 8))
        #expect(
            findings(file) == [
                "warning line 4: user 'alice': Apache MD5 ($apr1$) hashes are weak; rehash the password with htpasswd -B"
            ])
        #expect(!file.hasErrors)
    }

    @Test func emptyFile() {
        for text in ["", "\n", "# nothing\n", "\r\n\r\n"] {
            let file = parsed(text)
            #expect(file.entries.isEmpty && file.findings.isEmpty)
        }
    }

    /// A duplicate user: the first line wins, the later one is reported and ignored (its hash is never tried).
    @Test func duplicateUser() {
        let file = parsed("alice:\(bcrypt)\nbob:\(bcrypt)\nalice:\(apr1)\nalice:secret\n")
        #expect(file.entry(for: bytes("alice")) == .hash(PasswordHash(scheme: .bcrypt, text: bytes(bcrypt)), line: 1))
        #expect(
            findings(file) == [
                "warning line 3: user 'alice': already defined on line 1; this line is ignored",
                "warning line 4: user 'alice': already defined on line 1; this line is ignored",
            ])
        // User names are bytes: case matters, as in Apache.
        let cased = parsed("alice:\(bcrypt)\nAlice:\(bcrypt)\n")
        #expect(cased.entries.count == 2 && cased.findings.isEmpty)
    }

    /// Lines without a user, refused lines, and what each says.
    @Test func malformedAndRefusedLines() {
        let file = parsed(
            [
                "no colon here", ":\(bcrypt)", "tab\tuser:\(bcrypt)", "del\u{7f}:\(bcrypt)", "plain:secret", "empty:",
                "argon:$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "ssha:{SSHA}abcdefgh", "short:$2y$05$abc",
                "cost:$2y$99$hAtrWXTVX6n6h.mq5e0FCeGtN3eVoT87qbG0280tsBPu1FpNzTJSC",
                "apr:$apr1$toolongsalt$uVTfMbw2jSS7l7C.eSaCD1",
                "sha:{SHA}abc=", "sha5:$5$salt$short", "yes:$y$j9T$salt", "des:abcdefghijk!m", "ok:\(bcrypt)",
            ].joined(separator: "\n"))
        #expect(
            findings(file) == [
                "error line 1: no ':' between a user name and a password hash",
                "error line 2: empty user name",
                "error line 3: user 'tab\\x09user': control bytes in the user name",
                "error line 4: user 'del\\x7f': control bytes in the user name",
                "error line 5: user 'plain': plaintext passwords are refused; hash it with htpasswd -B",
                "error line 6: user 'empty': plaintext passwords are refused; hash it with htpasswd -B",
                "error line 7: user 'argon': unknown password hash scheme; hash the password with htpasswd -B",
                "error line 8: user 'ssha': unknown password hash scheme; hash the password with htpasswd -B",
                "error line 9: user 'short': malformed bcrypt hash",
                "error line 10: user 'cost': malformed bcrypt hash",
                "error line 11: user 'apr': malformed Apache MD5 ($apr1$) hash",
                "error line 12: user 'sha': malformed unsalted SHA-1 ({SHA}) hash",
                "error line 13: user 'sha5': malformed SHA-256-crypt ($5$) hash",
                "error line 14: user 'yes': malformed yescrypt ($y$) hash",
                "error line 15: user 'des': plaintext passwords are refused; hash it with htpasswd -B",
            ])
        #expect(file.entries.count == 12)
        #expect(file.entry(for: bytes("ok")) == .hash(PasswordHash(scheme: .bcrypt, text: bytes(bcrypt)), line: 16))
        guard case .refused(let finding) = file.entry(for: bytes("plain")) else {
            Issue.record("plain is not refused")
            return
        }
        #expect(finding.line == 5 && finding.severity == .error)
    }

    /// A file whose every line is refused still loads; its users cannot log in.
    @Test func onlyRefusedLines() {
        let file = parsed("a:one\nb:two\n")
        #expect(file.entries.count == 2)
        #expect(file.findings.count == 2 && file.hasErrors)
    }

    /// Without libcrypt (or without one of its schemes), those lines are refused with a message saying why;
    /// the Swift schemes still load.
    @Test func schemesLibCryptCannotVerify() {
        let file = parsed("b:\(bcrypt)\na:\(apr1)\nd:n3JuWxMsH3nh.\n", libCrypt: [])
        #expect(
            findings(file) == [
                "error line 1: user 'b': this system's libcrypt cannot verify bcrypt hashes; rehash the password with htpasswd -B",
                "warning line 2: user 'a': Apache MD5 ($apr1$) hashes are weak; rehash the password with htpasswd -B",
                "error line 3: user 'd': this system's libcrypt cannot verify DES crypt hashes; rehash the password with htpasswd -B",
            ])
        #expect(file.timingDummy == PasswordHash(scheme: .apr1, text: bytes(apr1)))
        let noDES = parsed("d:n3JuWxMsH3nh.\n", libCrypt: [.bcrypt])
        #expect(noDES.hasErrors && noDES.timingDummy.scheme == .bcrypt)
    }

    /// The dummy an unknown user's password is hashed with: the first verifiable entry's hash, else bcrypt at
    /// cost 5 (or $apr1$ without libcrypt's bcrypt).
    @Test func timingDummy() {
        let cost4 = "$2y$04$DUh/hPAHGpHFjskKAr5oRe1.XlO/9tAJt24eZF0gEWRgjt3AM70y."
        #expect(parsed("x:plain\nb:\(cost4)\na:\(apr1)\n").timingDummy == PasswordHash(scheme: .bcrypt, text: bytes(cost4)))
        #expect(parsed("a:\(apr1)\nb:\(cost4)\n").timingDummy == PasswordHash(scheme: .apr1, text: bytes(apr1)))
        let none = parsed("x:plain\n").timingDummy
        #expect(none.text == bytes("$2y$05$abcdefghijklmnopqrstuu0000000000000000000000000000000"))
        #expect(none.check(bytes("anything")) == .mismatch)
        #expect(LibCrypt.hash(password: bytes("x"), setting: none.text) != nil)
        #expect(parsed("b:\(cost4)\n", libCrypt: []).timingDummy.scheme == .apr1)
    }

    /// Stored fields by shape.
    @Test(arguments: [
        (bcrypt, HashScheme.bcrypt), ("$2b$05$dSL1W/kmHM8X8jlz0X5bIeBlhvYBIAk2/wrIuaJa.vue2Rwotx16e", .bcrypt),
        ("$2a$10$dSL1W/kmHM8X8jlz0X5bIeBlhvYBIAk2/wrIuaJa.vue2Rwotx16e", .bcrypt), (apr1, .apr1),
        ("$apr1$$uVTfMbw2jSS7l7C.eSaCD1", .apr1), ("$1$T6rR1hGX$Ba4xZtHKnk6KjgjdcIXGz/", .md5Crypt),
        ("{SHA}lwP+QnDZZeQ+bmQbA4P37mDtFVo=", .sha1), ("n3JuWxMsH3nh.", .des),
        ("$5$8Syx/gBbYPfWk4AO$y1kHWGFD7Yep9YCve3211yQdZxNRjqd7heY/f8QbnG9", .sha256Crypt),
        ("$5$rounds=1000$abc$7YaBO1lEpA2s3IYqOC3sLyawnVa/3gh95.TtpUwwdF8", .sha256Crypt),
        ("$5$$uiDW1S6rgZftwYtd26Y7Pc6OPNp52GZaGI8fbl6NQV9", .sha256Crypt),
        (
            "$6$Dqgkp0rKNVjI17fF$DBBZB6rPP9joc6XbcQxCkr7PT7Q76ROEintvNtdHFVwpXtXt1apAU7K8qoFxAc/oebttD9wKpMe5JUDuG7cIl.",
            .sha512Crypt
        ),
        ("$y$j9T$nThvKdhgXUfYd0Tat1Kxi0$nNd1gJkU8necuXoeiTGDjnR9ZevF8.YzrEYxThJfiuB", .yescrypt),
    ])
    func recognized(_ field: String, _ scheme: HashScheme) {
        #expect(PasswordHash.classify(bytes(field)) == .hash(PasswordHash(scheme: scheme, text: bytes(field))))
    }

    @Test(arguments: [
        ("", PasswordHash.Classification.plaintext), ("secret", .plaintext), ("n3JuWxMsH3nh", .plaintext),
        ("n3JuWxMsH3nh.x", .plaintext), ("$2x$05$dSL1W/kmHM8X8jlz0X5bIeBlhvYBIAk2/wrIuaJa.vue2Rwotx16e", .unknownScheme),
        ("$", .unknownScheme), ("{", .unknownScheme), ("{sha}lwP+QnDZZeQ+bmQbA4P37mDtFVo=", .unknownScheme),
        ("$2y$05$hAtrWXTVX6n6h.mq5e0FCeGtN3eVoT87qbG0280tsBPu1FpNzTJS", .malformed(.bcrypt)),
        ("$2y$5$hAtrWXTVX6n6h.mq5e0FCeGtN3eVoT87qbG0280tsBPu1FpNzTJSCC", .malformed(.bcrypt)),
        ("$2y$03$hAtrWXTVX6n6h.mq5e0FCeGtN3eVoT87qbG0280tsBPu1FpNzTJSC", .malformed(.bcrypt)),
        ("$2y$05$hAtrWXTVX6n6h.mq5e0FCeGtN3eVoT87qbG0280tsBPu1FpNzTJS!", .malformed(.bcrypt)),
        ("$5$rounds=$abc$7YaBO1lEpA2s3IYqOC3sLyawnVa/3gh95.TtpUwwdF8", .malformed(.sha256Crypt)),
        ("$5$12345678901234567$7YaBO1lEpA2s3IYqOC3sLyawnVa/3gh95.TtpUwwdF8", .malformed(.sha256Crypt)),
        ("$6$8Syx/gBbYPfWk4AO$y1kHWGFD7Yep9YCve3211yQdZxNRjqd7heY/f8QbnG9", .malformed(.sha512Crypt)),
        ("{SHA}lwP+QnDZZeQ+bmQbA4P37mDtFVo", .malformed(.sha1)), ("{SHA}lwP+QnDZZeQ+bmQbA4P37mDtFVo=x", .malformed(.sha1)),
        ("$apr1$gJjzns2d$uVTfMbw2jSS7l7C.eSaCD", .malformed(.apr1)), ("$apr1$gJjzns2d", .malformed(.apr1)),
        ("$1$T6rR1hGX$Ba4xZtHKnk6KjgjdcIXGz/$", .malformed(.md5Crypt)),
        ("$y$j9T$nThvKdhgXUfYd0Tat1Kxi0$nNd1gJkU8necuXoeiTGDjnR9ZevF8.YzrEYxThJfiu", .malformed(.yescrypt)),
    ])
    func notRecognized(_ field: String, _ classification: PasswordHash.Classification) {
        #expect(PasswordHash.classify(bytes(field)) == classification)
    }

    /// Odd bytes anywhere never crash the parser.
    @Test func arbitraryBytes() {
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<300 {
            var input: [UInt8] = []
            for _ in 0..<Int(seed % 200) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let pick = UInt8(truncatingIfNeeded: seed >> 33)
                input.append(pick % 5 == 0 ? [0x3a, 0x0a, 0x24, 0x0d, 0x23][Int(pick / 5) % 5] : pick)
            }
            let file = PasswordFile(parsing: input, libCryptSchemes: [])
            #expect(file.entries.count <= input.count)
        }
    }
}

/// The bytes of a fixture file.
func readFixture(_ name: String) -> [UInt8]? {
    readFile(authFixtures + name)
}
