// The hashes under Basic authentication against their standard vectors: MD5 (RFC 1321), SHA-1 (RFC 3174),
// SHA-256 (FIPS 180-2), HMAC-SHA-256 (RFC 4231); md5crypt/$apr1$ against OpenSSL; base64; libcrypt.

import Testing

@testable import Auth

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct AuthHashTests {
    /// RFC 1321 §A.5.
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func md5(_ message: String, _ digest: String) {
        #expect(hex(MD5.hash(bytes(message))) == digest)
    }

    /// RFC 3174 §7.3 (tests 1, 2, 4; test 3 is the million below) and the empty message.
    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        (String(repeating: "01234567", count: 80), "dea356a2cddd90c7a7ecedc5ebb563934f460452"),
    ])
    func sha1(_ message: String, _ digest: String) {
        #expect(hex(SHA1.hash(bytes(message))) == digest)
    }

    /// FIPS 180-2 appendix B and the empty message.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256(_ message: String, _ digest: String) {
        #expect(hex(SHA256.hash(bytes(message))) == digest)
    }

    /// A million "a" (RFC 3174 test 3, FIPS 180-2 B.3), fed in uneven pieces so that every path of the
    /// block buffering runs.
    @Test func millionAs() {
        var sha1 = SHA1()
        var sha256 = SHA256()
        var fed = 0
        var piece = 1
        while fed < 1_000_000 {
            let n = min(piece, 1_000_000 - fed)
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: n)
            sha1.update(chunk)
            sha256.update(chunk)
            fed += n
            piece = piece * 7 % 997 + 1
        }
        #expect(hex(sha1.finish()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(hex(sha256.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Messages around the padding boundaries (55, 56, 63, 64, 65 bytes): whole and byte by byte agree.
    @Test func paddingBoundaries() {
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 31) }
            var md5 = MD5()
            var sha256 = SHA256()
            for byte in message {
                md5.update([byte])
                sha256.update([byte])
            }
            #expect(md5.finish() == MD5.hash(message))
            #expect(sha256.finish() == SHA256.hash(message))
        }
        #expect(hex(MD5.hash([UInt8](repeating: 0x61, count: 56))) == "3b0c8ac703f828b04c6c197006d17218")
    }

    /// RFC 4231 §4.2–4.8 (test 5 truncated to 128 bits, as the RFC gives it).
    @Test(arguments: [
        (
            [UInt8](repeating: 0x0b, count: 20), bytes("Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            bytes("Jefe"), bytes("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ),
        (
            [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        ),
        (Array(1...25), [UInt8](repeating: 0xcd, count: 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ([UInt8](repeating: 0x0c, count: 20), bytes("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"),
        (
            [UInt8](repeating: 0xaa, count: 131), bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131),
            bytes(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
            ),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        ),
    ])
    func hmacSHA256(_ key: [UInt8], _ data: [UInt8], _ mac: String) {
        let computed = hex(HMACSHA256(key: key).authenticate(data))
        #expect(computed.prefix(mac.count) == mac)
    }

    /// One HMAC object serves many messages: its precomputed state is not consumed.
    @Test func hmacIsReusable() {
        let hmac = HMACSHA256(key: bytes("Jefe"))
        let first = hmac.authenticate(bytes("what do ya want for nothing?"))
        _ = hmac.authenticate(bytes("something else"))
        #expect(hmac.authenticate(bytes("what do ya want for nothing?")) == first)
    }

    /// `$apr1$` and `$1$` against htpasswd and `openssl passwd -apr1 / -1` (empty password, a 70-byte one, short
    /// and empty salts).
    @Test(arguments: [
        ("apr1-pass", "$apr1$", "gJjzns2d", "$apr1$gJjzns2d$uVTfMbw2jSS7l7C.eSaCD1"),
        ("", "$apr1$", "abc", "$apr1$abc$BfqKdn9xFDWJPa3kcp/PH0"),
        (String(repeating: "x", count: 70), "$apr1$", "12345678", "$apr1$12345678$8ejSyEaL0urrP6dHhzhHE0"),
        ("password", "$apr1$", "/.", "$apr1$/.$sNyCcQirrkn/wMEPAcYlY1"),
        ("password", "$1$", "saltsalt", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"),
        ("a", "$1$", "", "$1$$Ij31LCAysPM23KuPlm1wA/"),
    ])
    func md5Crypt(_ password: String, _ magic: String, _ salt: String, _ hash: String) {
        #expect(MD5Crypt.hash(password: bytes(password), magic: bytes(magic), salt: bytes(salt)) == bytes(hash))
    }

    /// The salt stops at `$` and at 8 bytes, as when it is taken from a stored hash.
    @Test func md5CryptSaltLimits() {
        let expected = bytes("$apr1$12345678$8ejSyEaL0urrP6dHhzhHE0")
        let password = [UInt8](repeating: UInt8(ascii: "x"), count: 70)
        #expect(MD5Crypt.hash(password: password, magic: bytes("$apr1$"), salt: bytes("123456789abc")) == expected)
        #expect(MD5Crypt.hash(password: password, magic: bytes("$apr1$"), salt: bytes("12345678$8ejS")) == expected)
    }

    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func base64RFC4648(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(bytes(plain)) == bytes(encoded))
        #expect(Base64.decodeStrict(bytes(encoded)) == bytes(plain))
    }

    @Test func base64AllBytes() {
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decodeStrict(Base64.encode(all)) == all)
        #expect(Base64.encode([0xfb, 0xff, 0xbf]) == bytes("+/+/"))
    }

    /// Not canonical: no padding, wrong padding, padding inside, non-zero pad bits, whitespace, other alphabets.
    @Test(arguments: [
        "Zg", "Zg=", "Zg===", "Zm8", "Z===", "====", "Zg==Zg==", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", " Zm9v", "Zm9v\t",
        "Zm-_", "Zm9v=", "Zm9v====", "=Zm9", "Zm=v",
    ])
    func base64Refused(_ text: String) {
        #expect(Base64.decodeStrict(bytes(text)) == nil)
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEqual(bytes("abc"), bytes("abc")))
        #expect(constantTimeEqual([], []))
        #expect(!constantTimeEqual(bytes("abc"), bytes("abd")))
        #expect(!constantTimeEqual(bytes("abc"), bytes("ab")))
        #expect(!constantTimeEqual(bytes("ab"), bytes("abc")))
        #expect(!constantTimeEqual(bytes("ab\0"), bytes("ab")))
        #expect(!constantTimeEqual([], bytes("a")))
    }

    /// libcrypt, through dlopen: the schemes Debian's libxcrypt verifies, and crypt_rn's refusals.
    @Test func libCrypt() {
        #expect(HashScheme.libCryptLoadError == nil)
        #expect(
            HashScheme.supportedByLibCrypt == [.bcrypt, .sha256Crypt, .sha512Crypt, .yescrypt, .des])
        #expect(LibCrypt.hash(password: bytes("pass"), setting: bytes("ab")) == bytes("abccBcrPOxnLU"))
        #expect(
            LibCrypt.hash(password: bytes("pass"), setting: bytes("$5$abc$"))
                == bytes("$5$abc$vfrH.CL30IAqQqJ.Ebg5ibCCqfC2cddUCFrNSsXZRQ2"))
        #expect(LibCrypt.hash(password: bytes("pass"), setting: bytes("$apr1$abc$xyz")) == nil)
        #expect(LibCrypt.hash(password: bytes("pass"), setting: bytes("*")) == nil)
        #expect(LibCrypt.hash(password: bytes("pass"), setting: []) == nil)
        #expect(LibCrypt.hash(password: bytes("pa\0ss"), setting: bytes("ab")) == nil)
        #expect(LibCrypt.hash(password: [UInt8](repeating: 0x61, count: 511), setting: bytes("ab")) != nil)
        #expect(LibCrypt.hash(password: [UInt8](repeating: 0x61, count: 512), setting: bytes("ab")) == nil)
        #expect(LibCrypt.hash(password: bytes("pass"), setting: bytes("a\0")) == nil)
    }
}
