// CredentialCache: hits and misses, expiry, invalidation by a newer file generation, eviction of the oldest,
// and that nothing it holds contains the password.

import Dispatch
import Testing

@testable import Auth

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private let file = "/etc/httpd/users"
private let alice = bytes("alice")
private let password = bytes("correct horse battery staple")

@Suite struct AuthCredentialCacheTests {
    @Test func hitAndMiss() {
        let cache = CredentialCache()
        #expect(cache.capacity == 256 && cache.ttl == 300)
        #expect(!cache.cachedOK(file: file, user: alice, password: password, generation: 1, now: 0))
        cache.recordOK(file: file, user: alice, password: password, generation: 1, now: 0)
        #expect(cache.cachedOK(file: file, user: alice, password: password, generation: 1, now: 0))
        #expect(cache.cachedOK(file: file, user: alice, password: password, generation: 1, now: 10))
        #expect(!cache.cachedOK(file: file, user: alice, password: password + [0x21], generation: 1, now: 10))
        #expect(!cache.cachedOK(file: file, user: alice, password: Array(password.dropLast()), generation: 1, now: 10))
        #expect(!cache.cachedOK(file: file, user: bytes("Alice"), password: password, generation: 1, now: 10))
        #expect(!cache.cachedOK(file: file + "2", user: alice, password: password, generation: 1, now: 10))
        // The separators keep user and password apart: "alice" + "bc" is not "aliceb" + "c".
        cache.recordOK(file: file, user: bytes("ab"), password: bytes("c"), generation: 1, now: 0)
        #expect(!cache.cachedOK(file: file, user: bytes("a"), password: bytes("bc"), generation: 1, now: 0))
        #expect(cache.count == 2)
    }

    /// An entry lasts `ttl` seconds from its verification, hits or not.
    @Test func expiry() {
        let cache = CredentialCache(capacity: 8, ttl: 300)
        cache.recordOK(file: file, user: alice, password: password, generation: 1, now: 1000)
        #expect(cache.cachedOK(file: file, user: alice, password: password, generation: 1, now: 1299.9))
        #expect(!cache.cachedOK(file: file, user: alice, password: password, generation: 1, now: 1300))
        #expect(cache.count == 0)
        // A clock a little behind the verification's (two workers' readings racing to the lock) still hits.
        cache.recordOK(file: file, user: alice, password: password, generation: 1, now: 1000)
        #expect(cache.cachedOK(file: file, user: alice, password: password, generation: 1, now: 999.999))
    }

    /// A newer generation of a file drops that file's entries (not other files'); an older one is never recorded.
    @Test func invalidation() {
        let cache = CredentialCache()
        cache.recordOK(file: file, user: alice, password: password, generation: 5, now: 0)
        cache.recordOK(file: file, user: bytes("bob"), password: password, generation: 5, now: 0)
        cache.recordOK(file: "/other", user: alice, password: password, generation: 7, now: 0)
        #expect(cache.count == 3)
        #expect(!cache.cachedOK(file: file, user: alice, password: password, generation: 6, now: 1))
        #expect(cache.count == 1)
        #expect(!cache.cachedOK(file: file, user: alice, password: password, generation: 5, now: 1))
        #expect(cache.cachedOK(file: "/other", user: alice, password: password, generation: 7, now: 1))
        // A worker that verified against generation 5 reports after 6 was seen: not recorded.
        cache.recordOK(file: file, user: alice, password: password, generation: 5, now: 2)
        #expect(!cache.cachedOK(file: file, user: alice, password: password, generation: 5, now: 2))
        #expect(cache.count == 1)
        // Recording with a newer generation drops the older entries too.
        cache.recordOK(file: "/other", user: bytes("bob"), password: password, generation: 9, now: 3)
        #expect(cache.count == 1)
        #expect(!cache.cachedOK(file: "/other", user: alice, password: password, generation: 9, now: 3))
        #expect(cache.cachedOK(file: "/other", user: bytes("bob"), password: password, generation: 9, now: 3))
        // Generation 0 (never read) is never cached.
        cache.recordOK(file: "/new", user: alice, password: password, generation: 0, now: 3)
        #expect(!cache.cachedOK(file: "/new", user: alice, password: password, generation: 0, now: 3))
    }

    /// Full: expired entries go first, then the oldest.
    @Test func eviction() {
        let cache = CredentialCache(capacity: 3, ttl: 10)
        func record(_ user: String, _ now: Double) {
            cache.recordOK(file: file, user: bytes(user), password: password, generation: 1, now: now)
        }
        func hit(_ user: String, _ now: Double) -> Bool {
            cache.cachedOK(file: file, user: bytes(user), password: password, generation: 1, now: now)
        }
        record("a", 0)
        record("b", 5)
        record("c", 6)
        record("d", 11)  // a expired: dropped
        #expect(cache.count == 3)
        #expect(!hit("a", 11) && hit("b", 11) && hit("c", 11) && hit("d", 11))
        record("e", 12)  // none expired: b, the oldest, goes
        #expect(cache.count == 3)
        #expect(!hit("b", 12) && hit("c", 12) && hit("d", 12) && hit("e", 12))
        record("c", 13)  // already there: refreshed, nothing evicted
        #expect(cache.count == 3 && hit("d", 13) && hit("c", 15.5) && !hit("c", 23))
    }

    /// The cache holds MACs, file paths and generations: never the password, nor the user name.
    @Test func neverStoresThePassword() {
        let cache = CredentialCache()
        for i in 0..<50 {
            cache.recordOK(file: file, user: alice + [UInt8(0x41 + i)], password: password, generation: 1, now: 0)
        }
        let stored = cache.storedBytes()
        #expect(stored.count == 100)
        func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
            haystack.count >= needle.count
                && (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
        }
        for blob in stored {
            #expect(!contains(blob, Array(password.prefix(6))))
            #expect(!contains(blob, alice))
        }
        // The key is random: another cache keeps other MACs for the same credentials.
        let other = CredentialCache()
        other.recordOK(file: file, user: alice, password: password, generation: 1, now: 0)
        let again = CredentialCache()
        again.recordOK(file: file, user: alice, password: password, generation: 1, now: 0)
        #expect(other.storedBytes() != again.storedBytes())
    }

    /// A user or path holding a NUL, or no key at all: nothing is cached.
    @Test func neverCached() {
        let cache = CredentialCache()
        cache.recordOK(file: file, user: bytes("a\0b"), password: password, generation: 1, now: 0)
        cache.recordOK(file: "/x\0y", user: alice, password: password, generation: 1, now: 0)
        #expect(cache.count == 0)
        let keyless = CredentialCache(capacity: 4, ttl: 300, key: nil)
        keyless.recordOK(file: file, user: alice, password: password, generation: 1, now: 0)
        #expect(!keyless.cachedOK(file: file, user: alice, password: password, generation: 1, now: 0))
        #expect(keyless.count == 0)
    }

    @Test func concurrentUse() {
        let cache = CredentialCache(capacity: 64, ttl: 10_000)
        DispatchQueue.concurrentPerform(iterations: 400) { i in
            let user = bytes("user\(i % 100)")
            if !cache.cachedOK(file: file, user: user, password: password, generation: 1, now: Double(i)) {
                cache.recordOK(file: file, user: user, password: password, generation: 1, now: Double(i))
            }
        }
        #expect(cache.count == 64)
    }
}
