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
        // The rates divide the totals by the time they were counted over (all workers': since the master started).
        let uptime = max(s.countersSince.map { s.now - $0 } ?? s.uptime, 1)
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
            "Processes: \(max(s.workerProcesses.count, 1))",
            "Stopping: \(s.draining ? 1 : 0)",
            "ConnsTotal: \(s.active)",
            "ConnsAsyncWriting: \(s.writing)",
            "ConnsAsyncKeepAlive: \(s.waiting)",
            "ConnsAsyncClosing: \(s.closing)",
            "Scoreboard: \(scoreboard(s))",
        ]
        lines += workersAuto(s)
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
            \(masterJSON(s))  "start_time": \(s.startTime),
              "uptime_seconds": \(s.uptime),
            \(workersJSON(s))  "draining": \(s.draining),
              "config": {"generation": \(s.generation), "last_reload": \(s.lastReload.map(String.init) ?? "null")},
              "connections": {"accepted": \(s.connectionsAccepted), "handled": \(s.connectionsHandled), "active": \(s.active), "reading": \(s.reading), "writing": \(s.writing), "waiting": \(s.waiting), "closing": \(s.closing), "max": \(s.maxConnections), "refused_per_client": \(s.connectionsRefusedPerClient), "evicted": \(s.connectionsEvicted), "dropped_under_pressure": \(s.connectionsDropped), "under_pressure": \(s.underPressure)},
              "requests": {"total": \(s.requests), "by_class": {\(classes)}, "by_code": {\(codes)}},
              "bytes": {"body": \(s.bodyBytes), "response": \(s.responseBytes)},
              "request_duration_seconds": {"sum": \(decimal(s.durationSum)), "count": \(s.requests)},
              "workers": {"size": \(s.workers), "busy": \(s.workersBusy), "queued": \(s.workersQueued), "completed": \(s.workersCompleted), "rejected": \(s.workersRejected), "skipped": \(s.workersSkipped), "queue_delay_seconds_sum": \(decimal(s.queueDelaySum)), "queue_delay_count": \(s.queueDelayCount)},
              "process": {"resident_memory_bytes": \(s.residentBytes), "cpu_user_seconds": \(decimal(s.cpuUserSeconds)), "cpu_system_seconds": \(decimal(s.cpuSystemSeconds))},
              "sites": [\(s.sites.map(siteJSON).joined(separator: ","))\(s.sites.isEmpty ? "" : "\n  ")]\(s.authFailures.map { ",\n  \"auth\": {\"failures\": \($0)}" } ?? "")\(tlsJSON(s.tls))
            }

            """
    }

    /// One site's object in the JSON status's `"sites"` (with the newline and indent before it): its
    /// counters, the duration buckets cumulative as Prometheus's `le`, and the rate history (requests per
    /// bucket, oldest first; the last bucket is under way, `elapsed_seconds` of it have passed).
    static func siteJSON(_ site: SiteStatus) -> String {
        let names = site.aliases.map { "\"\(jsonEscape($0))\"" }.joined(separator: ", ")
        let codes = site.byCode.keys.sorted().map { "\"\($0)\": \(site.byCode[$0]!)" }.joined(separator: ", ")
        let classes = (1...5).map { "\"\($0)xx\": \(site.statusClass($0))" }.joined(separator: ", ")
        var buckets = zip(durationBuckets, site.durationCounts).map { "\"\(decimal($0))\": \($1)" }
        buckets.append("\"+Inf\": \(site.requests)")
        let counts = site.rateCounts.map(String.init).joined(separator: ", ")
        return "\n    {\"name\": \"\(jsonEscape(site.name))\", \"aliases\": [\(names)], \"root\": \"\(jsonEscape(site.root))\",\n"
            + "     \"requests\": {\"total\": \(site.requests), \"by_class\": {\(classes)}, \"by_code\": {\(codes)}},\n"
            + "     \"bytes\": {\"body\": \(site.bodyBytes), \"response\": \(site.responseBytes)},\n"
            + "     \"request_duration_seconds\": {\"sum\": \(decimal(site.durationSum)), \"count\": \(site.requests), "
            + "\"buckets\": {\(buckets.joined(separator: ", "))}},\n"
            + "     \"rate\": {\"bucket_seconds\": \(site.rateBucketSeconds), \"elapsed_seconds\": \(decimal(site.rateElapsed)), "
            + "\"counts\": [\(counts)]}}"
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
        metric(
            "httpd_parent_process_id", "gauge", "PID of its parent (the master under one; 1 for a daemon that serves alone).",
            [("", "\(s.ppid)")])
        workerMetrics(s, into: &out)
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
        if let failures = s.authFailures {
            metric(
                "httpd_auth_failures_total", "counter",
                "Basic-authentication logins refused (wrong password, unknown user, not admitted by Require).",
                [("", "\(failures)")])
        }
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
        siteMetrics(s.sites, into: &out)
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

    /// The per-site families of the Prometheus text (each site's samples labelled `site`).
    static func siteMetrics(_ sites: [SiteStatus], into out: inout String) {
        func family(_ name: String, _ type: String, _ help: String, _ value: (SiteStatus, String) -> String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for site in sites { out += value(site, "site=\"\(labelEscape(site.name))\"") }
        }
        family("httpd_site_requests_total", "counter", "Responses sent, by site.") {
            "httpd_site_requests_total{\($1)} \($0.requests)\n"
        }
        family("httpd_site_responses_total", "counter", "Responses sent, by site and status code.") { site, label in
            site.byCode.keys.sorted().map { "httpd_site_responses_total{\(label),code=\"\($0)\"} \(site.byCode[$0]!)\n" }.joined()
        }
        family("httpd_site_response_bytes_total", "counter", "Response bytes sent (head and body), by site.") {
            "httpd_site_response_bytes_total{\($1)} \($0.responseBytes)\n"
        }
        family("httpd_site_response_body_bytes_total", "counter", "Response body bytes sent, by site.") {
            "httpd_site_response_body_bytes_total{\($1)} \($0.bodyBytes)\n"
        }
        family(
            "httpd_site_request_duration_seconds", "histogram",
            "Time from a complete request head to the response handed to the kernel, by site."
        ) { site, label in
            var lines = ""
            for (bound, count) in zip(durationBuckets, site.durationCounts) {
                lines += "httpd_site_request_duration_seconds_bucket{\(label),le=\"\(decimal(bound))\"} \(count)\n"
            }
            lines += "httpd_site_request_duration_seconds_bucket{\(label),le=\"+Inf\"} \(site.requests)\n"
            lines += "httpd_site_request_duration_seconds_sum{\(label)} \(decimal(site.durationSum))\n"
            return lines + "httpd_site_request_duration_seconds_count{\(label)} \(site.requests)\n"
        }
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

    /// A page for people: the same numbers rounded for reading, then per site its totals and two inline SVG
    /// charts (requests per second over the last 15 minutes, response times); optional auto-refresh. No
    /// script, no external asset; about 6 KiB per site.
    public static func html(_ s: StatusSnapshot, refresh: Int?) -> String {
        let n = Readable.count
        var rows = ""
        rows += row("Version", "httpd/\(s.version)")
        rows += row("Mode", s.mode.rawValue + (s.draining ? " (draining)" : ""))
        rows += row("PID / parent PID", "\(s.pid) / \(s.ppid)")
        rows += row("Master", masterText(s))
        rows += row("Started", s.localStartTime.formatted("%Y-%m-%d %H:%M:%S %Z"))
        rows += row("Uptime", Readable.uptime(s.uptime))
        rows += row(
            "Configuration generation",
            "\(s.generation)" + (s.localLastReload.map { ", last reload \($0.formatted("%Y-%m-%d %H:%M:%S %Z"))" } ?? ""))
        rows += row("Connections accepted / handled", "\(n(s.connectionsAccepted)) / \(n(s.connectionsHandled))")
        rows += row(
            "Crowd control",
            (s.underPressure ? "under pressure (request heads get 2 s); " : "no pressure; ")
                + "\(n(s.connectionsRefusedPerClient)) refused (per client), \(n(s.connectionsEvicted)) evicted, "
                + "\(n(s.connectionsDropped)) dropped (slow heads)")
        if let failures = s.authFailures { rows += row("Failed logins (Basic authentication)", n(failures)) }
        rows += row(
            "Active connections",
            "\(n(s.active)) (reading \(n(s.reading)), writing \(n(s.writing)), waiting \(n(s.waiting)), "
                + "closing \(n(s.closing))) of \(n(s.maxConnections))")
        rows += row("Requests", requestsText(s.requests, s.statusClass))
        rows += row("Bytes sent", bytesText(s.responseBytes, bodies: s.bodyBytes))
        rows += row("Mean request duration", meanDuration(s.durationSum, s.requests))
        rows += row(
            "Worker pool",
            "\(n(s.workers)) workers, \(n(s.workersBusy)) busy, \(n(s.workersQueued)) queued, \(n(s.workersCompleted)) completed, "
                + "\(n(s.workersRejected)) refused (queue full), \(n(s.workersSkipped)) skipped (client gone), mean queue delay "
                + meanDuration(s.queueDelaySum, s.queueDelayCount))
        if let t = s.tls {
            let versions = t.versions.keys.sorted().map { "\($0) \(n(t.versions[$0]!))" }.joined(separator: ", ")
            let failures = t.failures.keys.sorted().map { "\($0) \(n(t.failures[$0]!))" }.joined(separator: ", ")
            rows += row(
                "TLS handshakes",
                "\(n(t.handshakes)) (resumed \(n(t.resumed))\(versions.isEmpty ? "" : "; " + versions)), failed \(n(t.failureCount))"
                    + (failures.isEmpty ? "" : " (\(failures))"))
            rows += row("TLS file bodies", t.filePath)
            for c in t.certificates { rows += row("TLS certificate", c) }
        }
        rows += row("Resident memory", Readable.bytes(s.residentBytes))
        rows += row("CPU time", "user \(Readable.duration(s.cpuUserSeconds)), system \(Readable.duration(s.cpuSystemSeconds))")
        let meta = refresh.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">\n" } ?? ""
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8">
            \(meta)<title>httpd status</title>
            <style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em;white-space:nowrap;font-weight:normal;color:#444}\
            td{font-variant-numeric:tabular-nums}section{border-top:1px solid #ccc;margin-top:1.5em}\
            h3{font-size:1em;margin:1.2em 0 .3em}svg.chart{display:block}</style>
            </head><body>
            <h1>httpd status</h1>
            <table>
            \(rows)</table>
            \(workersSection(s))\(s.sites.map(siteSection).joined())<p>Also as <a href="?auto">?auto</a> (Apache mod_status), <a href="?format=json">?format=json</a>; <a href="?refresh=5">refresh every 5 s</a>.</p>
            </body></html>

            """
    }

    /// A table row of the HTML page, both cells escaped.
    static func row(_ k: String, _ v: String) -> String {
        "<tr><th>\(HTMLEscape.escape(k))</th><td>\(HTMLEscape.escape(v))</td></tr>\n"
    }

    /// `1,234 (1xx 0, 2xx 1,200, 3xx 4, 4xx 30, 5xx 0)`.
    static func requestsText(_ requests: Int, _ statusClass: (Int) -> Int) -> String {
        let classes = (1...5).map { "\($0)xx \(Readable.count(statusClass($0)))" }.joined(separator: ", ")
        return "\(Readable.count(requests)) (\(classes))"
    }

    /// `12.3 MiB (bodies 12 MiB)`.
    static func bytesText(_ total: Int, bodies: Int) -> String {
        "\(Readable.bytes(total)) (bodies \(Readable.bytes(bodies)))"
    }

    /// The mean of `count` durations summing to `sum` seconds (`2.4 ms`), or `-` when there is none.
    static func meanDuration(_ sum: Double, _ count: Int) -> String {
        count > 0 ? Readable.duration(sum / Double(count)) : "-"
    }

    /// One site's part of the HTML page: its names, root and totals, its request rate over the last 15
    /// minutes and its response times, each as an inline SVG chart.
    static func siteSection(_ site: SiteStatus) -> String {
        let rates = site.ratePerSecond
        let recent = site.rateCounts.reduce(0, +)
        let minutes = site.rateCounts.count * site.rateBucketSeconds / 60
        var rows = ""
        if !site.aliases.isEmpty { rows += row("Aliases", site.aliases.joined(separator: ", ")) }
        rows += row("Document root", site.root)
        rows += row("Requests", requestsText(site.requests, site.statusClass))
        rows += row(
            "Last \(minutes) minutes",
            "\(Readable.count(recent)) requests; peak \(Readable.rate(rates.max() ?? 0)), now \(Readable.rate(rates.last ?? 0)) "
                + "(\(site.rateBucketSeconds) s buckets)")
        rows += row("Bytes sent", bytesText(site.responseBytes, bodies: site.bodyBytes))
        rows += row("Mean request duration", meanDuration(site.durationSum, site.requests))
        return """
            <section class="site">
            <h2>Site \(HTMLEscape.escape(site.name))</h2>
            <table>
            \(rows)</table>
            <h3>Requests per second, last \(minutes) minutes</h3>
            \(StatusCharts.rateChart(rates, bucketSeconds: site.rateBucketSeconds, site: site.name))\
            <h3>Response times (requests per duration bucket)</h3>
            \(StatusCharts.durationChart(site.durationBucketCounts, site: site.name))\
            </section>

            """
    }
}
