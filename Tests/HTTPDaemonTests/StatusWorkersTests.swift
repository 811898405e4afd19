// The worker processes in every status format, from a snapshot (no socket): the master's PID only under a
// master, the restarts it counted, each worker's slot, PID, start and restarts.

import Testing

@testable import Server
@testable import Support

/// `snapshot()` (pid 10, started 1_795_600_800, 11:00 CET) as slot 0 of master 7 after `restarts` replaced
/// workers, or serving alone when `master` is nil.
private func worker(master: Int32? = 7, restarts: Int = 2) -> StatusSnapshot {
    var s = snapshot()
    let identity = WorkerIdentity(pid: 10, master: master, started: 1_795_600_800, restarts: restarts)
    s.workerProcesses = [WorkerProcessStatus(identity, localStarted: s.localStartTime)]
    return s
}

@Suite struct StatusWorkersTests {
    @Test func jsonNamesTheMasterAndEachWorker() {
        #expect(
            StatusPages.json(worker()).hasPrefix(
                """
                {
                  "version": "0.1.0",
                  "mode": "standalone",
                  "pid": 10,
                  "ppid": 1,
                  "master_pid": 7,
                  "start_time": 1795600800,
                  "uptime_seconds": 3600,
                  "worker_restarts": 2,
                  "worker_processes": [{"slot": 0, "pid": 10, "start_time": 1795600800, "restarts": 2}],
                  "draining": false,

                """))
    }

    @Test func jsonWithoutAMasterLeavesMasterPIDOut() {
        #expect(
            StatusPages.json(worker(master: nil, restarts: 0)).hasPrefix(
                """
                {
                  "version": "0.1.0",
                  "mode": "standalone",
                  "pid": 10,
                  "ppid": 1,
                  "start_time": 1795600800,
                  "uptime_seconds": 3600,
                  "worker_restarts": 0,
                  "worker_processes": [{"slot": 0, "pid": 10, "start_time": 1795600800, "restarts": 0}],
                  "draining": false,

                """))
        #expect(StatusPages.json(snapshot()).contains("\n  \"worker_restarts\": 0,\n  \"worker_processes\": [],\n"))
    }

    @Test func autoEndsWithTheMasterAndItsRestarts() {
        #expect(StatusPages.auto(worker()).hasSuffix("\nScoreboard: W___\nMasterPID: 7\nWorkerRestarts: 2\n"))
        #expect(StatusPages.auto(worker(master: nil, restarts: 0)).hasSuffix("\nScoreboard: W___\nWorkerRestarts: 0\n"))
    }

    @Test func metricsCountRestartsAndGiveEachWorkersStart() {
        #expect(
            StatusPages.prometheus(worker()).contains(
                """
                httpd_parent_process_id 1
                # HELP httpd_master_process_id PID of the master process, which forks and replaces the workers.
                # TYPE httpd_master_process_id gauge
                httpd_master_process_id 7
                # HELP httpd_worker_restarts_total Worker processes the master replaced after they died.
                # TYPE httpd_worker_restarts_total counter
                httpd_worker_restarts_total 2
                # HELP httpd_worker_start_time_seconds Start time of each worker process since unix epoch in seconds.
                # TYPE httpd_worker_start_time_seconds gauge
                httpd_worker_start_time_seconds{slot="0"} 1795600800
                # HELP httpd_draining 1 while a graceful stop is in progress.
                """))
        let alone = StatusPages.prometheus(worker(master: nil, restarts: 0))
        #expect(!alone.contains("httpd_master_process_id"))
        #expect(alone.contains("\nhttpd_worker_restarts_total 0\n"))
    }

    @Test func htmlHasAMasterRowAndAWorkersTable() {
        let html = StatusPages.html(worker(), refresh: nil)
        #expect(
            html.contains(
                "<tr><th>PID / parent PID</th><td>10 / 1</td></tr>\n<tr><th>Master</th><td>pid 7, 2 workers replaced</td></tr>\n")
        )
        #expect(
            html.contains(
                """
                </table>
                <section class="workers">
                <h2>Worker processes</h2>
                <table>
                <tr><th>Slot</th><th>PID</th><th>Started</th><th>Restarts before it</th></tr>
                <tr><td>0</td><td>10</td><td>2026-11-25 11:00:00 CET</td><td>2</td></tr>
                </table>
                </section>
                <p>Also as
                """))
        #expect(StatusPages.html(worker(restarts: 1), refresh: nil).contains("<td>pid 7, 1 worker replaced</td>"))
        let alone = StatusPages.html(worker(master: nil, restarts: 0), refresh: nil)
        #expect(alone.contains("<tr><th>Master</th><td>none: this process serves alone</td></tr>\n"))
        #expect(!StatusPages.html(snapshot(), refresh: nil).contains("<section class=\"workers\">"))
    }

    @Test func theNewestWorkerKnowsEveryRestart() {
        // Each worker is told the master's count when it is forked: the highest is the total.
        var s = snapshot()
        s.workerProcesses = [
            WorkerProcessStatus(
                WorkerIdentity(slot: 0, pid: 20, master: 7, started: 100, restarts: 1), localStarted: s.localStartTime),
            WorkerProcessStatus(
                WorkerIdentity(slot: 1, pid: 21, master: 7, started: 200, restarts: 3), localStarted: s.localStartTime),
        ]
        #expect(s.workerRestarts == 3 && s.masterPID == 7)
        #expect(
            StatusPages.json(s).contains(
                "\"worker_processes\": [{\"slot\": 0, \"pid\": 20, \"start_time\": 100, \"restarts\": 1}, "
                    + "{\"slot\": 1, \"pid\": 21, \"start_time\": 200, \"restarts\": 3}],\n"))
        #expect(
            StatusPages.prometheus(s).contains(
                "httpd_worker_start_time_seconds{slot=\"0\"} 100\nhttpd_worker_start_time_seconds{slot=\"1\"} 200\n"))
        #expect(snapshot().workerRestarts == 0 && snapshot().masterPID == nil)
    }
}
