// The open-file limit: raised to its hard maximum at start-up, and checked against what the
// configuration may hold open (connections, cached files and their precompressed variants).

public import Config

#if canImport(Glibc)
    import Glibc
#endif

/// RLIMIT_NOFILE helpers.
public enum FileLimit {
    /// Raises the soft limit on open files to the hard limit; returns the soft limit now in force.
    @discardableResult
    public static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return Int.max }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Descriptors the configuration may need at once: one per connection, up to three per cached
    /// file (the file and its .br/.gz variants), one per file a connection is sending after the cache let
    /// it go (its sendfile segment shares that descriptor), plus listeners, logs and slack.
    public static func needed(_ c: Configuration) -> Int {
        c.maxConnections * 2 + c.fileCacheEntries * 3 + 64
    }
}
