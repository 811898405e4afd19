// md5crypt (Poul-Henning Kamp's FreeBSD `$1$`) and Apache's `$apr1$` variant, which differs only in its magic
// string: 1000 rounds of MD5 over password and salt (up to 8 bytes), written in crypt's base64 `./0-9A-Za-z`.

/// md5crypt with the `$1$` or `$apr1$` magic.
enum MD5Crypt {
    /// crypt's base64 alphabet (not RFC 4648's): `./0-9A-Za-z`.
    static let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Whether `byte` is in crypt's base64 alphabet.
    static func isCryptBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"):
            true
        default: false
        }
    }

    /// The full hash `magic salt $ 22 characters` of `password` with `magic` (`$1$` or `$apr1$`) and `salt`
    /// (its first 8 bytes, up to the first `$`, as Apache and glibc take it).
    static func hash(password: [UInt8], magic: [UInt8], salt: some Collection<UInt8>) -> [UInt8] {
        let salt = Array(salt.prefix { $0 != UInt8(ascii: "$") }.prefix(8))
        var alternate = MD5()
        alternate.update(password)
        alternate.update(salt)
        alternate.update(password)
        let alternateSum = alternate.finish()

        var context = MD5()
        context.update(password)
        context.update(magic)
        context.update(salt)
        var left = password.count
        while left > 0 {
            context.update(alternateSum[0..<min(16, left)])
            left -= 16
        }
        // The historical quirk: for each bit of the length, a zero byte or the password's first byte.
        var bits = password.count
        while bits != 0 {
            context.update(bits & 1 != 0 ? [0] : [password.first ?? 0])
            bits >>= 1
        }
        var sum = context.finish()

        for round in 0..<1000 {
            var step = MD5()
            step.update(round & 1 != 0 ? password : sum)
            if round % 3 != 0 { step.update(salt) }
            if round % 7 != 0 { step.update(password) }
            step.update(round & 1 != 0 ? sum : password)
            sum = step.finish()
        }

        var out = magic + salt + [UInt8(ascii: "$")]
        for (x, y, z) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
            appendCryptBase64(UInt32(sum[x]) << 16 | UInt32(sum[y]) << 8 | UInt32(sum[z]), count: 4, to: &out)
        }
        appendCryptBase64(UInt32(sum[11]), count: 2, to: &out)
        for i in sum.indices { sum[i] = 0 }
        return out
    }

    /// Appends the low `6 × count` bits of `value`, least significant first.
    private static func appendCryptBase64(_ value: UInt32, count: Int, to out: inout [UInt8]) {
        var value = value
        for _ in 0..<count {
            out.append(alphabet[Int(value & 63)])
            value >>= 6
        }
    }
}
