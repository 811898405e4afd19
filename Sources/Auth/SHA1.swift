// SHA-1 (FIPS 180-4, RFC 3174), for htpasswd's unsalted `{SHA}` entries only: weak, loaded with a warning.

/// SHA-1's state and compression function.
struct SHA1Compressor: BlockCompressor {
    static let lengthIsBigEndian = true
    private var h: [UInt32] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0]

    init() {}

    mutating func compress(_ block: UnsafeRawBufferPointer) {
        var w = [UInt32](repeating: 0, count: 80)
        for i in 0..<16 { w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        for i in 16..<80 { w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotatedLeft(by: 1) }
        var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
        for i in 0..<80 {
            let f: UInt32
            let k: UInt32
            switch i {
            case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5a82_7999)
            case 20..<40: (f, k) = (b ^ c ^ d, 0x6ed9_eba1)
            case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc)
            default: (f, k) = (b ^ c ^ d, 0xca62_c1d6)
            }
            let t = a.rotatedLeft(by: 5) &+ f &+ e &+ k &+ w[i]
            (e, d, c, b, a) = (d, c, b.rotatedLeft(by: 30), a, t)
        }
        h[0] &+= a
        h[1] &+= b
        h[2] &+= c
        h[3] &+= d
        h[4] &+= e
    }

    var digest: [UInt8] { bigEndianBytes(h) }
}

/// SHA-1: `SHA1.hash(bytes)` or `update`/`finish`.
typealias SHA1 = BlockHasher<SHA1Compressor>

/// The words as bytes, most significant first (the SHA family's digest order).
func bigEndianBytes(_ words: [UInt32]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(4 * words.count)
    for word in words { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * i))) } }
    return out
}
