// Text helpers shared by every layer: ISO-8859-1 bytes, OWS trimming, list-field joining, C strings.

extension String {
    /// The bytes of a string decoded as ISO-8859-1 (as the parser decodes targets and values).
    public var latin1Bytes: [UInt8] {
        if utf8.allSatisfy({ $0 < 0x80 }) { return Array(utf8) }
        return unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }
}

extension StringProtocol {
    /// The string without leading and trailing spaces and tabs (OWS).
    public func trimmingWhitespace() -> Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}

/// The lines of a list field joined into one value with ", " (RFC 9110 §5.3), or nil when there is none.
public func joinFieldLines(_ lines: some Sequence<String>) -> String? {
    var list: String?
    for line in lines {
        list = list.map { $0 + ", " + line } ?? line
    }
    return list
}

extension String {
    /// The text before the first NUL of a C character buffer.
    public init(nulTerminated buffer: [CChar]) {
        let bytes = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
