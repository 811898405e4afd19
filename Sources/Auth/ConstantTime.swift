// The one comparison of a computed hash with a stored one: its time depends on the lengths only, never on
// where the first differing byte is.

/// Whether `a` and `b` hold the same bytes, looking at every byte of `a` whatever it finds.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference: UInt8 = a.count == b.count ? 0 : 1
    for i in a.indices { difference |= a[i] ^ (i < b.count ? b[i] : 0) }
    return difference == 0
}
