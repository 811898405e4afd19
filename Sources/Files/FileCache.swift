// The open-file cache (nginx's open_file_cache idea): a found file's descriptor and metadata are
// reused for `FileCacheValidity` seconds, so hot files skip the worker pool. A change on disk is
// seen at most that many seconds later. Loop thread only.

/// Path → recently looked-up file.
public struct FileCache {
    public private(set) var entries: [String: (resource: FileResource, checked: Double)] = [:]
    let validity: Double
    let capacity: Int

    public init(validity: Double, capacity: Int) {
        self.validity = validity
        self.capacity = capacity
    }

    /// The cached resource for `path` if it was checked less than `validity` seconds ago.
    public func get(_ path: String, now: Double) -> FileResource? {
        guard validity > 0, let e = entries[path], now - e.checked < validity else { return nil }
        return e.resource
    }

    /// Remembers a fresh lookup.
    public mutating func put(_ path: String, _ resource: FileResource, now: Double) {
        guard validity > 0, capacity > 0 else { return }
        if entries.count >= capacity && entries[path] == nil {
            prune(now: now)
            if entries.count >= capacity, let victim = entries.min(by: { $0.value.checked < $1.value.checked })?.key {
                entries[victim] = nil
            }
        }
        entries[path] = (resource, now)
    }

    /// Drops entries older than `validity` (their descriptors close when no response uses them).
    public mutating func prune(now: Double) {
        entries = entries.filter { now - $0.value.checked < validity }
    }
}
