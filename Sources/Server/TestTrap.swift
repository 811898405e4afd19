// A test hook, in debug builds only: with HTTPD_TEST_TRAP_PATH set, a request for that path traps (fatalError),
// so the tests can prove that the master replaces a worker the Swift runtime stopped. A release build has none.

#if DEBUG
    #if canImport(Glibc)
        import Glibc
    #endif

    /// The path whose request makes the process trap, read once from the environment.
    enum TestTrap {
        static let path: String? = getenv("HTTPD_TEST_TRAP_PATH").map { String(cString: $0) }

        /// Traps when `requestPath` is the test path.
        static func check(_ requestPath: String) {
            if let path, path == requestPath { fatalError("HTTPD_TEST_TRAP_PATH: trap requested for \(path)") }
        }
    }
#endif
