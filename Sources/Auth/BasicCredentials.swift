// The Authorization field of HTTP Basic authentication (RFC 7617) parsed from its bytes: the user and
// password, another scheme, or why it is malformed. Strict, bounded, and total: no input makes it crash.

/// What an `Authorization` field value holds.
public enum BasicCredentials: Sendable, Equatable {
    /// `Basic` with well-formed credentials: the user (everything before the first `:`, not empty, no control
    /// bytes) and the password (everything after it, any bytes, possibly empty), as decoded bytes.
    case credentials(user: [UInt8], password: [UInt8])
    /// Another scheme (`Bearer …`, `Digest …`): answer 401 with the Basic challenge.
    case otherScheme
    /// Not a valid Basic field: answer 400. `reason` is for the log.
    case malformed(reason: String)

    /// Longest base64 text accepted after `Basic ` (3072 bytes of user and password).
    public static let maxEncodedLength = 4096

    /// Parses a field value. Surrounding spaces and tabs (the field's OWS) are ignored. Then: the scheme token,
    /// compared ASCII case-insensitively with `Basic`; one or more spaces (not tabs: RFC 9110 §11.4 `1*SP`); the
    /// token68 as canonical base64 (RFC 4648 alphabet, `=` padding present and exact, zero pad bits, nothing
    /// else inside, at most `maxEncodedLength` bytes); decoded, it must hold a `:`.
    public init(fieldValue: some Collection<UInt8>) {
        var value = ArraySlice(fieldValue)
        while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        if value.isEmpty {
            self = .malformed(reason: "empty Authorization field")
            return
        }
        let schemeEnd = value.firstIndex(of: 0x20) ?? value.endIndex
        let scheme = value[..<schemeEnd]
        guard scheme.allSatisfy(Self.isTokenByte) else {
            self = .malformed(reason: "Authorization scheme is not a token")
            return
        }
        guard scheme.count == 5, zip(scheme, "basic".utf8).allSatisfy({ $0 | 0x20 == $1 }) else {
            self = .otherScheme
            return
        }
        var token = value[schemeEnd...]
        while token.first == 0x20 { token.removeFirst() }
        if token.isEmpty {
            self = .malformed(reason: "no credentials after Basic")
            return
        }
        if token.count > Self.maxEncodedLength {
            self = .malformed(reason: "Basic credentials longer than \(Self.maxEncodedLength) bytes")
            return
        }
        guard let decoded = Base64.decodeStrict(token) else {
            self = .malformed(reason: "Basic credentials are not canonical base64")
            return
        }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else {
            self = .malformed(reason: "no ':' between user and password")
            return
        }
        let user = Array(decoded[..<colon])
        if user.isEmpty {
            self = .malformed(reason: "empty user name")
            return
        }
        if user.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            self = .malformed(reason: "control bytes in the user name")
            return
        }
        self = .credentials(user: user, password: Array(decoded[(colon + 1)...]))
    }

    /// tchar (RFC 9110 §5.6.2): `!#$%&'*+-.^_`|~`, digits and letters.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
