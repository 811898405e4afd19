// The WWW-Authenticate value a 401 carries: `Basic realm="…", charset="UTF-8"` (RFC 7617 §2, §2.1), the
// realm written as a quoted-string (RFC 9110 §5.6.4) so that no realm can break out of it.

/// The Basic challenge.
public enum Challenge {
    /// `Basic realm="<realm>", charset="UTF-8"`. In the realm, `"` and `\` are escaped with `\`; control bytes
    /// (below 0x20, and 0x7F; tab included), which a quoted-string cannot carry safely, become `?`; other bytes,
    /// UTF-8 included, are kept.
    public static func basic(realm: String) -> String {
        var bytes = Array("Basic realm=\"".utf8)
        for byte in realm.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0..<0x20, 0x7f: bytes.append(UInt8(ascii: "?"))
            default: bytes.append(byte)
            }
        }
        bytes += Array("\", charset=\"UTF-8\"".utf8)
        return String(decoding: bytes, as: UTF8.self)
    }
}
