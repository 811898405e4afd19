// What serving would open by path after start, opened before the process changes its root (`Chroot`), inside
// which the time zone file, libcrypt, syslog's socket, /proc and OpenSSL's files are not.

import Auth
import Config
import Support
import TLS

#if canImport(Glibc)
    import Glibc
#endif

extension Server {
    /// Loads now, for a process about to change its root, what it would otherwise open by path later: the time
    /// zone (the error log's local time), /proc/self/statm and /proc/loadavg (memory and load on the status
    /// pages), libcrypt (when some site checks passwords), syslog's socket (when some error log is syslog), and
    /// OpenSSL's random generator and the kernel-TLS probe (when TLS is configured). Returns what could not be
    /// loaded, one log line each: serving goes on without it.
    public func prepareForChroot() -> [String] {
        var problems: [String] = []
        tzset()
        for (path, error) in ProcFile.openAll() {
            problems.append("cannot open \(path) (\(errnoText(error))): status pages will show zero in its place")
        }
        if !settings.authUserFiles.isEmpty, let why = loadLibCrypt() {
            problems.append("cannot load libcrypt (\(why)): bcrypt, SHA-crypt and yescrypt passwords will be refused")
        }
        if log.target == .syslog || siteLogs.distinctErrors.contains(where: { $0.target == .syslog }) {
            ErrorLog.connectSyslog()
        }
        if settings.tls != nil { TLSContext.prepareForChroot() }
        return problems
    }
}
