// ASCII syntax on bytes, each rule written once: digits, hex digits, decimal numbers, percent-encoding.

/// True for the ASCII digits `0`...`9`.
@inline(__always) public func isASCIIDigit(_ c: UInt8) -> Bool {
    c >= 0x30 && c <= 0x39
}

/// The value of an ASCII hex digit (`0`-`9`, `A`-`F`, `a`-`f`), or nil for any other byte.
@inline(__always) public func hexDigitValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x41...0x46: c - 0x41 + 10
    case 0x61...0x66: c - 0x61 + 10
    default: nil
    }
}

/// The number that `bytes` spell as 1 to `maxDigits` ASCII digits (no sign, no space; `maxDigits` at
/// most 18, so that every value fits an Int), or nil for anything else.
public func parseDecimal(_ bytes: some Collection<UInt8>, maxDigits: Int) -> Int? {
    precondition(maxDigits <= 18, "more than 18 decimal digits may not fit an Int")
    guard !bytes.isEmpty, bytes.count <= maxDigits else { return nil }
    var value = 0
    for c in bytes {
        guard isASCIIDigit(c) else { return nil }
        value = value * 10 + Int(c - 0x30)
    }
    return value
}

/// `bytes` as text: each byte `keep` accepts as its ASCII character (`keep` must accept ASCII only),
/// every other byte as `%XX` in uppercase hex (RFC 3986 §2.1).
public func percentEncode(_ bytes: some Sequence<UInt8>, keeping keep: (UInt8) -> Bool) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out = ""
    for b in bytes {
        if keep(b) {
            out.unicodeScalars.append(Unicode.Scalar(b))
        } else {
            out.unicodeScalars.append("%")
            out.unicodeScalars.append(Unicode.Scalar(hex[Int(b >> 4)]))
            out.unicodeScalars.append(Unicode.Scalar(hex[Int(b & 15)]))
        }
    }
    return out
}

/// Calls `body` with each element of a comma-separated list (RFC 9110 §5.6.1), without surrounding
/// spaces and tabs; empty elements are skipped.
public func forEachListItem(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    var start = 0
    while start <= bytes.count {
        var end = start
        while end < bytes.count && bytes[end] != 0x2C { end += 1 }
        var a = start
        var b = end
        while a < b && (bytes[a] == 0x20 || bytes[a] == 0x09) { a += 1 }
        while b > a && (bytes[b - 1] == 0x20 || bytes[b - 1] == 0x09) { b -= 1 }
        if a < b { body(UnsafeBufferPointer(rebasing: bytes[a..<b])) }
        start = end + 1
    }
}

/// True when `bytes` spell `lowercaseASCII` in any letter case (ASCII letters only fold).
@inlinable public func asciiCaseInsensitiveEqual(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercaseASCII: StaticString) -> Bool {
    guard bytes.count == lowercaseASCII.utf8CodeUnitCount else { return false }
    let expected = lowercaseASCII.utf8Start
    for k in 0..<bytes.count {
        let c = bytes[k]
        if (c >= 0x41 && c <= 0x5A ? c | 0x20 : c) != expected[k] { return false }
    }
    return true
}
