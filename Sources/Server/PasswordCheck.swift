// Basic authentication on the server's side: the verdict on one request's credentials, and the checks that
// make it (the credential cache on the loop thread, the password file and hashing on a worker).

import Auth
import Config
import IO

/// The verdict on one request's credentials, as it travels from a worker (or the cache) to the connection.
public struct PasswordCheck: Sendable {
    /// The user name as sent (for the log's `%u` and the messages).
    public var user: String
    /// True when the password is right and the requirement admits the user.
    public var passed: Bool
    /// Why not, for the error log (`wrong password`, `unknown user`, `not admitted by Require user …`).
    public var reason: String
    /// The password file cannot be read at all: 500, not 401.
    public var fileUnreadable = false
    /// What the password file's (re)load found, to log once (weak hashes, refused lines, unreadable).
    public var reports: [String] = []
    /// Seconds to wait before answering 401 (repeated failures from one address), set on the loop thread.
    public var delay: Double = 0

    public init(user: String, passed: Bool, reason: String) {
        self.user = user
        self.passed = passed
        self.reason = reason
    }

    /// The verdict for `outcome` under `requirement`.
    init(user: [UInt8], outcome: VerifyOutcome, requirement: UserRequirement) {
        // Byte for byte (ISO-8859-1), as the parser decodes request text: the logs escape each byte as sent
        // (UTF-8 `é` as \xc3\xa9), and bytes that are not UTF-8 are not merged into U+FFFD.
        let name = String(String.UnicodeScalarView(user.map { Unicode.Scalar($0) }))
        switch outcome {
        case .ok where requirement.isSatisfied(by: user):
            self.init(user: name, passed: true, reason: "")
        case .ok:
            self.init(user: name, passed: false, reason: "not admitted by Require")
        case .wrongPassword:
            self.init(user: name, passed: false, reason: "wrong password")
        case .unknownUser:
            self.init(user: name, passed: false, reason: "unknown user")
        case .refusedEntry(let reason):
            self.init(user: name, passed: false, reason: reason)
        case .fileUnreadable(let why):
            self.init(user: name, passed: false, reason: "AuthUserFile cannot be read: \(why)")
            fileUnreadable = true
        }
    }
}

/// The password files, the cache of recent successes and the failures per client address (loop thread;
/// the stores and the cache are also used by workers, and lock themselves).
final class PasswordChecks {
    var stores: [String: PasswordStore] = [:]
    let cache = CredentialCache()
    var failures = FailureTracker()
    /// Who asked, for each connection whose check is on a worker.
    var pending: [UInt64: [UInt8]] = [:]
    /// Failed logins since start, for the status endpoints.
    var failed = 0

    /// The store of `path` (made on first use, kept across reloads: one per file).
    func store(_ path: String) -> PasswordStore {
        if let s = stores[path] { return s }
        let s = PasswordStore(path: path)
        stores[path] = s
        return s
    }

    /// The requirement as the Auth target takes it.
    static func requirement(_ r: Requirement) -> UserRequirement {
        switch r {
        case .validUser: .validUser
        case .users(let names): .users(names.map { Array($0.utf8) })
        }
    }

    /// The job a worker runs (or inetd mode runs inline): verify, then remember a success in the cache.
    static func job(
        store: PasswordStore, cache: CredentialCache, user: [UInt8], password: [UInt8], requirement: UserRequirement,
        now: Double
    ) -> PasswordCheck {
        let verification = store.verify(user: user, password: password, now: now)
        if verification.outcome == .ok {
            cache.recordOK(file: store.path, user: user, password: password, generation: verification.generation, now: now)
        }
        var check = PasswordCheck(user: user, outcome: verification.outcome, requirement: requirement)
        check.reports = verification.reports.map { "AuthUserFile \(store.path): \($0)" }
        return check
    }

    /// Counts the verdict for `address` and sets the delay before a 401 (loop thread).
    func settle(_ check: inout PasswordCheck, address: [UInt8], now: Double) {
        if check.passed {
            failures.recordSuccess(from: address)
        } else if !check.fileUnreadable {
            failed += 1
            check.delay = Double(failures.recordFailure(from: address, now: now))
        }
    }
}

extension ServerSettings {
    /// Every `AuthUserFile` the sites and locations name, once each, in configuration order.
    public var authUserFiles: [String] {
        var files: [String] = []
        for site in sites {
            for scope in [site.scope] + site.locations {
                if let file = scope.auth?.userFile, !files.contains(file) { files.append(file) }
            }
        }
        return files
    }

    /// What reading each `AuthUserFile` now finds (with the privileges of the caller): `unreadable` lists the
    /// files that cannot be read at all; `findings` the refused lines and weak hashes, `AuthUserFile PATH: line N: …`.
    public func checkAuthUserFiles() -> (unreadable: [String], findings: [String]) {
        Self.sorted(authUserFiles.map { ($0, PasswordStore(path: $0).refresh(now: 0)) })
    }

    /// What each file's reading found, as `checkAuthUserFiles` returns it.
    static func sorted(_ read: [(path: String, findings: [AuthFinding])]) -> (unreadable: [String], findings: [String]) {
        var unreadable: [String] = []
        var findings: [String] = []
        for (path, found) in read {
            for finding in found {
                if finding.line == 0 && finding.severity == .error {
                    unreadable.append("AuthUserFile \(finding.message)")
                } else {
                    findings.append("AuthUserFile \(path): \(finding)")
                }
            }
        }
        return (unreadable, findings)
    }
}

extension Server {
    /// Reads every `AuthUserFile` of the settings in force into the server's own stores (at start, after the
    /// privilege drop, and after a reload; on the loop thread: a stat, and a read of a file not read before or
    /// changed) and returns what the reading found, as `checkAuthUserFiles` does. The first login then finds
    /// the files unchanged and reports nothing again; a file already read and unchanged reports nothing.
    public func loadAuthUserFiles() -> (unreadable: [String], findings: [String]) {
        let now = EventLoop.monotonicSeconds()
        return ServerSettings.sorted(settings.authUserFiles.map { ($0, passwords.store($0).refresh(now: now)) })
    }
}
