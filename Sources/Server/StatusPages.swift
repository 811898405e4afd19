// Renders a StatusSnapshot in the four formats monitoring tools read: HTML for people, Apache
// mod_status `?auto` text, JSON, and the Prometheus text exposition format. Pure: the load average
// and the local times come in the snapshot.

import HTTPCore

/// The status endpoint's output formats.
public enum StatusFormat: Sendable, Equatable {
    case html(refresh: Int?)
    case auto
    case json
    case prometheus

    /// The format a status request's query asks for (`auto`, `format=json`, `refresh=N`).
    public static func fromQuery(_ query: String?) -> StatusFormat {
        var refresh: Int?
        for item in (query ?? "").split(whereSeparator: { $0 == "&" || $0 == ";" }) {
            let parts = item.split(separator: "=", maxSplits: 1)
            let key = parts.first.map(String.init)?.lowercased() ?? ""
            let value = parts.count > 1 ? String(parts[1]).lowercased() : ""
            if key == "auto" { return .auto }
            if key == "format" && value == "json" { return .json }
            if key == "format" && (value == "prometheus" || value == "metrics") { return .prometheus }
            if key == "refresh", let n = Int(value), n > 0, n <= 3600 { refresh = n }
        }
        return .html(refresh: refresh)
    }
}

/// Pure renderers.
public enum StatusPages {
    /// (Content-Type, body) for `snapshot` in `format`.
    public static func render(_ s: StatusSnapshot, _ format: StatusFormat) -> (String, String) {
        switch format {
        case .html(let refresh): ("text/html; charset=utf-8", html(s, refresh: refresh))
        case .auto: ("text/plain; charset=utf-8", auto(s))
        case .json: ("application/json", json(s))
        case .prometheus: ("text/plain; version=0.0.4; charset=utf-8", prometheus(s))
        }
    }

    /// A decimal with up to 6 significant fractional digits and no exponent.
    static func decimal(_ x: Double) -> String {
        if !x.isFinite { return "0" }
        let scaled = (x * 1_000_000).rounded()
        let whole = Int(scaled / 1_000_000)
        var frac = Int(abs(scaled).truncatingRemainder(dividingBy: 1_000_000))
        if frac == 0 { return String(whole) }
        var digits = 6
        while frac % 10 == 0 {
            frac /= 10
            digits -= 1
        }
        let f = String(frac)
        return (x < 0 && whole == 0 ? "-" : "") + String(whole) + "." + String(repeating: "0", count: digits - f.count) + f
    }

    /// `2 days 3 hours 4 minutes 5 seconds`, as Apache prints ServerUptime.
    static func uptimeText(_ t: Int) -> String {
        let parts = [(t / 86400, "day"), (t / 3600 % 24, "hour"), (t / 60 % 60, "minute"), (t % 60, "second")]
        let shown = parts.drop(while: { $0.0 == 0 && $0.1 != "second" })
        return shown.map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }.joined(separator: " ")
    }

    /// Apache's scoreboard: one character per connection slot (R reading, W writing, K keep-alive,
    /// C closing, _ free), MaxConnections long.
    static func scoreboard(_ s: StatusSnapshot) -> String {
        let free = max(0, s.maxConnections - s.active)
        return String(repeating: "R", count: s.reading) + String(repeating: "W", count: s.writing)
            + String(repeating: "K", count: s.waiting) + String(repeating: "C", count: s.closing)
            + String(repeating: "_", count: free)
    }

    /// Apache mod_status machine-readable output (`?auto`), same keys and order as Apache 2.4.
    public static func auto(_ s: StatusSnapshot) -> String {
        let uptime = max(s.uptime, 1)
        let cpu = s.cpuUserSeconds + s.cpuSystemSeconds
        let durationMs = Int(s.durationSum * 1000)
        var lines: [String] = [
            "localhost",
            "ServerVersion: httpd/\(s.version)",
            "ServerMPM: event",
            "CurrentTime: \(s.localNow.formatted("%A, %d-%b-%Y %H:%M:%S %Z"))",
            "RestartTime: \(s.localStartTime.formatted("%A, %d-%b-%Y %H:%M:%S %Z"))",
            "ParentServerConfigGeneration: \(s.generation)",
            "ParentServerMPMGeneration: \(s.generation - 1)",
            "ServerUptimeSeconds: \(s.uptime)",
            "ServerUptime: \(uptimeText(s.uptime))",
            "Load1: \(decimal(s.loadAverage.one))", "Load5: \(decimal(s.loadAverage.five))",
            "Load15: \(decimal(s.loadAverage.fifteen))",
            "Total Accesses: \(s.requests)",
            "Total kBytes: \(s.bodyBytes / 1024)",
            "Total Duration: \(durationMs)",
            "CPUUser: \(decimal(s.cpuUserSeconds))",
            "CPUSystem: \(decimal(s.cpuSystemSeconds))",
            "CPUChildrenUser: 0",
            "CPUChildrenSystem: 0",
            "CPULoad: \(decimal(cpu / Double(uptime) * 100))",
            "Uptime: \(s.uptime)",
            "ReqPerSec: \(decimal(Double(s.requests) / Double(uptime)))",
            "BytesPerSec: \(decimal(Double(s.bodyBytes) / Double(uptime)))",
            "BytesPerReq: \(decimal(s.requests > 0 ? Double(s.bodyBytes) / Double(s.requests) : 0))",
            "DurationPerReq: \(decimal(s.requests > 0 ? Double(durationMs) / Double(s.requests) : 0))",
            "BusyWorkers: \(s.reading + s.writing + s.closing)",
            "GracefulWorkers: 0",
            "IdleWorkers: \(max(0, s.maxConnections - s.active))",
            "Processes: 1",
            "Stopping: \(s.draining ? 1 : 0)",
            "ConnsTotal: \(s.active)",
            "ConnsAsyncWriting: \(s.writing)",
            "ConnsAsyncKeepAlive: \(s.waiting)",
            "ConnsAsyncClosing: \(s.closing)",
            "Scoreboard: \(scoreboard(s))",
        ]
        if let t = s.tls {
            lines += [
                "TLSHandshakes: \(t.handshakes)", "TLSHandshakeFailures: \(t.failureCount)",
                "TLSSessionsResumed: \(t.resumed)", "TLSFilePath: \(t.filePath)",
            ]
            lines += t.versions.keys.sorted().map { "TLSProtocol\($0): \(t.versions[$0]!)" }
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// JSON with every counter (hand-written: no Foundation in the daemon).
    public static func json(_ s: StatusSnapshot) -> String {
        let codes = s.byCode.keys.sorted().map { "\"\($0)\": \(s.byCode[$0]!)" }.joined(separator: ", ")
        let classes = (1...5).map { "\"\($0)xx\": \(s.statusClass($0))" }.joined(separator: ", ")
        return """
            {
              "version": "\(s.version)",
              "mode": "\(s.mode.rawValue)",
              "pid": \(s.pid),
              "ppid": \(s.ppid),
              "start_time": \(s.startTime),
              "uptime_seconds": \(s.uptime),
              "draining": \(s.draining),
              "config": {"generation": \(s.generation), "last_reload": \(s.lastReload.map(String.init) ?? "null")},
              "connections": {"accepted": \(s.connectionsAccepted), "handled": \(s.connectionsHandled), "active": \(s.active), "reading": \(s.reading), "writing": \(s.writing), "waiting": \(s.waiting), "closing": \(s.closing), "max": \(s.maxConnections), "refused_per_client": \(s.connectionsRefusedPerClient), "evicted": \(s.connectionsEvicted), "dropped_under_pressure": \(s.connectionsDropped), "under_pressure": \(s.underPressure)},
              "requests": {"total": \(s.requests), "by_class": {\(classes)}, "by_code": {\(codes)}},
              "bytes": {"body": \(s.bodyBytes), "response": \(s.responseBytes)},
              "request_duration_seconds": {"sum": \(decimal(s.durationSum)), "count": \(s.requests)},
              "workers": {"size": \(s.workers), "busy": \(s.workersBusy), "queued": \(s.workersQueued), "completed": \(s.workersCompleted), "rejected": \(s.workersRejected), "skipped": \(s.workersSkipped), "queue_delay_seconds_sum": \(decimal(s.queueDelaySum)), "queue_delay_count": \(s.queueDelayCount)},
              "process": {"resident_memory_bytes": \(s.residentBytes), "cpu_user_seconds": \(decimal(s.cpuUserSeconds)), "cpu_system_seconds": \(decimal(s.cpuSystemSeconds))}\(tlsJSON(s.tls))
            }

            """
    }

    /// The `"tls"` member of the JSON status (with its leading comma), or nothing without TLS.
    static func tlsJSON(_ t: TLSStatus?) -> String {
        guard let t else { return "" }
        func object(_ d: [String: Int]) -> String {
            "{" + d.keys.sorted().map { "\"\(jsonEscape($0))\": \(d[$0]!)" }.joined(separator: ", ") + "}"
        }
        return ",\n  \"tls\": {\"handshakes\": \(t.handshakes), \"resumed\": \(t.resumed), \"failures\": \(t.failureCount), "
            + "\"failures_by_reason\": \(object(t.failures)), \"protocols\": \(object(t.versions)), "
            + "\"file_path\": \"\(jsonEscape(t.filePath))\"}"
    }

    /// `text` as the inside of a JSON string.
    static func jsonEscape(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where u.value < 0x20: out += "\\u00" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// Prometheus text exposition format 0.0.4.
    public static func prometheus(_ s: StatusSnapshot) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        metric(
            "httpd_info", "gauge", "Build and mode of this httpd (value is always 1).",
            [("{version=\"\(s.version)\",mode=\"\(s.mode.rawValue)\"}", "1")])
        metric("httpd_process_id", "gauge", "PID of the serving process.", [("", "\(s.pid)")])
        metric("httpd_parent_process_id", "gauge", "PID of its parent (1 for a daemon parented by init).", [("", "\(s.ppid)")])
        metric("httpd_draining", "gauge", "1 while a graceful stop is in progress.", [("", s.draining ? "1" : "0")])
        metric(
            "httpd_config_generation", "gauge", "Configuration generation: 1 at start, plus one per reload.",
            [("", "\(s.generation)")])
        metric(
            "httpd_config_last_reload_timestamp_seconds", "gauge",
            "Unix time of the last successful reload (start time if none).",
            [("", "\(s.lastReload ?? s.startTime)")])
        metric("httpd_connections_accepted_total", "counter", "Client connections accepted.", [("", "\(s.connectionsAccepted)")])
        metric(
            "httpd_connections_handled_total", "counter", "Client connections closed after being served.",
            [("", "\(s.connectionsHandled)")])
        metric(
            "httpd_connections", "gauge", "Open client connections by state.",
            [
                ("{state=\"reading\"}", "\(s.reading)"), ("{state=\"writing\"}", "\(s.writing)"),
                ("{state=\"waiting\"}", "\(s.waiting)"), ("{state=\"closing\"}", "\(s.closing)"),
            ])
        metric("httpd_connections_max", "gauge", "MaxConnections.", [("", "\(s.maxConnections)")])
        metric(
            "httpd_connections_refused_total", "counter",
            "Connections closed at once because their address held MaxConnectionsPerClient.",
            [("", "\(s.connectionsRefusedPerClient)")])
        metric(
            "httpd_connections_evicted_total", "counter",
            "Connections closed at MaxConnections to make room (longest on an incomplete head).",
            [("", "\(s.connectionsEvicted)")])
        metric(
            "httpd_connections_dropped_total", "counter",
            "Connections dropped under pressure because their request head did not arrive in time.",
            [("", "\(s.connectionsDropped)")])
        metric(
            "httpd_under_pressure", "gauge", "1 while more than 80 % of MaxConnections are open (heads get 2 s).",
            [("", s.underPressure ? "1" : "0")])
        metric(
            "httpd_requests_total", "counter", "Responses sent, by status code.",
            s.byCode.keys.sorted().map { ("{code=\"\($0)\"}", "\(s.byCode[$0]!)") })
        metric("httpd_response_bytes_total", "counter", "Response bytes sent (head and body).", [("", "\(s.responseBytes)")])
        metric("httpd_response_body_bytes_total", "counter", "Response body bytes sent.", [("", "\(s.bodyBytes)")])
        var buckets: [(String, String)] = []
        for (i, bound) in durationBuckets.enumerated() {
            buckets.append(("{le=\"\(decimal(bound))\"}", "\(s.durationCounts[i])"))
        }
        buckets.append(("{le=\"+Inf\"}", "\(s.requests)"))
        out += "# HELP httpd_request_duration_seconds Time from a complete request head to the response handed to the kernel.\n"
        out += "# TYPE httpd_request_duration_seconds histogram\n"
        for (labels, value) in buckets { out += "httpd_request_duration_seconds_bucket\(labels) \(value)\n" }
        out += "httpd_request_duration_seconds_sum \(decimal(s.durationSum))\n"
        out += "httpd_request_duration_seconds_count \(s.requests)\n"
        metric("httpd_worker_pool_size", "gauge", "Workers in the file-system pool.", [("", "\(s.workers)")])
        metric("httpd_worker_pool_busy", "gauge", "Workers running a job.", [("", "\(s.workersBusy)")])
        metric("httpd_worker_pool_queued", "gauge", "Jobs waiting for a worker.", [("", "\(s.workersQueued)")])
        metric("httpd_worker_pool_completed_total", "counter", "Jobs the pool has finished.", [("", "\(s.workersCompleted)")])
        metric(
            "httpd_worker_pool_rejected_total", "counter", "Lookups refused with 503 because the queue was full.",
            [("", "\(s.workersRejected)")])
        metric(
            "httpd_worker_pool_skipped_total", "counter", "Queued lookups dropped because their client had left.",
            [("", "\(s.workersSkipped)")])
        out += "# HELP httpd_worker_pool_queue_delay_seconds Time jobs waited for a worker.\n"
        out += "# TYPE httpd_worker_pool_queue_delay_seconds summary\n"
        out += "httpd_worker_pool_queue_delay_seconds_sum \(decimal(s.queueDelaySum))\n"
        out += "httpd_worker_pool_queue_delay_seconds_count \(s.queueDelayCount)\n"
        if let t = s.tls {
            metric("httpd_tls_handshakes_total", "counter", "TLS handshakes completed.", [("", "\(t.handshakes)")])
            metric(
                "httpd_tls_handshake_failures_total", "counter", "TLS handshakes that failed, by reason.",
                t.failures.keys.sorted().map { ("{reason=\"\(labelEscape($0))\"}", "\(t.failures[$0]!)") })
            metric(
                "httpd_tls_sessions_resumed_total", "counter", "TLS handshakes that resumed a session.", [("", "\(t.resumed)")])
            metric(
                "httpd_tls_protocol_handshakes_total", "counter", "TLS handshakes completed, by protocol version.",
                t.versions.keys.sorted().map { ("{protocol=\"\(labelEscape($0))\"}", "\(t.versions[$0]!)") })
        }
        metric(
            "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
            [("", "\(s.startTime)")])
        metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [("", "\(s.residentBytes)")])
        metric(
            "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
            [("", decimal(s.cpuUserSeconds + s.cpuSystemSeconds))])
        return out
    }

    /// A Prometheus label value: backslash, double quote and newline escaped.
    static func labelEscape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// A page for people: the same numbers, with optional auto-refresh.
    public static func html(_ s: StatusSnapshot, refresh: Int?) -> String {
        func row(_ k: String, _ v: String) -> String {
            "<tr><th>\(HTMLEscape.escape(k))</th><td>\(HTMLEscape.escape(v))</td></tr>\n"
        }
        var rows = ""
        rows += row("Version", "httpd/\(s.version)")
        rows += row("Mode", s.mode.rawValue + (s.draining ? " (draining)" : ""))
        rows += row("PID / parent PID", "\(s.pid) / \(s.ppid)")
        rows += row("Started", s.localStartTime.formatted("%Y-%m-%d %H:%M:%S %Z"))
        rows += row("Uptime", uptimeText(s.uptime))
        rows += row(
            "Configuration generation",
            "\(s.generation)" + (s.localLastReload.map { ", last reload \($0.formatted("%Y-%m-%d %H:%M:%S %Z"))" } ?? ""))
        rows += row("Connections accepted / handled", "\(s.connectionsAccepted) / \(s.connectionsHandled)")
        rows += row(
            "Crowd control",
            (s.underPressure ? "under pressure (request heads get 2 s); " : "no pressure; ")
                + "\(s.connectionsRefusedPerClient) refused (per client), \(s.connectionsEvicted) evicted, "
                + "\(s.connectionsDropped) dropped (slow heads)")
        rows += row(
            "Active connections",
            "\(s.active) (reading \(s.reading), writing \(s.writing), waiting \(s.waiting), closing \(s.closing)) of \(s.maxConnections)"
        )
        rows += row(
            "Requests",
            "\(s.requests) (1xx \(s.statusClass(1)), 2xx \(s.statusClass(2)), 3xx \(s.statusClass(3)), 4xx \(s.statusClass(4)), 5xx \(s.statusClass(5)))"
        )
        rows += row("Bytes sent", "\(s.responseBytes) (bodies \(s.bodyBytes))")
        rows += row("Mean request duration", s.requests > 0 ? "\(decimal(s.durationSum / Double(s.requests) * 1000)) ms" : "-")
        rows += row(
            "Worker pool",
            "\(s.workers) workers, \(s.workersBusy) busy, \(s.workersQueued) queued, \(s.workersCompleted) completed, "
                + "\(s.workersRejected) refused (queue full), \(s.workersSkipped) skipped (client gone), mean queue delay "
                + (s.queueDelayCount > 0 ? "\(decimal(s.queueDelaySum / Double(s.queueDelayCount) * 1000)) ms" : "-"))
        if let t = s.tls {
            let versions = t.versions.keys.sorted().map { "\($0) \(t.versions[$0]!)" }.joined(separator: ", ")
            let failures = t.failures.keys.sorted().map { "\($0) \(t.failures[$0]!)" }.joined(separator: ", ")
            rows += row(
                "TLS handshakes",
                "\(t.handshakes) (resumed \(t.resumed)\(versions.isEmpty ? "" : "; " + versions)), failed \(t.failureCount)"
                    + (failures.isEmpty ? "" : " (\(failures))"))
            rows += row("TLS file bodies", t.filePath)
            for c in t.certificates { rows += row("TLS certificate", c) }
        }
        rows += row("Resident memory", "\(s.residentBytes / 1024) KiB")
        rows += row("CPU time", "user \(decimal(s.cpuUserSeconds)) s, system \(decimal(s.cpuSystemSeconds)) s")
        let meta = refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">\n" } ?? ""
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8">
            \(meta)<title>httpd status</title>
            <style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em}</style>
            </head><body>
            <h1>httpd status</h1>
            <table>
            \(rows)</table>
            <p>Also as <a href="?auto">?auto</a> (Apache mod_status), <a href="?format=json">?format=json</a>; <a href="?refresh=5">refresh every 5 s</a>.</p>
            </body></html>

            """
    }
}
