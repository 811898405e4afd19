// PasswordStore: verification outcomes on the fixture file, the file re-read when it changes (on a manual
// clock: no sleeping), old entries kept when it becomes unreadable, and verifications from several threads.

import Dispatch
import Synchronization
import Testing

@testable import Auth

#if canImport(Glibc)
    import Glibc
#endif

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A folder of its own for one test, removed afterwards.
private struct AuthTempDir: ~Copyable {
    let path: String

    init() {
        var template = Array("/tmp/httpd-auth-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// Writes `text` to `name` in place (truncating an existing file, same inode); returns its path.
    @discardableResult func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(fd >= 0)
        let data = Array(text.utf8)
        precondition(data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == data.count)
        close(fd)
        return file
    }

    /// Sets the modification time of `name` to `seconds`.`nanoseconds`.
    func setModified(_ name: String, seconds: Int, nanoseconds: Int) {
        let times = [
            timespec(tv_sec: seconds, tv_nsec: nanoseconds), timespec(tv_sec: seconds, tv_nsec: nanoseconds),
        ]
        precondition(utimensat(AT_FDCWD, path + "/" + name, times, 0) == 0)
    }

    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

private let bcryptAlice = "alice:$2y$04$DUh/hPAHGpHFjskKAr5oRe1.XlO/9tAJt24eZF0gEWRgjt3AM70y.\n"  // pässwörd
private let apr1Bob = "bob:$apr1$gJjzns2d$uVTfMbw2jSS7l7C.eSaCD1\n"  // apr1-pass
private let apr1Alice = "alice:$apr1$gJjzns2d$uVTfMbw2jSS7l7C.eSaCD1\n"  // apr1-pass

@Suite struct AuthPasswordStoreTests {
    @Test func outcomesOnTheFixture() {
        let store = PasswordStore(path: authFixtures + "users.htpasswd")
        #expect(store.generation == 0)
        let first = store.verify(user: bytes("bcrypt-user"), password: bytes("bcrypt-pass"), now: 0)
        #expect(first.outcome == .ok)
        #expect(first.generation > 0 && first.generation == store.generation)
        #expect(first.reports.count == 5)
        #expect(store.verify(user: bytes("sha512-user"), password: bytes("sha512-pass"), now: 0).reports.isEmpty)
        func outcome(_ user: String, _ password: String) -> VerifyOutcome {
            store.verify(user: bytes(user), password: bytes(password), now: 0.5).outcome
        }
        #expect(outcome("apr1-user", "apr1-pass") == .ok)
        #expect(outcome("yescrypt-user", "yescrypt-pass") == .ok)
        #expect(outcome("bcrypt-user", "apr1-pass") == .wrongPassword)
        #expect(outcome("BCRYPT-USER", "bcrypt-pass") == .unknownUser)
        #expect(outcome("nobody", "bcrypt-pass") == .unknownUser)
        #expect(
            outcome("plain-user", "plain-pass")
                == .refusedEntry(reason: "line 11: user 'plain-user': plaintext passwords are refused; hash it with htpasswd -B"))
        #expect(outcome("plain-user", "anything") == outcome("plain-user", "plain-pass"))
        // A NUL byte cannot sneak a prefix past libcrypt's C strings; an overlong password is wrong.
        #expect(
            store.verify(user: bytes("bcrypt-user"), password: bytes("bcrypt-pass") + [0, 0x41], now: 1).outcome == .wrongPassword
        )
        #expect(store.verify(user: bytes("des-user"), password: bytes("despass") + [0], now: 1).outcome == .wrongPassword)
        let long = [UInt8](repeating: 0x61, count: 512)
        #expect(store.verify(user: bytes("apr1-user"), password: long, now: 1).outcome == .wrongPassword)
    }

    @Test func fileNeverReadable() {
        let dir = AuthTempDir()
        let store = PasswordStore(path: dir.path + "/missing")
        let first = store.verify(user: bytes("alice"), password: bytes("x"), now: 0)
        #expect(first.outcome == .fileUnreadable("No such file or directory"))
        #expect(first.generation == 0)
        #expect(first.reports == [AuthFinding(.error, line: 0, "cannot read \(dir.path)/missing: No such file or directory")])
        // Reported once; still unreadable a second later, without a new report.
        #expect(store.verify(user: bytes("alice"), password: bytes("x"), now: 2).reports.isEmpty)
        // It appears: read at the next check, not before.
        dir.write("missing", apr1Alice)
        #expect(
            store.verify(user: bytes("alice"), password: bytes("apr1-pass"), now: 2.5).outcome
                == .fileUnreadable("No such file or directory"))
        #expect(store.verify(user: bytes("alice"), password: bytes("apr1-pass"), now: 3).outcome == .ok)
    }

    /// Not a regular file: a folder, and a FIFO (opened without waiting for a writer).
    @Test func notARegularFile() {
        let dir = AuthTempDir()
        #expect(
            PasswordStore(path: dir.path).verify(user: bytes("a"), password: [], now: 0).outcome
                == .fileUnreadable("not a regular file"))
        #expect(mkfifo(dir.path + "/fifo", 0o600) == 0)
        #expect(
            PasswordStore(path: dir.path + "/fifo").verify(user: bytes("a"), password: [], now: 0).outcome
                == .fileUnreadable("not a regular file"))
    }

    /// A change is seen at the first check at least `checkInterval` after the last one, with a new generation.
    @Test func changeDetection() {
        let dir = AuthTempDir()
        let path = dir.write("users", apr1Bob)
        let store = PasswordStore(path: path)
        let v1 = store.verify(user: bytes("bob"), password: bytes("apr1-pass"), now: 100)
        #expect(v1.outcome == .ok && v1.reports.count == 1)
        #expect(!store.needsCheck(now: 100.9))
        #expect(store.needsCheck(now: 101))

        dir.write("users", apr1Bob + bcryptAlice)
        #expect(store.verify(user: bytes("alice"), password: bytes("pässwörd"), now: 100.9).outcome == .unknownUser)
        let v2 = store.verify(user: bytes("alice"), password: bytes("pässwörd"), now: 101)
        #expect(v2.outcome == .ok)
        #expect(v2.generation > v1.generation && store.generation == v2.generation)
        #expect(
            v2.reports == [
                AuthFinding(
                    .warning, line: 1, "user 'bob': Apache MD5 ($apr1$) hashes are weak; rehash the password with htpasswd -B")
            ])

        // Unchanged: no new generation, no reports.
        let v3 = store.verify(user: bytes("alice"), password: bytes("pässwörd"), now: 105)
        #expect(v3.generation == v2.generation && v3.reports.isEmpty)

        // Same size, same inode, only the nanoseconds of the time differ.
        dir.setModified("users", seconds: 1_000_000, nanoseconds: 1)
        _ = store.refresh(now: 110)
        let before = store.generation
        dir.write("users", apr1Bob + apr1Alice + String(repeating: " ", count: bcryptAlice.count - apr1Alice.count))
        dir.setModified("users", seconds: 1_000_000, nanoseconds: 2)
        #expect(store.verify(user: bytes("alice"), password: bytes("apr1-pass"), now: 111).outcome == .ok)
        #expect(store.generation > before)

        // Replaced by rename (a new inode), as editors do.
        let other = dir.write("users.new", bcryptAlice)
        #expect(rename(other, path) == 0)
        #expect(store.verify(user: bytes("bob"), password: bytes("apr1-pass"), now: 112).outcome == .unknownUser)
        #expect(store.verify(user: bytes("alice"), password: bytes("pässwörd"), now: 112).outcome == .ok)
    }

    /// The file goes away: the entries read before stay in force, and that is reported once; it comes back:
    /// read again.
    @Test func unreadableKeepsOldEntries() {
        let dir = AuthTempDir()
        let path = dir.write("users", apr1Bob)
        let store = PasswordStore(path: path)
        let v1 = store.verify(user: bytes("bob"), password: bytes("apr1-pass"), now: 0)
        #expect(unlink(path) == 0)
        let v2 = store.verify(user: bytes("bob"), password: bytes("apr1-pass"), now: 1)
        #expect(v2.outcome == .ok && v2.generation == v1.generation)
        #expect(
            v2.reports == [
                AuthFinding(
                    .error, line: 0, "cannot read \(path): No such file or directory; keeping the 1 user read before")
            ])
        let v3 = store.verify(user: bytes("bob"), password: bytes("wrong"), now: 2)
        #expect(v3.outcome == .wrongPassword && v3.reports.isEmpty)
        dir.write("users", apr1Bob)
        let v4 = store.verify(user: bytes("bob"), password: bytes("apr1-pass"), now: 3)
        #expect(v4.outcome == .ok && v4.generation > v1.generation && v4.reports.count == 1)
    }

    /// Generations are process-wide: a new store for the same file never repeats an older store's number.
    @Test func generationsNeverRepeat() {
        let path = authFixtures + "users.htpasswd"
        let a = PasswordStore(path: path)
        _ = a.refresh(now: 0)
        let b = PasswordStore(path: path)
        _ = b.refresh(now: 0)
        #expect(b.generation > a.generation && a.generation > 0)
    }

    /// A clock that goes backwards (not monotonic after all) makes the store look again, not stall.
    @Test func clockGoingBackwards() {
        let dir = AuthTempDir()
        dir.write("users", apr1Bob)
        let store = PasswordStore(path: dir.path + "/users")
        _ = store.refresh(now: 50)
        #expect(!store.needsCheck(now: 50.5))
        #expect(store.needsCheck(now: 10))
    }

    /// Verifications from several threads at once, of every scheme, while the file is re-read.
    @Test func concurrentVerifications() {
        let store = PasswordStore(path: authFixtures + "users.htpasswd")
        let users: [(String, String)] = [
            ("bcrypt-user", "bcrypt-pass"), ("apr1-user", "apr1-pass"), ("sha512-user", "sha512-pass"),
            ("yescrypt-user", "yescrypt-pass"), ("sha1-user", "sha1-pass"), ("des-user", "despass"), ("nobody", "x"),
        ]
        let results = Mutex<[VerifyOutcome]>([])
        DispatchQueue.concurrentPerform(iterations: 28) { i in
            let (user, password) = users[i % users.count]
            let outcome = store.verify(user: bytes(user), password: bytes(password), now: Double(i) * 0.1).outcome
            results.withLock { $0.append(outcome) }
        }
        let outcomes = results.withLock { $0 }
        #expect(outcomes.count == 28)
        #expect(outcomes.filter { $0 == .ok }.count == 24)
        #expect(outcomes.filter { $0 == .unknownUser }.count == 4)
    }
}
