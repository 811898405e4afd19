// HMAC-SHA-256 (RFC 2104, RFC 4231), with the key's padded blocks absorbed once at init so that each
// message costs only its own blocks and one more: the credential cache runs it on the loop thread.

/// HMAC-SHA-256 under one key.
struct HMACSHA256: Sendable {
    /// SHA-256 after absorbing key ⊕ ipad, and after key ⊕ opad.
    private let inner: SHA256
    private let outer: SHA256

    /// A key longer than the 64-byte block is hashed first (RFC 2104 §2).
    init(key: [UInt8]) {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        for i in block.indices { block[i] = 0 }
        self.inner = inner
        self.outer = outer
    }

    /// The 32-byte MAC of `message`.
    func authenticate(_ message: [UInt8]) -> [UInt8] {
        var inner = self.inner
        inner.update(message)
        var outer = self.outer
        outer.update(inner.finish())
        return outer.finish()
    }
}
