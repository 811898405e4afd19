// The status renderers are pure: the same snapshot gives the same text (load average and local
// times included), and the worker pool's warm-up is no job.

import Testing

@testable import Config
@testable import HTTPCore
@testable import IO
@testable import Server
@testable import Support

#if canImport(Glibc)
    import Glibc
#endif

private func snapshot(mode: ServiceMode = .standalone) -> StatusSnapshot {
    let noon = LocalTime(
        year: 126, month: 10, day: 25, hour: 12, minute: 0, second: 0, weekday: 3, yearDay: 328, isDST: 0, utcOffset: 3600,
        zone: "CET")
    var start = noon
    start.hour = 11
    return StatusSnapshot(
        version: "0.1.0", mode: mode, pid: 10, ppid: 1, now: 1_795_604_400, startTime: 1_795_600_800, localNow: noon,
        localStartTime: start, localLastReload: nil, loadAverage: LoadAverage(one: 0.5, five: 0.25, fifteen: 2),
        uptime: 3600, generation: 1, lastReload: nil, draining: false, connectionsAccepted: 3, connectionsHandled: 2,
        connectionsRefusedPerClient: 11, connectionsEvicted: 13, connectionsDropped: 17, underPressure: true,
        reading: 0, writing: 1, waiting: 0, closing: 0, requests: 2, byCode: [200: 2], bodyBytes: 2048, responseBytes: 2400,
        durationCounts: [Int](repeating: 2, count: durationBuckets.count), durationSum: 0.002, workers: 4, workersBusy: 0,
        workersQueued: 0, workersCompleted: 1, workersRejected: 5, workersSkipped: 7, queueDelaySum: 0.0001, queueDelayCount: 1,
        residentBytes: 4_194_304,
        cpuUserSeconds: 0.25, cpuSystemSeconds: 0.125, maxConnections: 4)
}

@Suite struct StatusPagesTests {
    @Test func autoShowsTheSnapshotsLoadAndTimes() {
        let text = StatusPages.auto(snapshot())
        #expect(text.contains("\nCurrentTime: Wednesday, 25-Nov-2026 12:00:00 CET\n"))
        #expect(text.contains("\nRestartTime: Wednesday, 25-Nov-2026 11:00:00 CET\n"))
        #expect(text.contains("\nLoad1: 0.5\nLoad5: 0.25\nLoad15: 2\n"))
        #expect(StatusPages.auto(snapshot()) == text)
    }

    @Test func modeIsNamedInEveryFormat() {
        let s = snapshot(mode: .inetd)
        #expect(StatusPages.json(s).contains("\"mode\": \"inetd\""))
        #expect(StatusPages.prometheus(s).contains("httpd_info{version=\"0.1.0\",mode=\"inetd\"} 1\n"))
        #expect(StatusPages.html(s, refresh: nil).contains("<th>Mode</th><td>inetd</td>"))
        #expect(StatusPages.html(s, refresh: nil).contains("<th>Started</th><td>2026-11-25 11:00:00 CET</td>"))
    }

    @Test func warmUpIsNoJob() {
        let pool = WorkerPool(size: 2, limit: 8, wakeup: WakeupSignal(fd: -1))
        pool.warmUp()
        usleep(50_000)
        #expect(pool.drain().isEmpty)
        #expect(pool.counts.completed == 0)
    }

    @Test func refusedAndSkippedLookupsAreShown() {
        let s = snapshot()
        #expect(StatusPages.json(s).contains("\"rejected\": 5, \"skipped\": 7,"))
        let metrics = StatusPages.prometheus(s)
        #expect(metrics.contains("# TYPE httpd_worker_pool_rejected_total counter\nhttpd_worker_pool_rejected_total 5\n"))
        #expect(metrics.contains("# TYPE httpd_worker_pool_skipped_total counter\nhttpd_worker_pool_skipped_total 7\n"))
        #expect(StatusPages.html(s, refresh: nil).contains("5 refused (queue full), 7 skipped (client gone)"))
    }

    @Test func crowdControlIsShown() {
        let s = snapshot()
        #expect(
            StatusPages.json(s).contains(
                "\"refused_per_client\": 11, \"evicted\": 13, \"dropped_under_pressure\": 17, \"under_pressure\": true}"))
        let metrics = StatusPages.prometheus(s)
        #expect(metrics.contains("# TYPE httpd_connections_refused_total counter\nhttpd_connections_refused_total 11\n"))
        #expect(metrics.contains("# TYPE httpd_connections_evicted_total counter\nhttpd_connections_evicted_total 13\n"))
        #expect(metrics.contains("# TYPE httpd_connections_dropped_total counter\nhttpd_connections_dropped_total 17\n"))
        #expect(metrics.contains("# TYPE httpd_under_pressure gauge\nhttpd_under_pressure 1\n"))
        #expect(
            StatusPages.html(s, refresh: nil).contains(
                "under pressure (request heads get 2 s); 11 refused (per client), 13 evicted, 17 dropped (slow heads)"))
    }
}
