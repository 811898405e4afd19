// Dropping root: after binding and opening logs, become `User`/`Group` (supplementary groups too),
// and check that the document root is readable by that user (for `-t` and start-up).

public import Support

#if canImport(Glibc)
    public import Glibc
#endif

/// A user to run as, resolved from the passwd/group databases.
public struct RunAsUser: Sendable, Equatable {
    public var name: String
    public var uid: uid_t
    public var gid: gid_t
    /// The supplementary groups (the user's groups and `gid`), read when resolved: a worker becomes the user
    /// inside a `Chroot`, where the group database is not.
    public var groups: [gid_t] = []

    /// Resolves `user` (and `group`, else the user's primary group); throws when either does not exist.
    public static func resolve(user: String, group: String?) throws(StartupError) -> RunAsUser {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwnam_r(user, &pwd, &buffer, buffer.count, &result) == 0, result != nil else {
            throw StartupError("User \(user) does not exist")
        }
        var gid = pwd.pw_gid
        if let group {
            var grp = Glibc.group()
            var gresult: UnsafeMutablePointer<Glibc.group>?
            var gbuffer = [CChar](repeating: 0, count: 16384)
            guard getgrnam_r(group, &grp, &gbuffer, gbuffer.count, &gresult) == 0, gresult != nil else {
                throw StartupError("Group \(group) does not exist")
            }
            gid = grp.gr_gid
        }
        return RunAsUser(name: user, uid: pwd.pw_uid, gid: gid, groups: try groupList(user, gid))
    }

    /// `user`'s groups with `gid` among them (getgrouplist(3), as initgroups(3) reads them).
    static func groupList(_ user: String, _ gid: gid_t) throws(StartupError) -> [gid_t] {
        var count: Int32 = 32
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(user, gid, &groups, &found) >= 0 { return Array(groups.prefix(Int(found))) }
            guard found > count else { throw StartupError("cannot read the groups of user \(user)") }
            count = found
        }
    }

    /// Becomes this user: supplementary groups, gid, then uid; verifies root cannot be regained.
    public func become() throws(StartupError) {
        if setgroups(groups.count, groups) != 0 { throw StartupError.errno("setgroups \(name)") }
        if setgid(gid) != 0 { throw StartupError.errno("setgid \(gid)") }
        if setuid(uid) != 0 { throw StartupError.errno("setuid \(uid)") }
        if uid != 0 && setuid(0) == 0 { throw StartupError("could still regain root after dropping privileges") }
    }

    /// Whether this user can read (and search) `directory` (`mode` R_OK: read the file `directory`): checked in
    /// a child that becomes the user.
    public func canRead(_ directory: String, mode: Int32 = R_OK | X_OK) -> Bool {
        let pid = fork()
        if pid == 0 {
            let ok = (try? become()) != nil && access(directory, mode) == 0
            _exit(ok ? 0 : 1)
        }
        guard pid > 0 else { return false }
        var status: Int32 = 0
        _ = retryingEINTR { waitpid(pid, &status, 0) }
        return status == 0
    }
}
