// Text helpers shared by every layer: ISO-8859-1 bytes, OWS trimming, list-field joining, C strings.

#if canImport(Glibc)
    import Glibc
#endif

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

/// Writes text into a buffer the caller sized (a response head): one copy per piece, no growth checks.
public struct ByteWriter {
    @usableFromInline let buffer: UnsafeMutableBufferPointer<UInt8>
    @usableFromInline var _count = 0
    public var count: Int { _count }

    public init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    /// Appends the UTF-8 bytes of `text`; the buffer must have room (checked: a short buffer traps).
    @inlinable public mutating func put(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { put(bytes: $0) }
        if done == nil {
            var copy = text
            copy.withUTF8 { put(bytes: $0) }
        }
    }

    @inlinable public mutating func put(bytes: UnsafeBufferPointer<UInt8>) {
        precondition(_count + bytes.count <= buffer.count, "ByteWriter buffer too small")
        if let base = bytes.baseAddress {
            UnsafeMutableRawPointer(buffer.baseAddress! + _count).copyMemory(from: base, byteCount: bytes.count)
        }
        _count += bytes.count
    }

    /// Appends `n` (≥ 0) in decimal.
    @inlinable public mutating func putDecimal(_ n: Int) {
        var digits = 1
        var rest = n / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        precondition(n >= 0 && _count + digits <= buffer.count, "ByteWriter buffer too small")
        var v = n
        for k in stride(from: _count + digits - 1, through: _count, by: -1) {
            buffer[k] = UInt8(truncatingIfNeeded: 48 + v % 10)
            v /= 10
        }
        _count += digits
    }
}

/// Byte equality of two strings' UTF-8 (never Unicode equivalence): lengths first, then one memcmp.
public func sameBytes(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    // Native strings lend their storage without a copy; small ones are copied to the stack.
    if let equal = a.utf8.withContiguousStorageIfAvailable({ x in
        b.utf8.withContiguousStorageIfAvailable { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
    }), let equal {
        return equal
    }
    var a = a
    var b = b
    return a.withUTF8 { x in b.withUTF8 { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
}
