// ASCII letter case on bytes for names (host names, field names): only `A`-`Z` fold, so no Unicode case
// mapping ever makes two names equal (the Kelvin sign U+212A is not `k`).

/// True when `a` and `b` have the same bytes once ASCII `A`-`Z` are lowered.
func equalIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
    let x = a.utf8
    let y = b.utf8
    guard x.count == y.count else { return false }
    return x.elementsEqual(y) { lowerASCII($0) == lowerASCII($1) }
}

/// `s` with ASCII `A`-`Z` lowered, byte by byte; `s` itself (no copy) when it has none.
func lowercasedASCII(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return s }
    return String(decoding: s.utf8.map(lowerASCII), as: UTF8.self)
}

/// The byte with ASCII `A`-`Z` lowered.
@inline(__always) func lowerASCII(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
