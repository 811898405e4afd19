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
public func joinFieldLines(_ lines: some Collection<String>) -> String? {
    var copied = 0
    return joinFieldLines(lines, copied: &copied)
}

/// `joinFieldLines`, adding to `copied` every byte written into the result: the join is linear, as the
/// result's storage is reserved once and each line is copied into it once (never the list so far).
func joinFieldLines(_ lines: some Collection<String>, copied: inout Int) -> String? {
    guard let first = lines.first else { return nil }
    if lines.count == 1 {
        copied += first.utf8.count
        return first
    }
    var list = first
    list.reserveCapacity(lines.reduce(2 * (lines.count - 1)) { $0 + $1.utf8.count })
    copied += first.utf8.count
    for line in lines.dropFirst() {
        list += ", "
        list += line
        copied += 2 + line.utf8.count
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
