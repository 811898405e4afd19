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

    /// Descriptors the configuration may need at once: per connection its socket and the open file of the
    /// response it is sending (which its sendfile segment shares: no descriptor per range or per part), which
    /// may have left the cache; per cached file one descriptor; with `Precompressed on` a file brings its
    /// .br and .gz variants (three each); plus listeners, logs, the eventfd and slack.
    public static func needed(_ c: Configuration) -> Int {
        let perFile = c.precompressed ? 3 : 1
        return c.maxConnections * (1 + perFile) + c.fileCacheEntries * perFile + 64
    }
}
