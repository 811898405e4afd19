// The buffering and padding that MD5, SHA-1 and SHA-256 share: 64-byte blocks, then 0x80, zeros and the
// message length in bits as 8 bytes (little-endian for MD5, big-endian for the SHAs).

/// A hash function's compression step and state, fed whole 64-byte blocks by `BlockHasher`.
protocol BlockCompressor: Sendable {
    init()
    /// Whether the length that ends the padding is big-endian (SHA-1, SHA-256) or little-endian (MD5).
    static var lengthIsBigEndian: Bool { get }
    /// Absorbs one block of exactly 64 bytes.
    mutating func compress(_ block: UnsafeRawBufferPointer)
    /// The digest of the state, in the function's byte order.
    var digest: [UInt8] { get }
}

/// An incremental hash: `update` with any number of byte runs, then `finish` once.
struct BlockHasher<Compressor: BlockCompressor>: Sendable {
    private var compressor = Compressor()
    /// Bytes of an incomplete block, fewer than 64.
    private var pending: [UInt8] = []
    /// Bytes absorbed so far.
    private var length: UInt64 = 0

    init() { pending.reserveCapacity(64) }

    /// The digest of `bytes`, in one call.
    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = Self()
        hasher.update(bytes)
        return hasher.finish()
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        absorb(bytes)
    }

    /// Pads the message, absorbs the last block(s) and returns the digest.
    mutating func finish() -> [UInt8] {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        let used = (pending.count + 1) % 64
        tail += [UInt8](repeating: 0, count: used <= 56 ? 56 - used : 120 - used)
        for i in 0..<8 {
            let shift = Compressor.lengthIsBigEndian ? 56 - 8 * i : 8 * i
            tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
        tail.withUnsafeBytes { absorb($0) }
        return compressor.digest
    }

    /// Feeds `bytes` through the pending block without counting them in the length.
    private mutating func absorb(_ bytes: UnsafeRawBufferPointer) {
        var start = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, bytes.count)
            pending.append(contentsOf: bytes[0..<take])
            start = take
            if pending.count < 64 { return }
            pending.withUnsafeBytes { compressor.compress($0) }
            pending.removeAll(keepingCapacity: true)
        }
        while bytes.count - start >= 64 {
            compressor.compress(UnsafeRawBufferPointer(rebasing: bytes[start..<start + 64]))
            start += 64
        }
        pending.append(contentsOf: bytes[start...])
    }
}
