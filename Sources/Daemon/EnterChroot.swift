// The worker's way into its `Chroot` (and socket activation's single process): after the server has opened what
// it needs outside (listeners, logs, TLS keys) and before privileges drop, load what would be opened later by
// path, then chdir, chroot, chdir("/"). And what SIGHUP and SIGUSR1 do once inside: say that they cannot.

import Config
import IO
import Server
import Support

#if canImport(Glibc)
    import Glibc
#endif

/// The steps into the chroot, and the signals of a process that serves inside it.
enum EnterChroot {
    /// Prepares `server` (`Server.prepareForChroot`, problems logged as warnings) and loads libgcc_s, then changes the root to the
    /// plan's folder: chdir there, chroot, chdir to the new `/` (no working directory is left outside). Needs
    /// root (checked at start); `runAs` nil means root keeps serving, which a chroot does not confine.
    static func enter(_ plan: ChrootPlan, _ server: Server, runAs: RunAsUser?, worker: Bool, _ errorLog: ErrorLog)
        throws(StartupError)
    {
        for problem in server.prepareForChroot() { errorLog.log(.warn, "chroot: \(problem)") }
        // glibc loads libgcc_s by name the first time it unwinds a stack (a thread ending through pthread_exit, a
        // backtrace) and aborts when it cannot: loaded now, it is found by its name inside too.
        _ = dlopen("libgcc_s.so.1", RTLD_NOW)
        let dir = plan.directory
        guard chdir(dir) == 0 else { throw StartupError.errno("Chroot \(dir): chdir") }
        guard chroot(dir) == 0 else { throw StartupError.errno("Chroot \(dir): chroot") }
        guard chdir("/") == 0 else { throw StartupError.errno("Chroot \(dir): chdir /") }
        let real = dir == plan.configured ? "" : " (\(dir))"
        errorLog.log(.notice, "chroot: \(worker ? "worker" : "httpd") serves inside \(plan.configured)\(real)")
        if runAs == nil {
            errorLog.log(
                .warn, "chroot: no User is set, so httpd serves as root inside \(plan.configured), and root can leave a chroot")
        }
    }

    /// SIGUSR1 and SIGHUP for a server inside its chroot, where neither the log paths nor the configuration file
    /// are: SIGUSR1 logs that the logs were not reopened (`Server.reopenLogs`), SIGHUP that nothing was reloaded.
    /// Under a master, which stays outside, SIGUSR1 has reopened the master's own error log, and a worker the
    /// master starts later (after a crash) reads the configuration file again.
    static func onSignals(_ loop: EventLoop, _ server: Server, _ errorLog: ErrorLog, _ plan: ChrootPlan) throws(StartupError) {
        try loop.onSignal(SIGUSR1) { server.reopenLogs() }
        try loop.onSignal(SIGHUP) {
            errorLog.log(
                .notice,
                "SIGHUP ignored: this process serves inside Chroot \(plan.configured) and cannot read the configuration file; "
                    + "restart httpd to apply a new configuration")
        }
    }
}
