// One AuthUserFile: its entries, re-read when the file changes (checked at most once a second), and the
// blocking verification of a user's password against them, meant for a worker thread.

import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What checking a user's password found.
public enum VerifyOutcome: Sendable, Equatable {
    /// The password is right.
    case ok
    /// The user exists and the password is wrong (also: a password with a NUL byte or over 511 bytes).
    case wrongPassword
    /// No such user (the time a verification takes was spent all the same).
    case unknownUser
    /// The user's line is refused (a plaintext password, an unknown or malformed hash, a scheme libcrypt cannot
    /// verify): `reason` is the finding, `line N: user 'x': …`, for the log. Answer as a failed login.
    case refusedEntry(reason: String)
    /// The file could not be read, and never has been: no one can log in (answer 500 and log it).
    case fileUnreadable(String)
}

/// The result of `PasswordStore.verify`.
public struct Verification: Sendable, Equatable {
    public var outcome: VerifyOutcome
    /// The generation of the contents the password was checked against: record a success in the
    /// CredentialCache with this one (not a later `generation`, which may be of newer contents).
    public var generation: UInt64
    /// New things to log, once each: a (re)load's findings, or the file becoming unreadable.
    public var reports: [AuthFinding]
}

/// The entries of one password file (one store per AuthUserFile path), shared by the workers that verify.
///
/// The file is stat'ed at most once per `checkInterval` seconds of `now` (a monotonic clock the caller gives,
/// so tests need no sleeping) and re-read when its device, inode, size or modification time (nanoseconds) differ
/// from what was read last; each read makes a new `generation`. A file that becomes unreadable (removed,
/// permissions, not a regular file, over 16 MiB) leaves the previous entries in force, and this is reported
/// once: to lock everyone out, empty the file rather than remove it. A file that changes while it is read
/// (htpasswd rewrites it in place) is read again at the next check.
///
/// The stat and any re-read run under the store's lock (microseconds for a local file); hashing runs outside it.
///
/// How a server puts the Auth pieces together for a request under `AuthType Basic`:
/// 1. No `Authorization` field, or `BasicCredentials` says `.otherScheme`: 401 with `Challenge.basic(realm:)`.
///    `.malformed`: 400.
/// 2. `.credentials(user, password)`: on the loop thread, `CredentialCache.cachedOK(file:…, generation:
///    store.generation, now:)`; a hit is a success (when `store.needsCheck(now:)`, hand `store.refresh(now:)` to a
///    worker, so that an edited file is seen within a second).
/// 3. A miss: `store.verify(user:password:now:)` on a worker; log its `reports`. `.ok`: record it with
///    `CredentialCache.recordOK(…, generation: verification.generation, …)`. `.fileUnreadable`: 500.
///    Anything else: a failed login.
/// 4. A success that `UserRequirement.isSatisfied(by:)` refuses: 401 as well (Apache answers so). A success:
///    `FailureTracker.recordSuccess`. A failed login: `FailureTracker.recordFailure` gives the seconds to wait
///    before answering 401 with the challenge.
public final class PasswordStore: Sendable {
    /// The AuthUserFile path.
    public let path: String
    /// Seconds between two looks at the file.
    public let checkInterval: Double

    /// Largest file read, so a wrong path (a log file, /dev/zero's like) cannot take the memory.
    static let maxFileSize = 16 << 20

    private struct State {
        var file: PasswordFile? = nil
        var identity: FileIdentity? = nil
        var generation: UInt64 = 0
        var lastCheck: Double = -.infinity
        /// The last read failure, while it lasts (reported when it first appears or changes).
        var failure: String? = nil
    }

    private let state = Mutex(State())
    private let libCryptSchemes: Set<HashScheme>?

    /// A store for `path` (absolute). Nothing is read until the first `verify` or `refresh`.
    /// `libCryptSchemes` is for tests (see `PasswordFile.init`).
    public init(path: String, checkInterval: Double = 1, libCryptSchemes: Set<HashScheme>? = nil) {
        self.path = path
        self.checkInterval = checkInterval
        self.libCryptSchemes = libCryptSchemes
    }

    /// The generation of the entries in force: 0 until the file is first read, then a new, larger number
    /// (process-wide, so a new store for the same path never repeats one) each time it is read. Cheap: one lock.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Whether `refresh` would look at the file now. Cheap: for the loop thread, which answers from the
    /// CredentialCache and can then hand a `refresh` to a worker so that a change is seen within a second.
    public func needsCheck(now: Double) -> Bool {
        state.withLock { !Self.checkedRecently($0, now: now, interval: checkInterval) }
    }

    /// Looks at the file if `checkInterval` has passed and reads it again if it changed. Blocking (stat, and a
    /// read on change). Returns what to log (see `Verification.reports`).
    public func refresh(now: Double) -> [AuthFinding] {
        state.withLock { state in
            if Self.checkedRecently(state, now: now, interval: checkInterval) { return [] }
            state.lastCheck = now
            switch FileIdentity.readIfChanged(path, known: state.identity, limit: Self.maxFileSize) {
            case .unchanged:
                state.failure = nil
                return []
            case .changing:
                return []
            case .changed(let identity, let bytes):
                let file = PasswordFile(parsing: bytes, libCryptSchemes: libCryptSchemes)
                state.file = file
                state.identity = identity
                state.generation = nextGeneration()
                state.failure = nil
                return file.findings
            case .unreadable(let reason):
                if state.failure == reason { return [] }
                state.failure = reason
                state.identity = nil
                guard let file = state.file else { return [AuthFinding(.error, line: 0, "cannot read \(path): \(reason)")] }
                return [
                    AuthFinding(
                        .error, line: 0,
                        "cannot read \(path): \(reason); keeping the \(file.entries.count) user\(file.entries.count == 1 ? "" : "s") read before"
                    )
                ]
            }
        }
    }

    /// Checks `password` for `user` (bytes, as BasicCredentials gives them), after a `refresh`. Blocking: a
    /// bcrypt verification takes milliseconds (more at a higher cost), so call it on a worker thread; several
    /// workers may verify at once. An unknown user, or one whose line is refused, costs a verification of
    /// `PasswordFile.timingDummy`, so that timing does not tell whether a user exists. A password with a NUL
    /// byte or over 511 bytes (libcrypt's limit) is wrong for every user, without hashing.
    public func verify(user: [UInt8], password: [UInt8], now: Double) -> Verification {
        let reports = refresh(now: now)
        let (file, generation, failure) = state.withLock { ($0.file, $0.generation, $0.failure) }
        guard let file else {
            return Verification(outcome: .fileUnreadable(failure ?? "not read yet"), generation: 0, reports: reports)
        }
        func result(_ outcome: VerifyOutcome) -> Verification {
            Verification(outcome: outcome, generation: generation, reports: reports)
        }
        if password.contains(0) || password.count > LibCrypt.maxPasswordLength { return result(.wrongPassword) }
        switch file.entry(for: user) {
        case nil:
            _ = file.timingDummy.check(password)
            return result(.unknownUser)
        case .refused(let finding):
            _ = file.timingDummy.check(password)
            return result(.refusedEntry(reason: finding.description))
        case .hash(let hash, let line):
            switch hash.check(password) {
            case .match: return result(.ok)
            case .mismatch: return result(.wrongPassword)
            case .failed:
                let reason = "line \(line): user \(quotedUser(user)): libcrypt could not compute the \(hash.scheme.name) hash"
                return result(.refusedEntry(reason: reason))
            }
        }
    }

    private static func checkedRecently(_ state: State, now: Double, interval: Double) -> Bool {
        now >= state.lastCheck && now < state.lastCheck + interval
    }
}

/// Generations of every store in the process: each read of any file takes the next number.
private let generations = Atomic<UInt64>(0)

private func nextGeneration() -> UInt64 {
    generations.wrappingAdd(1, ordering: .relaxed).newValue
}
