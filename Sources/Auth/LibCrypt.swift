// libxcrypt's crypt_rn (bcrypt, SHA-256/512-crypt, yescrypt, DES), opened with dlopen on first use, never
// linked: a process that never verifies a password never maps libcrypt.

// Why not linked (and no C target): every process start (inetd mode starts one per connection) would map and
// relocate one more library that only a server with AuthUserFile needs. Measured on a tiny C program, with and
// without -lcrypt (perf stat -r 500, and LD_DEBUG=statistics): linking libcrypt.so.1 adds 7 page faults per
// start (49 → 56), 26 relocations and about 10,000 cycles in the dynamic loader; run time itself was lost in
// the noise (0.30–0.42 ms for either).

#if canImport(Glibc)
    import Glibc
#endif

/// crypt_rn from libcrypt.so.1, loaded once, on the first call that needs it.
enum LibCrypt {
    /// `char *crypt_rn(const char *phrase, const char *setting, void *data, int size)`.
    typealias CryptRN =
        @convention(c) (
            UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int32
        ) -> UnsafeMutablePointer<CChar>?

    /// The library's file name (Debian's libcrypt1, from libxcrypt).
    static let libraryName = "libcrypt.so.1"

    /// The scratch area each call gets: `sizeof(struct crypt_data)` is 32768 in libxcrypt 4.4; twice that,
    /// in case a later version grows it. Allocated per call, since calls run on several workers at once.
    static let scratchSize = 65536

    /// Longest password crypt accepts (CRYPT_MAX_PASSPHRASE_SIZE, 512, counts the terminating NUL).
    static let maxPasswordLength = 511

    /// crypt_rn, or why it cannot be had (dlerror's text). Swift runs this once, thread-safely, on first use.
    static let cryptRN: Result<CryptRN, LoadError> = {
        guard let handle = dlopen(libraryName, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(LoadError(message: dlerror().map { String(cString: $0) } ?? "cannot open \(libraryName)"))
        }
        guard let symbol = dlsym(handle, "crypt_rn") else {
            return .failure(LoadError(message: "\(libraryName) has no crypt_rn (not libxcrypt?)"))
        }
        return .success(unsafeBitCast(symbol, to: CryptRN.self))
    }()

    /// Why libcrypt could not be used.
    struct LoadError: Error, Sendable, Equatable {
        var message: String
    }

    /// `crypt_rn(password, setting)`: the hash text, or nil when libcrypt is missing, the setting is unknown or
    /// malformed, or the password cannot be hashed (a NUL byte in it, or longer than 511 bytes).
    static func hash(password: [UInt8], setting: [UInt8]) -> [UInt8]? {
        guard case .success(let cryptRN) = cryptRN else { return nil }
        guard password.count <= maxPasswordLength, !password.contains(0), !setting.contains(0) else { return nil }
        var phrase = password.map { CChar(bitPattern: $0) } + [0]
        let settingText = setting.map { CChar(bitPattern: $0) } + [0]
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchSize, alignment: 16)
        // crypt_data's `initialized` and `reserved` must be zero before a first call: zero it all.
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: scratchSize)
        defer {
            scratch.initializeMemory(as: UInt8.self, repeating: 0, count: scratchSize)
            scratch.deallocate()
            for i in phrase.indices { phrase[i] = 0 }
        }
        guard let result = cryptRN(phrase, settingText, scratch, Int32(scratchSize)) else { return nil }
        // On failure libxcrypt's crypt_rn returns NULL; older crypts return a string starting with '*'.
        if result.pointee == CChar(UInt8(ascii: "*")) { return nil }
        return Array(UnsafeRawBufferPointer(start: result, count: strlen(result)))
    }
}

/// Loads libcrypt now rather than at the first password check: a worker about to change its root (`Chroot`),
/// inside which dlopen would find no library, calls it first. Returns why it cannot be loaded, or nil.
public func loadLibCrypt() -> String? {
    switch LibCrypt.cryptRN {
    case .success: nil
    case .failure(let error): error.message
    }
}
