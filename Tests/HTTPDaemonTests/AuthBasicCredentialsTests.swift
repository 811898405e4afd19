// BasicCredentials: the Authorization field value parsed from bytes: credentials, another scheme, or each
// way a Basic field can be malformed; and no input makes it crash.

import Testing

@testable import Auth

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func parse(_ value: String) -> BasicCredentials { BasicCredentials(fieldValue: bytes(value)) }

/// `Basic ` and the base64 of `plain`.
private func basic(_ plain: [UInt8]) -> [UInt8] { bytes("Basic ") + Base64.encode(plain) }

@Suite struct AuthBasicCredentialsTests {
    @Test(arguments: [
        ("Basic dXNlcjpwYXNz", "user", "pass"), ("basic dXNlcjpwYXNz", "user", "pass"), ("BASIC dXNlcjpwYXNz", "user", "pass"),
        ("bAsIc dXNlcjpwYXNz", "user", "pass"), ("Basic    dXNlcjpwYXNz", "user", "pass"),
        ("  Basic dXNlcjpwYXNz \t", "user", "pass"), ("\tBasic dXNlcjpwYXNz", "user", "pass"),
        // RFC 7617 §2's example.
        ("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"),
        ("Basic dXNlcjo=", "user", ""), ("Basic dXNlcjpwYTpzcw==", "user", "pa:ss"), ("Basic dTo6", "u", ":"),
        ("Basic cMOkc3N3w7ZyZDpww6Rzcw==", "pässwörd", "päss"),
    ])
    func accepted(_ value: String, _ user: String, _ password: String) {
        #expect(parse(value) == .credentials(user: bytes(user), password: bytes(password)))
    }

    @Test(arguments: [
        "Bearer abc.def.ghi", "Digest username=\"u\", realm=\"r\"", "Basicx dXNlcjpwYXNz", "Basi dXNlcjpwYXNz", "Negotiate",
        "NTLM TlRMTVNTUAAB",
    ])
    func otherSchemes(_ value: String) {
        #expect(parse(value) == .otherScheme)
    }

    @Test(arguments: [
        ("", "empty Authorization field"), ("   ", "empty Authorization field"), ("\t", "empty Authorization field"),
        ("Basic", "no credentials after Basic"), ("Basic   ", "no credentials after Basic"),
        ("basic", "no credentials after Basic"),
        ("Basic\tdXNlcjpwYXNz", "Authorization scheme is not a token"),
        ("B@sic dXNlcjpwYXNz", "Authorization scheme is not a token"),
        ("Basic dXNlcjpwYXNz\tx", "Basic credentials are not canonical base64"),
        ("Basic dXNl cjpwYXNz", "Basic credentials are not canonical base64"),
        ("Basic dXNlcjo", "Basic credentials are not canonical base64"),
        ("Basic dXNlcjo==", "Basic credentials are not canonical base64"),
        ("Basic dXNlcjpwYXN=", "Basic credentials are not canonical base64"),
        ("Basic dXNlcjpwYXNz!", "Basic credentials are not canonical base64"),
        ("Basic dXNlcjpwYXNz====", "Basic credentials are not canonical base64"),
        ("Basic dXNlcjpw-_Nz", "Basic credentials are not canonical base64"),
        ("Basic dXNlcjpwYXNz dXNlcjpwYXNz", "Basic credentials are not canonical base64"),
        ("Basic realm=x", "Basic credentials are not canonical base64"),
        ("Basic dXNlcnBhc3M=", "no ':' between user and password"), ("Basic OnBhc3M=", "empty user name"),
        ("Basic Og==", "empty user name"),
    ])
    func malformed(_ value: String, _ reason: String) {
        #expect(parse(value) == .malformed(reason: reason))
    }

    /// Control bytes may not be in the user name (they would end up in logs); the password may hold any byte.
    @Test func controlBytes() {
        for byte: UInt8 in [0, 1, 0x09, 0x0a, 0x0d, 0x1f, 0x7f] {
            #expect(
                BasicCredentials(fieldValue: basic(bytes("us") + [byte] + bytes("er:pw")))
                    == .malformed(reason: "control bytes in the user name"))
            #expect(
                BasicCredentials(fieldValue: basic(bytes("user:p") + [byte]))
                    == .credentials(user: bytes("user"), password: bytes("p") + [byte]))
        }
        // Not UTF-8: still bytes, compared as such later.
        #expect(BasicCredentials(fieldValue: basic([0xff, 0x3a, 0xfe])) == .credentials(user: [0xff], password: [0xfe]))
        #expect(
            BasicCredentials(fieldValue: bytes("Basic dXNlcjpwYXNz") + [0xc3, 0xa9])
                == .malformed(reason: "Basic credentials are not canonical base64"))
    }

    /// At most 4096 bytes of base64: 3072 bytes of credentials pass, four bytes more do not.
    @Test func length() {
        let longest = bytes("u:") + [UInt8](repeating: 0x78, count: 3070)
        let encoded = basic(longest)
        #expect(encoded.count == 6 + 4096)
        #expect(BasicCredentials(fieldValue: encoded) == .credentials(user: bytes("u"), password: Array(longest.dropFirst(2))))
        #expect(
            BasicCredentials(fieldValue: basic(longest + [0x78]))
                == .malformed(reason: "Basic credentials longer than 4096 bytes"))
        let huge = bytes("Basic ") + [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
        #expect(BasicCredentials(fieldValue: huge) == .malformed(reason: "Basic credentials longer than 4096 bytes"))
    }

    /// Slices and other collections parse the same as arrays.
    @Test func anyCollection() {
        let field = bytes("xxBasic dXNlcjpwYXNzxx")
        #expect(
            BasicCredentials(fieldValue: field[2..<(field.count - 2)])
                == .credentials(user: bytes("user"), password: bytes("pass")))
    }

    /// Random and mutated inputs: always one of the three outcomes, never a crash.
    @Test func anyBytes() {
        var seed: UInt64 = 42
        func next() -> UInt8 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: seed >> 33)
        }
        let valid = bytes("Basic dXNlcjpwYXNz")
        for round in 0..<2000 {
            var input = round % 2 == 0 ? valid : (0..<Int(next() % 40)).map { _ in next() }
            if round % 2 == 0 { for _ in 0..<(1 + Int(next() % 3)) { input[Int(next()) % input.count] = next() } }
            switch BasicCredentials(fieldValue: input) {
            case .credentials(let user, _): #expect(!user.isEmpty)
            case .otherScheme, .malformed: break
            }
        }
    }
}
