// The logs of sites that name their own (`AccessLog`, `ErrorLog` inside a <VirtualHost>): opened with the
// server's (before privileges drop), kept across a reload when unchanged, reopened on SIGUSR1.

import Config
import Support

/// Per site (by index in `ServerSettings.sites`): its own access and error log, or nil to use the server's.
/// Sites naming the same file share one log object (one buffer, one descriptor).
struct SiteLogs {
    var access: [AccessLog?] = []
    var errors: [ErrorLog?] = []

    /// True when some site has an access log of its own.
    var any: Bool { access.contains { $0 != nil } }

    /// The logs `settings`' sites name apart from the main server's `main`/`mainError` targets, reusing
    /// those of `previous` that are unchanged (same path and format); throws the first that cannot be opened.
    static func open(_ settings: ServerSettings, previous: SiteLogs) throws(StartupError) -> SiteLogs {
        var logs = SiteLogs()
        let main = settings.config
        var accessByPath: [String: AccessLog] = [:]
        var errorByPath: [String: ErrorLog] = [:]
        for log in previous.access.compactMap({ $0 }) { accessByPath[log.path + " " + log.format.rawValue] = log }
        for log in previous.errors.compactMap({ $0 }) {
            if case .file(let path) = log.target { errorByPath[path] = log }
        }
        for site in settings.sites {
            var access: AccessLog?
            if site.index > 0, let a = site.config.accessLog,
                main.accessLog.map({ $0.path != a.path || $0.format != a.format }) ?? true
            {
                let key = a.path + " " + a.format.rawValue
                if let existing = accessByPath[key] {
                    access = existing
                } else {
                    let made = try AccessLog(path: a.path, format: a.format)
                    accessByPath[key] = made
                    access = made
                }
            }
            logs.access.append(access)
            var error: ErrorLog?
            if site.index > 0, let target = site.config.errorLog, target != main.effectiveErrorLog {
                if case .file(let path) = target, let existing = errorByPath[path] {
                    existing.level = main.logLevel
                    error = existing
                } else {
                    let made = try ErrorLog(level: main.logLevel, target: target)
                    if case .file(let path) = target { errorByPath[path] = made }
                    error = made
                }
            }
            logs.errors.append(error)
        }
        return logs
    }

    /// Every distinct log object, once (sites naming one file share one object).
    var distinctAccess: [AccessLog] { Self.distinct(access) }
    var distinctErrors: [ErrorLog] { Self.distinct(errors) }

    static func distinct<Log: AnyObject>(_ logs: [Log?]) -> [Log] {
        var seen: [Log] = []
        for log in logs.compactMap({ $0 }) where !seen.contains(where: { $0 === log }) { seen.append(log) }
        return seen
    }

    func flush() {
        for log in distinctAccess { log.flush() }
    }

    /// Reopens every file (SIGUSR1); returns the errors, the others reopened.
    func reopen() -> [StartupError] {
        var failures: [StartupError] = []
        for log in distinctAccess {
            do throws(StartupError) { try log.reopen() } catch { failures.append(error) }
        }
        for log in distinctErrors {
            do throws(StartupError) { try log.reopen() } catch { failures.append(error) }
        }
        return failures
    }
}
