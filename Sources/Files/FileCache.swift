// The open-file cache (nginx's open_file_cache idea): a found file's descriptor and metadata are
// reused for `FileCacheValidity` seconds, so hot files skip the worker pool. A change on disk is
// seen at most that many seconds later. Loop thread only.

/// A decoded path as a cache key: hashed and compared as its UTF-8 bytes, so canonically equivalent
/// names (NFC and NFD, U+212A and `K`), which are different files on disk, never share an entry.
public struct PathKey: Hashable, Sendable {
    public let path: String

    public init(_ path: String) {
        var path = path
        path.makeContiguousUTF8()
        self.path = path
    }

    public static func == (a: PathKey, b: PathKey) -> Bool { a.path.utf8.elementsEqual(b.path.utf8) }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(path.utf8.count)
        // Contiguous since init, so this never falls back to the Character-based String hash.
        _ = path.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// Path → recently looked-up file (keys compare as bytes).
public struct FileCache {
    public private(set) var entries: [PathKey: (resource: FileResource, checked: Double)] = [:]
    let validity: Double
    let capacity: Int

    public init(validity: Double, capacity: Int) {
        self.validity = validity
        self.capacity = capacity
    }

    /// The cached resource for `path` if it was checked less than `validity` seconds ago.
    public func get(_ path: String, now: Double) -> FileResource? {
        guard validity > 0, let e = entries[PathKey(path)], now - e.checked < validity else { return nil }
        return e.resource
    }

    /// Remembers a fresh lookup.
    public mutating func put(_ path: String, _ resource: FileResource, now: Double) {
        guard validity > 0, capacity > 0 else { return }
        let key = PathKey(path)
        if entries.count >= capacity && entries[key] == nil {
            prune(now: now)
            if entries.count >= capacity, let victim = entries.min(by: { $0.value.checked < $1.value.checked })?.key {
                entries[victim] = nil
            }
        }
        entries[key] = (resource, now)
    }

    /// Drops entries older than `validity` (their descriptors close when no response uses them).
    public mutating func prune(now: Double) {
        entries = entries.filter { now - $0.value.checked < validity }
    }
}
