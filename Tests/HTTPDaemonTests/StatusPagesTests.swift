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

/// A snapshot of a process that started at 11:00 CET and serves alone (StatusWorkersTests adds its workers).
func snapshot(mode: ServiceMode = .standalone) -> StatusSnapshot {
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

/// A site with 13 requests: 12 × 200 and a 404, ten of them in the bucket before the one under way.
private func site(_ name: String = "example.org") -> SiteStatus {
    SiteStatus(
        name: name, aliases: ["www.example.org"], root: "/srv/example", requests: 13, byCode: [200: 12, 404: 1],
        bodyBytes: 1536, responseBytes: 2048, durationCounts: [10, 12, 12, 12, 12] + [Int](repeating: 13, count: 9),
        durationSum: 0.05, rateCounts: [Int](repeating: 0, count: 178) + [10, 3], rateBucketSeconds: 5, rateElapsed: 2)
}

@Suite struct StatusPagesNumbersTests {
    @Test func htmlNumbersAreRoundedForReading() {
        let html = StatusPages.html(snapshot(), refresh: nil)
        for row in [
            "<tr><th>Uptime</th><td>1 h</td></tr>",
            "<tr><th>Active connections</th><td>1 (reading 0, writing 1, waiting 0, closing 0) of 4</td></tr>",
            "<tr><th>Requests</th><td>2 (1xx 0, 2xx 2, 3xx 0, 4xx 0, 5xx 0)</td></tr>",
            "<tr><th>Bytes sent</th><td>2.3 KiB (bodies 2 KiB)</td></tr>",
            "<tr><th>Mean request duration</th><td>1 ms</td></tr>",
            "<tr><th>Worker pool</th><td>4 workers, 0 busy, 0 queued, 1 completed, 5 refused (queue full), 7 skipped (client gone), "
                + "mean queue delay 100 µs</td></tr>",
            "<tr><th>Resident memory</th><td>4 MiB</td></tr>",
            "<tr><th>CPU time</th><td>user 250 ms, system 125 ms</td></tr>",
        ] {
            #expect(html.contains(row + "\n"), "\(row)")
        }
        var busy = snapshot()
        busy.requests = 1_234_567
        busy.byCode = [200: 1_234_000, 503: 567]
        busy.responseBytes = 12_897_485
        busy.bodyBytes = 2_147_483_648
        busy.durationSum = 0.002_401_388 * 1_234_567
        busy.uptime = 183_659
        let page = StatusPages.html(busy, refresh: nil)
        #expect(page.contains("<tr><th>Requests</th><td>1,234,567 (1xx 0, 2xx 1,234,000, 3xx 0, 4xx 0, 5xx 567)</td></tr>\n"))
        #expect(page.contains("<tr><th>Bytes sent</th><td>12.3 MiB (bodies 2 GiB)</td></tr>\n"))
        #expect(page.contains("<tr><th>Mean request duration</th><td>2.4 ms</td></tr>\n"))
        #expect(page.contains("<tr><th>Uptime</th><td>2 d 3 h</td></tr>\n"))
        #expect(!page.contains("2.401388"))
    }

    @Test func refreshIsKept() {
        var s = snapshot()
        s.sites = [site()]
        #expect(
            StatusPages.html(s, refresh: 5).contains(
                "<head><meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" content=\"5\">\n"))
        #expect(!StatusPages.html(s, refresh: nil).contains("http-equiv"))
    }
}

@Suite struct StatusPagesSitesTests {
    @Test func failedLoginsAppearOnlyWhereAPasswordIsAsked() {
        var s = snapshot()
        #expect(!StatusPages.json(s).contains("\"auth\""))
        #expect(!StatusPages.prometheus(s).contains("httpd_auth_failures_total"))
        #expect(!StatusPages.html(s, refresh: nil).contains("Failed logins"))
        s.authFailures = 1234
        #expect(StatusPages.json(s).contains(",\n  \"auth\": {\"failures\": 1234}"))
        #expect(
            StatusPages.prometheus(s).contains(
                "# HELP httpd_auth_failures_total Basic-authentication logins refused (wrong password, unknown user, not admitted by Require).\n"
                    + "# TYPE httpd_auth_failures_total counter\nhttpd_auth_failures_total 1234\n"))
        #expect(
            StatusPages.html(s, refresh: nil).contains("<tr><th>Failed logins (Basic authentication)</th><td>1,234</td></tr>"))
    }

    @Test func htmlHasASectionWithTwoChartsPerSite() {
        var s = snapshot()
        s.sites = [site(), site("b.example")]
        let html = StatusPages.html(s, refresh: nil)
        #expect(html.ranges(of: "<section class=\"site\">").count == 2)
        #expect(html.ranges(of: "<svg ").count == 4)
        #expect(
            html.ranges(of: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart rate\" width=\"640\" height=\"160\" ").count
                == 2)
        #expect(html.ranges(of: "</svg>").count == 4)
        #expect(!html.contains("<script"))
        #expect(
            html.contains(
                """
                <section class="site">
                <h2>Site example.org</h2>
                <table>
                <tr><th>Aliases</th><td>www.example.org</td></tr>
                <tr><th>Document root</th><td>/srv/example</td></tr>
                <tr><th>Requests</th><td>13 (1xx 0, 2xx 12, 3xx 0, 4xx 1, 5xx 0)</td></tr>
                <tr><th>Last 15 minutes</th><td>13 requests; peak 2 req/s, now 1.5 req/s (5 s buckets)</td></tr>
                <tr><th>Bytes sent</th><td>2 KiB (bodies 1.5 KiB)</td></tr>
                <tr><th>Mean request duration</th><td>3.8 ms</td></tr>
                </table>
                <h3>Requests per second, last 15 minutes</h3>

                """))
        // The two last buckets: 2 req/s (the full height of a 2 req/s scale), then 1.5 req/s.
        #expect(html.contains("<path d=\"M70,132h534V12h3V42h3V132Z\""))
        #expect(html.contains("<h2>Site b.example</h2>"))
        #expect(html.contains("<text x=\"516\" y=\"15\">10 (76.9 %)</text>"))
    }

    @Test func aHostileSiteNameIsEscapedEverywhere() {
        var s = snapshot()
        s.sites = [site("<img src=x onerror=alert(1)>\"a\\b\nc")]
        let html = StatusPages.html(s, refresh: nil)
        #expect(!html.contains("<img"))
        #expect(html.contains("<h2>Site &lt;img src=x onerror=alert(1)&gt;&quot;a\\b\nc</h2>"))
        let json = StatusPages.json(s)
        #expect(json.contains("{\"name\": \"<img src=x onerror=alert(1)>\\\"a\\\\b\\u000ac\", \"aliases\""))
        let metrics = StatusPages.prometheus(s)
        #expect(metrics.contains("httpd_site_requests_total{site=\"<img src=x onerror=alert(1)>\\\"a\\\\b\\nc\"} 13\n"))
    }

    @Test func jsonHasEverySitesCounters() {
        var s = snapshot()
        #expect(StatusPages.json(s).contains("\n  \"sites\": []\n}\n"))
        s.sites = [site()]
        let zeros = String(repeating: "0, ", count: 178)
        #expect(
            StatusPages.json(s).contains(
                """
                  "sites": [
                    {"name": "example.org", "aliases": ["www.example.org"], "root": "/srv/example",
                     "requests": {"total": 13, "by_class": {"1xx": 0, "2xx": 12, "3xx": 0, "4xx": 1, "5xx": 0}, "by_code": {"200": 12, "404": 1}},
                     "bytes": {"body": 1536, "response": 2048},
                     "request_duration_seconds": {"sum": 0.05, "count": 13, "buckets": {"0.0005": 10, "0.001": 12, "0.0025": 12, \
                "0.005": 12, "0.01": 12, "0.025": 13, "0.05": 13, "0.1": 13, "0.25": 13, "0.5": 13, "1": 13, "2.5": 13, "5": 13, "10": 13, \
                "+Inf": 13}},
                     "rate": {"bucket_seconds": 5, "elapsed_seconds": 2, "counts": [\(zeros)10, 3]}}
                  ]
                }

                """))
    }

    @Test func metricsHaveASiteLabel() {
        var s = snapshot()
        s.sites = [site(), site("b")]
        let metrics = StatusPages.prometheus(s)
        #expect(
            metrics.contains(
                """
                # HELP httpd_site_requests_total Responses sent, by site.
                # TYPE httpd_site_requests_total counter
                httpd_site_requests_total{site="example.org"} 13
                httpd_site_requests_total{site="b"} 13
                # HELP httpd_site_responses_total Responses sent, by site and status code.
                # TYPE httpd_site_responses_total counter
                httpd_site_responses_total{site="example.org",code="200"} 12
                httpd_site_responses_total{site="example.org",code="404"} 1
                httpd_site_responses_total{site="b",code="200"} 12
                httpd_site_responses_total{site="b",code="404"} 1
                # HELP httpd_site_response_bytes_total Response bytes sent (head and body), by site.
                # TYPE httpd_site_response_bytes_total counter
                httpd_site_response_bytes_total{site="example.org"} 2048
                httpd_site_response_bytes_total{site="b"} 2048
                # HELP httpd_site_response_body_bytes_total Response body bytes sent, by site.
                # TYPE httpd_site_response_body_bytes_total counter
                httpd_site_response_body_bytes_total{site="example.org"} 1536
                httpd_site_response_body_bytes_total{site="b"} 1536
                # HELP httpd_site_request_duration_seconds Time from a complete request head to the response handed to the kernel, by site.
                # TYPE httpd_site_request_duration_seconds histogram
                httpd_site_request_duration_seconds_bucket{site="example.org",le="0.0005"} 10
                httpd_site_request_duration_seconds_bucket{site="example.org",le="0.001"} 12

                """))
        #expect(
            metrics.contains(
                """
                httpd_site_request_duration_seconds_bucket{site="b",le="10"} 13
                httpd_site_request_duration_seconds_bucket{site="b",le="+Inf"} 13
                httpd_site_request_duration_seconds_sum{site="b"} 0.05
                httpd_site_request_duration_seconds_count{site="b"} 13
                # HELP httpd_worker_pool_size Workers
                """))
        #expect(metrics.ranges(of: "httpd_site_request_duration_seconds_bucket{").count == 30)
    }
}
