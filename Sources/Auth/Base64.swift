// Base64 with the RFC 4648 §4 alphabet: the strict decoder for Basic credentials and the encoder for `{SHA}`.

/// RFC 4648 base64, padded.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The 6-bit value of an alphabet byte, or nil (padding, whitespace and everything else).
    static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    /// `bytes` encoded, with `=` padding to a multiple of 4.
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var group = UInt32(bytes[i]) << 16
            if n > 1 { group |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { group |= UInt32(bytes[i + 2]) }
            for j in 0..<4 {
                out.append(j <= n ? alphabet[Int((group >> UInt32(18 - 6 * j)) & 63)] : UInt8(ascii: "="))
            }
            i += 3
        }
        return out
    }

    /// The decoded bytes of canonical base64, or nil: the length must be a multiple of 4, `=` may only end the
    /// text (one or two of them, as the length requires), the bits the padding leaves over must be zero
    /// (RFC 4648 §3.5), and nothing outside the alphabet (no whitespace, no line breaks) is allowed.
    static func decodeStrict(_ text: some Collection<UInt8>) -> [UInt8]? {
        let text = Array(text)
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var i = 0
        while i < text.count {
            let last = i + 4 == text.count
            var padding = 0
            if last && text[i + 3] == UInt8(ascii: "=") { padding = text[i + 2] == UInt8(ascii: "=") ? 2 : 1 }
            var group: UInt32 = 0
            for j in 0..<4 {
                if j >= 4 - padding {
                    group <<= 6
                    continue
                }
                guard let v = value(text[i + j]) else { return nil }
                group = group << 6 | UInt32(v)
            }
            // Bits under the padding must be zero: "QQ==" is "A", "QR==" is not canonical.
            if padding == 2 && group & 0xffff != 0 || padding == 1 && group & 0xff != 0 { return nil }
            out.append(UInt8(truncatingIfNeeded: group >> 16))
            if padding < 2 { out.append(UInt8(truncatingIfNeeded: group >> 8)) }
            if padding < 1 { out.append(UInt8(truncatingIfNeeded: group)) }
            i += 4
        }
        return out
    }
}
