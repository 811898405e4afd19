// Recently verified credentials, so that the loop thread can let a returning client in with one HMAC instead
// of a bcrypt on a worker. Keyed by HMAC-SHA-256 under a random per-process key: the password is never kept.

import Synchronization

/// A bounded, expiring set of (file, user, password) triples a PasswordStore has accepted.
///
/// Key: HMAC-SHA-256(random 32-byte key, file path ‖ 0 ‖ user ‖ 0 ‖ password); the key comes from getrandom at
/// init and never leaves the cache, so neither the password nor an offline-guessable hash of it is stored.
/// A path or user holding a NUL byte is never cached (the key would be ambiguous); neither can log in anyway.
///
/// Numbers: at most `capacity` entries (256 by default; when full, expired entries are dropped and then the
/// oldest); an entry lasts `ttl` seconds (300 by default) from its verification, whatever its hits. Every entry
/// also carries the generation of the file contents it was verified against: a newer generation for a file
/// drops all that file's entries, so an edited password file takes effect as soon as its store has read it.
/// Without randomness (no getrandom and no /dev/urandom) the cache stays empty: every request verifies.
public final class CredentialCache: Sendable {
    /// Most entries kept.
    public let capacity: Int
    /// Seconds an entry stays valid after its verification.
    public let ttl: Double

    /// A MAC: 32 bytes as 4 words, cheap to hash and compare.
    private struct Key: Hashable {
        var words: (UInt64, UInt64, UInt64, UInt64)
        static func == (a: Key, b: Key) -> Bool { a.words == b.words }
        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
        }
    }

    private struct Entry {
        var file: String
        var generation: UInt64
        var verifiedAt: Double
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// The newest generation seen for each file.
        var generations: [String: UInt64] = [:]
    }

    private let mac: HMACSHA256?
    private let state = Mutex(State())

    /// A cache with a fresh random key.
    public convenience init(capacity: Int = 256, ttl: Double = 300) {
        self.init(capacity: capacity, ttl: ttl, key: randomBytes(32))
    }

    /// A cache under `key` (nil: a cache that never hits).
    init(capacity: Int, ttl: Double, key: [UInt8]?) {
        self.capacity = max(1, capacity)
        self.ttl = ttl
        mac = key.map { HMACSHA256(key: $0) }
    }

    /// Whether `user` with `password` was accepted for `file` at `generation` less than `ttl` seconds before
    /// `now`. Cheap (one HMAC-SHA-256 over a few blocks, one lock), for the loop thread. Pass the store's
    /// current `generation`: a newer one than the cache has seen drops the file's older entries.
    public func cachedOK(file: String, user: [UInt8], password: [UInt8], generation: UInt64, now: Double) -> Bool {
        guard let key = key(file: file, user: user, password: password) else { return false }
        return state.withLock { state in
            Self.noteGeneration(&state, file: file, generation: generation)
            guard let entry = state.entries[key] else { return false }
            if now >= entry.verifiedAt + ttl {
                state.entries[key] = nil
                return false
            }
            return entry.file == file && entry.generation == generation
        }
    }

    /// Records that `user` with `password` was accepted for `file` at `generation` (the Verification's, not the
    /// store's current one) at `now`. A generation older than one already seen for the file is not recorded.
    public func recordOK(file: String, user: [UInt8], password: [UInt8], generation: UInt64, now: Double) {
        guard let key = key(file: file, user: user, password: password) else { return }
        state.withLock { state in
            Self.noteGeneration(&state, file: file, generation: generation)
            if state.generations[file] != generation { return }
            if state.entries[key] == nil && state.entries.count >= capacity {
                state.entries = state.entries.filter { now < $0.value.verifiedAt + ttl }
                if state.entries.count >= capacity,
                    let oldest = state.entries.min(by: { $0.value.verifiedAt < $1.value.verifiedAt })
                {
                    state.entries[oldest.key] = nil
                }
            }
            state.entries[key] = Entry(file: file, generation: generation, verifiedAt: now)
        }
    }

    /// Entries held (expired ones included until they are dropped).
    public var count: Int { state.withLock { $0.entries.count } }

    /// Everything the cache holds, as bytes (keys, file paths and generations), for the test that no password is
    /// among it.
    func storedBytes() -> [[UInt8]] {
        state.withLock { state in
            state.entries.flatMap { key, entry in
                let words = [key.words.0, key.words.1, key.words.2, key.words.3, entry.generation]
                return [
                    words.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> UInt64(8 * $0)) } },
                    Array(entry.file.utf8),
                ]
            }
        }
    }

    /// A newer generation for `file` drops the file's entries.
    private static func noteGeneration(_ state: inout State, file: String, generation: UInt64) {
        let known = state.generations[file] ?? 0
        if generation <= known { return }
        state.generations[file] = generation
        if known != 0 { state.entries = state.entries.filter { $0.value.file != file } }
    }

    /// The MAC of the triple, or nil when there is no key or the path or user holds a NUL byte.
    private func key(file: String, user: [UInt8], password: [UInt8]) -> Key? {
        guard let mac, !user.contains(0), !file.utf8.contains(0) else { return nil }
        var message = Array(file.utf8)
        message.reserveCapacity(message.count + user.count + password.count + 2)
        message.append(0)
        message += user
        message.append(0)
        message += password
        let digest = mac.authenticate(message)
        for i in message.indices { message[i] = 0 }
        func word(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(digest[8 * i + $1]) << UInt64(8 * $1) } }
        return Key(words: (word(0), word(1), word(2), word(3)))
    }
}
