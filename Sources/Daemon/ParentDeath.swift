// A worker must not outlive its master (kill -9 of the master): PR_SET_PDEATHSIG asks the kernel for SIGTERM
// when the master dies, and a getppid() check closes the race of a master that died before the request.

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's link to the life of its master.
enum ParentDeath {
    /// `prctl(2)`, which Swift cannot call directly (it is variadic): looked up once and called with its
    /// five integer arguments, as the C calling convention passes them.
    static let prctl: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "prctl") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32).self)
    }()

    /// Asks for SIGTERM when the parent dies; returns false when `master` is no longer the parent (it died
    /// already). Call right after fork, and again after dropping privileges: changing the user clears it.
    static func follow(master: pid_t) -> Bool {
        let setParentDeathSignal: Int32 = 1  // PR_SET_PDEATHSIG
        _ = prctl?(setParentDeathSignal, UInt(SIGTERM), 0, 0, 0)
        return getppid() == master
    }
}
