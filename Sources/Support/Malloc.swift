// glibc's malloc tuning for a small resident daemon: one arena for every thread, and the heap trimmed once
// start-up is over. <malloc.h> is not part of Swift's Glibc module, so the two calls are found with dlsym.

#if canImport(Glibc)
    import Glibc
#endif

/// mallopt and malloc_trim, when the C library has them (glibc); no-ops otherwise.
public enum Malloc {
    /// `M_ARENA_MAX` in <malloc.h>.
    static let arenaMax: Int32 = -8

    /// Every thread allocates from the main arena: a worker thread otherwise gets an arena of its own (64 MiB
    /// of address space and its own partly used pages) for the few small allocations of a file lookup.
    /// Call before any thread exists.
    public static func useOneArena() {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMax, 1)
    }

    /// Gives the free memory start-up left in the heap (configuration text, parsing leftovers) back to the system.
    public static func trim() {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }
}
