// The worker processes' part of every status format (pure, like StatusPages): the master's PID (left out when
// the process serves alone), the workers the master replaced, and each worker's slot, PID, start and restarts.

import HTTPCore

extension StatusPages {
    /// The JSON `master_pid` member after `ppid` (its line with indent and trailing comma), or nothing when the
    /// process serves alone.
    static func masterJSON(_ s: StatusSnapshot) -> String {
        s.masterPID.map { "  \"master_pid\": \($0),\n" } ?? ""
    }

    /// The JSON members after `uptime_seconds` (each line with its indent and trailing comma): `worker_restarts`
    /// and the `worker_processes` array.
    static func workersJSON(_ s: StatusSnapshot) -> String {
        let workers = s.workerProcesses.map {
            "{\"slot\": \($0.identity.slot), \"pid\": \($0.identity.pid), \"start_time\": \($0.identity.started), "
                + "\"restarts\": \($0.identity.restarts)}"
        }
        return "  \"worker_restarts\": \(s.workerRestarts),\n"
            + "  \"worker_processes\": [\(workers.joined(separator: ", "))],\n"
    }

    /// The `?auto` lines after Apache's keys: `MasterPID: N` (only under a master), `WorkerRestarts: N`.
    static func workersAuto(_ s: StatusSnapshot) -> [String] {
        (s.masterPID.map { ["MasterPID: \($0)"] } ?? []) + ["WorkerRestarts: \(s.workerRestarts)"]
    }

    /// The Prometheus families: `httpd_master_process_id` (only under a master), `httpd_worker_restarts_total`,
    /// `httpd_worker_start_time_seconds{slot}`.
    static func workerMetrics(_ s: StatusSnapshot, into out: inout String) {
        if let master = s.masterPID {
            out += "# HELP httpd_master_process_id PID of the master process, which forks and replaces the workers.\n"
            out += "# TYPE httpd_master_process_id gauge\nhttpd_master_process_id \(master)\n"
        }
        out += "# HELP httpd_worker_restarts_total Worker processes the master replaced after they died.\n"
        out += "# TYPE httpd_worker_restarts_total counter\nhttpd_worker_restarts_total \(s.workerRestarts)\n"
        out += "# HELP httpd_worker_start_time_seconds Start time of each worker process since unix epoch in seconds.\n"
        out += "# TYPE httpd_worker_start_time_seconds gauge\n"
        for w in s.workerProcesses {
            out += "httpd_worker_start_time_seconds{slot=\"\(w.identity.slot)\"} \(w.identity.started)\n"
        }
    }

    /// The HTML page's `Master` row text: `pid 474, 2 workers replaced`, or that the process serves alone.
    static func masterText(_ s: StatusSnapshot) -> String {
        guard let master = s.masterPID else { return "none: this process serves alone" }
        return "pid \(master), \(Readable.count(s.workerRestarts)) worker\(s.workerRestarts == 1 ? "" : "s") replaced"
    }

    /// The HTML page's `Worker processes` section: a table with one row per worker (slot, PID, start in local time,
    /// workers replaced before it); nothing when the snapshot has none.
    static func workersSection(_ s: StatusSnapshot) -> String {
        guard !s.workerProcesses.isEmpty else { return "" }
        let rows = s.workerProcesses.map {
            let cells = [
                "\($0.identity.slot)", "\($0.identity.pid)", $0.localStarted.formatted("%Y-%m-%d %H:%M:%S %Z"),
                Readable.count($0.identity.restarts),
            ]
            return "<tr>" + cells.map { "<td>\(HTMLEscape.escape($0))</td>" }.joined() + "</tr>\n"
        }
        return """
            <section class="workers">
            <h2>Worker processes</h2>
            <table>
            <tr><th>Slot</th><th>PID</th><th>Started</th><th>Restarts before it</th></tr>
            \(rows.joined())</table>
            </section>

            """
    }
}
