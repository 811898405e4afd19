// The open-file cache (nginx's open_file_cache idea): a found file's descriptor and metadata, or a
// directory's automatic index, are reused for `FileCacheValidity` seconds, so hot paths skip the worker
// pool. A change on disk is seen at most that many seconds later. Loop thread only.

import Support

/// A decoded path as a cache key: hashed and compared as its UTF-8 bytes, so canonically equivalent
/// names (NFC and NFD, U+212A and `K`), which are different files on disk, never share an entry.
public struct PathKey: Hashable, Sendable {
    public let path: String
    /// The site the path is under (each site has its own root): 0 for the main server.
    public let site: Int

    public init(_ path: String, site: Int = 0) {
        var path = path
        path.makeContiguousUTF8()
        self.path = path
        self.site = site
    }

    public static func == (a: PathKey, b: PathKey) -> Bool { a.site == b.site && sameBytes(a.path, b.path) }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(site)
        hasher.combine(path.utf8.count)
        // Contiguous since init, so this never falls back to the Character-based String hash.
        _ = path.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// Site and path → recently looked-up file or listing (paths compare as bytes).
public struct FileCache {
    public private(set) var entries: [PathKey: (result: LookupResult, checked: Double)] = [:]
    let validity: Double
    let capacity: Int

    public init(validity: Double, capacity: Int) {
        self.validity = validity
        self.capacity = capacity
    }

    /// The cached result for `path` if it was checked less than `validity` seconds ago.
    public func get(_ path: String, site: Int = 0, now: Double) -> LookupResult? {
        guard validity > 0, let e = entries[PathKey(path, site: site)], now - e.checked < validity else { return nil }
        return e.result
    }

    /// The cached file for `path`, if a file is what was found there.
    public func file(_ path: String, now: Double) -> FileResource? {
        guard case .file(let resource) = get(path, now: now) else { return nil }
        return resource
    }

    /// Remembers a fresh lookup when it found a file or made a listing (failures and redirects are
    /// not kept: they are cheap to find again, and a file created where a 404 was is served at once).
    public mutating func put(_ path: String, site: Int = 0, _ result: LookupResult, now: Double) {
        switch result {
        case .file, .listing: break
        case .directoryRedirect, .failure: return
        }
        guard validity > 0, capacity > 0 else { return }
        let key = PathKey(path, site: site)
        if entries.count >= capacity && entries[key] == nil {
            prune(now: now)
            if entries.count >= capacity, let victim = entries.min(by: { $0.value.checked < $1.value.checked })?.key {
                entries[victim] = nil
            }
        }
        entries[key] = (result, now)
    }

    /// Drops entries older than `validity` (their descriptors close when no response uses them).
    public mutating func prune(now: Double) {
        entries = entries.filter { now - $0.value.checked < validity }
    }
}
