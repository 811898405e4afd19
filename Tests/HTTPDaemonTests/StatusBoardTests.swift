// The status board: its codec (round trip, the slot's bound, garbage), the merge of several workers' records
// (exact sums, sites by name, rate histories lined up), the retired store, and the shared memory across
// processes (forked children publish; one dies holding a lock).

import Testing

@testable import Config
@testable import IO
@testable import Server
@testable import Support

#if canImport(Glibc)
    import Glibc
#endif

/// A site's counters: `requests` responses, `rate` nonzero buckets (index from the oldest, count) ending at `end`.
private func boardSite(_ name: String, requests: Int, rate: [(Int, Int)] = [], end: Int = 1000) -> BoardSite {
    var site = BoardSite(name: name)
    site.requests = requests
    site.byCode = [200: requests]
    site.bodyBytes = 100 * requests
    site.responseBytes = 150 * requests
    site.durationCounts = [Int](repeating: requests, count: durationBuckets.count)
    site.durationSum = 0.25 * Double(requests)
    for (i, n) in rate { site.rate[i] = n }
    site.rateEnd = end
    return site
}

/// A worker's record with every field set, numbers scaled by `k` so that sums are easy to check.
private func record(_ k: Int, pid: Int32 = 100, sites: [BoardSite]? = nil, tls: Bool = true) -> BoardRecord {
    var r = BoardRecord()
    r.identity = BoardIdentity(
        slot: k, pid: pid, master: 99, started: 1_795_600_000 + k, restarts: k, generation: 2, draining: k % 2 == 0)
    r.gauges = BoardGauges(
        reading: k, writing: 2 * k, waiting: 3 * k, closing: 4 * k, residentBytes: 1 << 20 * k, poolSize: 4, poolBusy: k,
        poolQueued: 5 * k, maxConnections: 1024, underPressure: k == 3)
    var c = BoardCounters()
    c.connectionsAccepted = 10 * k
    c.connectionsHandled = 9 * k
    c.refusedPerClient = k
    c.evicted = 2 * k
    c.dropped = 3 * k
    c.requests = 20 * k
    c.byCode = [200: 18 * k, 304: k, 503: k]
    c.bodyBytes = 1000 * k
    c.responseBytes = 1500 * k
    c.durationCounts = (0..<durationBuckets.count).map { $0 * k }
    c.durationSum = 0.5 * Double(k)
    c.poolCompleted = 7 * k
    c.poolRejected = k
    c.poolSkipped = 2 * k
    c.queueDelaySum = 0.125 * Double(k)
    c.queueDelayCount = 7 * k
    c.cpuUserSeconds = 1.5 * Double(k)
    c.cpuSystemSeconds = 0.25 * Double(k)
    c.authFailures = k
    if tls { c.tls = BoardTLS(handshakes: 5 * k, resumed: k, versions: ["TLSv1.3": 5 * k], failures: ["no shared cipher": k]) }
    c.sites = sites ?? [boardSite("default", requests: 12 * k), boardSite("example.org", requests: 8 * k)]
    r.counters = c
    return r
}

@Suite struct BoardCodecTests {
    @Test func aRecordComesBackTheSame() throws {
        let r = record(3)
        let bytes = try #require(BoardCodec.encode(r, capacity: 64 * 1024))
        #expect(BoardCodec.decode(bytes) == r)
        var plain = record(2, tls: false)
        plain.counters.authFailures = nil
        plain.identity.pid = Int32.max
        plain.counters.sites[0].name = "ünïcødé \"site\""
        plain.counters.sites[1].rate = (0..<RateHistory.bucketCount).map { $0 * 1000 }
        #expect(BoardCodec.decode(try #require(BoardCodec.encode(plain, capacity: 64 * 1024))) == plain)
    }

    @Test func aSiteWithoutTrafficTakesLittleRoom() throws {
        let empty = BoardCodec.encode(BoardSite(name: "example.org"))
        // Name (1 + 11 bytes), requests, code count, bytes ×2, 1 + 14 durations, sum (8), rate end, 2 + 180 buckets.
        #expect(empty.count == 12 + 1 + 1 + 2 + 15 + 8 + 1 + 182)
    }

    @Test func anOversizeRecordIsCutAtAWholeSiteAndFlagged() throws {
        let sites = (0..<10).map { boardSite("site \($0)", requests: 5, rate: [(179, 5)]) }
        let r = record(1, sites: sites)
        let whole = try #require(BoardCodec.encode(r, capacity: 1 << 20))
        let siteBytes = BoardCodec.encode(sites[0]).count
        // Room for 6 sites and a half: 6 go in, flagged, never more than the capacity.
        let capacity = whole.count - 4 * siteBytes + siteBytes / 2
        let cut = try #require(BoardCodec.encode(r, capacity: capacity))
        #expect(cut.count <= capacity)
        let decoded = try #require(BoardCodec.decode(cut))
        #expect(decoded.truncated)
        #expect(decoded.counters.sites == Array(sites.prefix(6)))
        var rest = decoded
        rest.truncated = false
        rest.counters.sites = sites
        #expect(rest == r)
        #expect(try #require(BoardCodec.decode(whole)).truncated == false)
        // Not even the record without its sites fits: nothing.
        #expect(BoardCodec.encode(r, capacity: 100) == nil)
    }

    @Test func garbageAndTornRecordsDecodeToNil() throws {
        let bytes = try #require(BoardCodec.encode(record(2), capacity: 64 * 1024))
        // Every strict prefix (a torn write) and the record with a byte more.
        for n in 0..<bytes.count { #expect(BoardCodec.decode(Array(bytes.prefix(n))) == nil, "prefix \(n)") }
        #expect(BoardCodec.decode(bytes + [0]) == nil)
        // Another magic or version.
        var other = bytes
        other[3] = 2
        #expect(BoardCodec.decode(other) == nil)
        // Every byte changed in turn: nil or some record, never a trap.
        for i in bytes.indices {
            var flipped = bytes
            flipped[i] ^= 0xa5
            _ = BoardCodec.decode(flipped)
        }
        // A count far beyond the bytes left, a varint of 11 bytes, a code out of range.
        #expect(BoardCodec.decode(BoardCodec.magic + [0] + [UInt8](repeating: 0xff, count: 11)) == nil)
        var w = ByteWriter()
        w.bytes = BoardCodec.magic + [0]
        for _ in 0..<6 { w.int(1) }
        for _ in 0..<9 { w.int(0) }
        for _ in 0..<6 { w.int(0) }
        var huge = w
        huge.int(1 << 40)
        #expect(BoardCodec.decode(huge.bytes) == nil)
        var badCode = w
        badCode.int(1)
        badCode.int(600)
        badCode.int(1)
        #expect(BoardCodec.decode(badCode.bytes) == nil)
        // Pseudo-random bytes behind a valid magic.
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<2000 {
            var junk = BoardCodec.magic
            for _ in 0..<Int(seed % 300) {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                junk.append(UInt8(truncatingIfNeeded: seed >> 33))
            }
            _ = BoardCodec.decode(junk)
        }
    }

    @Test func varintsRoundTripAtTheirEdges() {
        for v in [0, 1, -1, 63, -64, 64, 127, 128, Int.max, Int.min, 1 << 35] {
            var w = ByteWriter()
            w.int(v)
            var r = ByteReader(w.bytes)
            #expect(r.int() == v)
            #expect(r.atEnd)
        }
    }
}

@Suite struct BoardMergeTests {
    @Test func countersSumExactly() {
        var total = record(1).counters
        total.add(record(2).counters, mode: .show)
        let three = record(3).counters
        // Every counter of record k is linear in k: 1 + 2 is 3.
        #expect(total == three)
    }

    @Test func sitesAddByName() {
        var mine = BoardCounters()
        mine.sites = [boardSite("default", requests: 3), boardSite("a", requests: 5), boardSite("a", requests: 7)]
        var theirs = BoardCounters()
        theirs.sites = [boardSite("gone", requests: 100), boardSite("a", requests: 10), boardSite("default", requests: 1)]
        var shown = mine
        shown.add(theirs, mode: .show)
        #expect(shown.sites.map(\.name) == ["default", "a", "a"])
        #expect(shown.sites.map(\.requests) == [4, 15, 7])
        #expect(shown.sites[1].byCode == [200: 15])
        #expect(shown.sites[1].bodyBytes == 1500)
        #expect(shown.sites[1].responseBytes == 2250)
        #expect(shown.sites[1].durationCounts == [Int](repeating: 15, count: durationBuckets.count))
        #expect(shown.sites[1].durationSum == 3.75)
        var kept = mine
        kept.add(theirs, mode: .keep)
        #expect(kept.sites.map(\.name) == ["default", "a", "a", "gone"])
        #expect(kept.sites.map(\.requests) == [4, 15, 7, 100])
    }

    @Test func rateHistoriesLineUpByBucketNumber() {
        // Mine ends with bucket 1000; theirs was published two buckets earlier (998).
        var mine = boardSite("s", requests: 1, rate: [(179, 4), (0, 1)], end: 1000)
        let theirs = boardSite("s", requests: 1, rate: [(179, 2), (178, 1), (0, 9), (1, 8), (2, 7)], end: 998)
        var shown = mine
        shown.add(theirs, mode: .show)
        var expected = [Int](repeating: 0, count: 180)
        expected[179] = 4
        expected[177] = 2
        expected[176] = 1
        expected[0] = 1 + 7  // their bucket 821 (index 2) is my index 0; their 819 and 820 are out of the window
        #expect(shown.rate == expected)
        #expect(shown.rateEnd == 1000)
        // The retired store keeps the newer end: adding mine to theirs gives the same series.
        var kept = theirs
        kept.add(mine, mode: .keep)
        #expect(kept.rate == expected)
        #expect(kept.rateEnd == 1000)
        // In show mode a newer history (which one clock never gives) keeps mine ending where it did.
        mine.add(boardSite("s", requests: 0, rate: [(179, 5), (178, 6)], end: 1001), mode: .show)
        #expect(mine.rate[179] == 4 + 6)
        // A history 180 buckets or more away adds nothing.
        #expect(BoardSite.aligned([Int](repeating: 1, count: 180), ending: 820, to: 1000) == [Int](repeating: 0, count: 180))
        #expect(BoardSite.aligned([Int](repeating: 1, count: 180), ending: 821, to: 1000)[0] == 1)
        #expect(
            BoardSite.aligned([Int](repeating: 1, count: 180), ending: Int.min, to: Int.max) == [Int](repeating: 0, count: 180))
    }

    @Test func theAnsweringWorkerShowsTotalsAndLiveGauges() {
        let own = statusSnapshot()
        var other = record(2, pid: 201)
        other.counters.sites = [boardSite("example.org", requests: 4)]
        let dead = record(1, pid: 202)
        var retired = BoardCounters()
        retired.requests = 1000
        retired.byCode = [200: 1000]
        retired.authFailures = 5
        retired.sites = [boardSite("default", requests: 1000)]
        let view = BoardView(others: [(other, true), (dead, false)], retired: retired)
        let me = BoardIdentity(slot: 0, pid: 10, master: 1, started: 1_795_600_800, restarts: 0, generation: 1)
        let (s, workers) = own.aggregated(own: me, with: view)
        #expect(workers.map(\.pid) == [10, 201])
        #expect(s.requests == 2 + 40 + 20 + 1000)
        #expect(s.byCode == [200: 2 + 36 + 18 + 1000, 304: 3, 503: 3])
        #expect(s.connectionsAccepted == 3 + 20 + 10)
        #expect(s.cpuUserSeconds == 0.25 + 3 + 1.5)
        #expect(s.durationCounts == (0..<durationBuckets.count).map { 2 + 3 * $0 })
        // Gauges: mine and the live worker's only.
        #expect(s.writing == 1 + 4)
        #expect(s.reading == 0 + 2)
        #expect(s.residentBytes == 4_194_304 + 2 << 20)
        #expect(s.workers == 4 + 4)
        #expect(s.workersQueued == 0 + 10)
        #expect(s.maxConnections == 4 + 1024)
        #expect(s.underPressure == false)
        // This process's own: PID, start, configuration.
        #expect(s.pid == 10)
        #expect(s.startTime == 1_795_600_800)
        // Sites by name among mine: default gets the retired 1000, example.org the other workers' 4 + 8.
        #expect(s.sites.map(\.name) == ["default", "example.org"])
        #expect(s.sites.map(\.requests) == [1 + 1000 + 12, 2 + 4 + 8])
        // Authentication failures appear once some worker counts them; TLS only where this worker serves it.
        #expect(s.authFailures == 5 + 2 + 1)
        #expect(s.tls == nil)
    }

    @Test func apacheRatesDivideTheTotalsByTheTimeTheyWereCountedOver() {
        var s = statusSnapshot()
        #expect(StatusPages.auto(s).contains("\nUptime: 3600\nReqPerSec: 0.000556\nBytesPerSec: 0.568889\n"))
        // On a board the totals count since the master made it, two hours ago; Uptime stays this process's.
        s.countersSince = s.now - 7200
        #expect(StatusPages.auto(s).contains("\nUptime: 3600\nReqPerSec: 0.000278\nBytesPerSec: 0.284444\n"))
        // Apache's Processes: the worker processes the answer adds up.
        #expect(StatusPages.auto(s).contains("\nProcesses: 1\n"))
        let worker = WorkerProcessStatus(
            WorkerIdentity(pid: 10, master: 1, started: s.startTime, restarts: 0), localStarted: s.localStartTime)
        s.workerProcesses = [worker, worker, worker]
        #expect(StatusPages.auto(s).contains("\nProcesses: 3\n"))
    }
}

/// The answering worker's snapshot: 2 requests, two sites (default with 1, example.org with 2).
private func statusSnapshot() -> StatusSnapshot {
    let noon = LocalTime(
        year: 126, month: 10, day: 25, hour: 12, minute: 0, second: 0, weekday: 3, yearDay: 328, isDST: 0, utcOffset: 3600,
        zone: "CET")
    var s = StatusSnapshot(
        version: "0.1.0", mode: .standalone, pid: 10, ppid: 1, now: 1_795_604_400, startTime: 1_795_600_800, localNow: noon,
        localStartTime: noon, localLastReload: nil, loadAverage: LoadAverage(one: 0, five: 0, fifteen: 0),
        uptime: 3600, generation: 1, lastReload: nil, draining: false, connectionsAccepted: 3, connectionsHandled: 2,
        connectionsRefusedPerClient: 0, connectionsEvicted: 0, connectionsDropped: 0, underPressure: false,
        reading: 0, writing: 1, waiting: 0, closing: 0, requests: 2, byCode: [200: 2], bodyBytes: 2048, responseBytes: 2400,
        durationCounts: [Int](repeating: 2, count: durationBuckets.count), durationSum: 0.002, workers: 4, workersBusy: 0,
        workersQueued: 0, workersCompleted: 1, workersRejected: 0, workersSkipped: 0, queueDelaySum: 0.0001, queueDelayCount: 1,
        residentBytes: 4_194_304, cpuUserSeconds: 0.25, cpuSystemSeconds: 0.125, maxConnections: 4)
    for (name, n) in [("default", 1), ("example.org", 2)] {
        var site = SiteStatus(
            name: name, aliases: [], root: "/srv", requests: n, byCode: [200: n], bodyBytes: 0, responseBytes: 0,
            durationCounts: [Int](repeating: n, count: durationBuckets.count), durationSum: 0,
            rateCounts: [Int](repeating: 0, count: 180), rateBucketSeconds: 5, rateElapsed: 1)
        site.rateEndBucket = 1000
        s.sites.append(site)
    }
    return s
}

/// Forks a child that runs `body` (async-signal-safe work only: the test runner has other threads) and exits
/// with status 0; returns the child's wait status.
private func inChild(_ body: () -> Void) -> Int32 {
    let pid = fork()
    if pid == 0 {
        body()
        _exit(0)
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return status
}

@Suite struct StatusBoardTests {
    @Test func slotsAreReservedPublishedReadAndRetired() throws {
        let board = try #require(StatusBoard(slots: 3, slotBytes: 8192))
        #expect(StatusBoard.slots(forWorkers: 1) == 5)
        #expect(StatusBoard.slots(forWorkers: 4) == 17)
        let a = try #require(board.reserveSlot())
        let b = try #require(board.reserveSlot())
        let c = try #require(board.reserveSlot())
        #expect([a, b, c] == [0, 1, 2])
        #expect(board.reserveSlot() == nil)
        #expect(board.publish(record(1, pid: 101), slot: a) == .published)
        #expect(board.publish(record(2, pid: 102), slot: b) == .published)
        // Slot c is reserved, nothing published: not read.
        let view = try #require(board.read(excluding: nil))
        #expect(view.others.map(\.record.identity.pid) == [101, 102])
        #expect(view.others.map(\.live) == [true, true])
        #expect(view.retired == nil)
        // Retiring moves the counts: the totals stay the same and the slot is free again.
        #expect(board.retire(slot: a))
        let after = try #require(board.read(excluding: nil))
        #expect(after.others.map(\.record.identity.pid) == [102])
        var total = try #require(after.retired)
        total.add(after.others[0].record.counters, mode: .keep)
        #expect(total == record(3).counters)
        #expect(board.reserveSlot() == a)
        // A retired slot cannot be published in by the worker that had it.
        #expect(board.retire(slot: b))
        #expect(board.publish(record(2, pid: 102), slot: b) == .refused)
        #expect(board.read(excluding: nil)?.retired == record(3).counters)
        // The reader leaves its own slot out.
        #expect(board.publish(record(1, pid: 103), slot: a) == .published)
        #expect(board.read(excluding: a)?.others.isEmpty == true)
        #expect(board.retire(slot: 7) == false)
    }

    @Test func theRetiredStoreKeepsEverySiteByName() throws {
        let board = try #require(StatusBoard(slots: 2, slotBytes: 8192))
        for (i, names) in [["default", "a"], ["default", "b"], ["b", "a"]].enumerated() {
            let slot = try #require(board.reserveSlot())
            let sites = names.map { boardSite($0, requests: i + 1, rate: [(179, i + 1)], end: 1000 + i) }
            #expect(board.publish(record(1, sites: sites), slot: slot) == .published)
            #expect(board.retire(slot: slot))
        }
        let retired = try #require(board.read(excluding: nil)?.retired)
        #expect(retired.sites.map(\.name) == ["default", "a", "b"])
        #expect(retired.sites.map(\.requests) == [1 + 2, 1 + 3, 2 + 3])
        #expect(retired.requests == 60)
        // Rate buckets: the first worker counted into bucket 1000, the second 1001, the third 1002; each site's
        // history ends with the newest of its own.
        #expect(retired.sites.map(\.rateEnd) == [1001, 1002, 1002])
        #expect(Array(retired.sites[0].rate.suffix(3)) == [0, 1, 2])
        #expect(Array(retired.sites[1].rate.suffix(3)) == [1, 0, 3])
        #expect(Array(retired.sites[2].rate.suffix(3)) == [0, 2, 3])
    }

    @Test func anOversizeRecordIsPublishedCut() throws {
        let board = try #require(StatusBoard(slots: 1, slotBytes: 1024))
        let slot = try #require(board.reserveSlot())
        let sites = (0..<20).map { boardSite("site \($0)", requests: 1) }
        #expect(board.publish(record(1, sites: sites), slot: slot) == .truncated)
        let read = try #require(board.read(excluding: nil)?.others.first?.record)
        #expect(read.truncated)
        #expect(!read.counters.sites.isEmpty && read.counters.sites == Array(sites.prefix(read.counters.sites.count)))
        #expect(read.counters.requests == 20)
    }

    @Test func garbageInASlotIsLeftOut() throws {
        let board = try #require(StatusBoard(slots: 2, slotBytes: 1024))
        let a = try #require(board.reserveSlot())
        let b = try #require(board.reserveSlot())
        #expect(board.publish(record(1, pid: 101), slot: a) == .published)
        #expect(board.publish(bytes: UnsafeRawBufferPointer(start: nil, count: 0), slot: b) == .published)
        let junk: [UInt8] = BoardCodec.magic + [UInt8](repeating: 0xee, count: 200)
        #expect(junk.withUnsafeBytes { board.publish(bytes: $0, slot: b) } == .published)
        #expect(board.read(excluding: nil)?.others.map(\.record.identity.pid) == [101])
        // Damage behind the checksum's back: the active buffer no longer matches it.
        #expect(board.publish(record(2, pid: 102), slot: b) == .published)
        let active = Int(board.field(b + 1, StatusBoard.activeOffset))
        board.buffer(b + 1, active).storeBytes(of: 0x5a, toByteOffset: 10, as: UInt8.self)
        #expect(board.read(excluding: nil)?.others.map(\.record.identity.pid) == [101])
        // Retiring a slot whose record is garbage frees it and adds nothing.
        #expect(board.retire(slot: b))
        #expect(board.read(excluding: nil)?.retired == nil)
    }

    @Test func workersPublishingFromOtherProcessesAreSummed() throws {
        let board = try #require(StatusBoard(slots: StatusBoard.slots(forWorkers: 3), slotBytes: 8192))
        // Each child publishes bytes encoded before the fork (a forked child of a threaded process must not allocate).
        var statuses: [Int32] = []
        for k in 1...3 {
            let slot = try #require(board.reserveSlot())
            let bytes = try #require(BoardCodec.encode(record(k, pid: Int32(200 + k)), capacity: board.slotBytes))
            statuses.append(bytes.withUnsafeBytes { raw in inChild { _ = board.publish(bytes: raw, slot: slot) } })
        }
        #expect(statuses == [0, 0, 0])
        let view = try #require(board.read(excluding: nil))
        #expect(view.others.map(\.record.identity.pid) == [201, 202, 203])
        var total = BoardCounters()
        for other in view.others { total.add(other.record.counters, mode: .keep) }
        #expect(total.requests == 120)
        #expect(total.sites.map(\.requests) == [72, 48])
        // The master reaps the second one: its counts move, the totals do not change.
        #expect(board.retire(slot: 1))
        let after = try #require(board.read(excluding: nil))
        var again = after.retired ?? BoardCounters()
        for other in after.others { again.add(other.record.counters, mode: .keep) }
        #expect(after.others.map(\.record.identity.pid) == [201, 203])
        #expect(again.requests == 120)
        #expect(again.byCode == total.byCode)
    }

    @Test func aWorkerThatDiesHoldingTheLockLeavesItsLastRecord() throws {
        let board = try #require(StatusBoard(slots: 2, slotBytes: 8192))
        let slot = try #require(board.reserveSlot())
        #expect(board.publish(record(1, pid: 101), slot: slot) == .published)
        let half = try #require(BoardCodec.encode(record(2, pid: 102), capacity: board.slotBytes))
        // The child locks the slot, writes half a record into the inactive buffer, and dies without unlocking.
        let status = half.withUnsafeBytes { raw in
            inChild {
                guard board.lock(slot + 1, timeout: 1) else { _exit(3) }
                let inactive = 1 - Int(board.field(slot + 1, StatusBoard.activeOffset))
                board.buffer(slot + 1, inactive).copyMemory(from: raw.baseAddress!, byteCount: raw.count / 2)
                _exit(0)
            }
        }
        #expect(status == 0)
        // The next locker gets EOWNERDEAD, makes the mutex consistent and reads the last whole record.
        #expect(board.read(excluding: nil)?.others.map(\.record.identity.pid) == [101])
        #expect(board.publish(record(2, pid: 102), slot: slot) == .published)
        #expect(board.read(excluding: nil)?.others.map(\.record.identity.pid) == [102])
        // A child that dies holding the retired store's lock does not stop the master retiring.
        #expect(inChild { _ = board.lock(0, timeout: 1) } == 0)
        #expect(board.retire(slot: slot))
        #expect(board.read(excluding: nil)?.retired == record(2).counters)
    }

    @Test func aLockHeldElsewhereTimesOut() throws {
        let board = try #require(StatusBoard(slots: 1, slotBytes: 1024))
        let slot = try #require(board.reserveSlot())
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        // The child holds the retired store's lock until the parent writes a byte.
        let pid = fork()
        if pid == 0 {
            _ = board.lock(0, timeout: 1)
            var byte: UInt8 = 0
            _ = read(fds[0], &byte, 1)
            _exit(0)
        }
        usleep(100_000)
        #expect(board.read(excluding: nil) == nil)
        #expect(board.publish(record(1), slot: slot) == .published)
        #expect(board.retire(slot: slot) == false)
        var byte: UInt8 = 1
        _ = write(fds[1], &byte, 1)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        // The slot was marked dead: counted, not live; the next reservation moves it.
        let view = try #require(board.read(excluding: nil))
        #expect(view.others.map(\.live) == [false])
        #expect(board.reserveSlot() == slot)
        #expect(board.read(excluding: nil)?.retired == record(1).counters)
    }
}

@Suite struct ServerOnABoardTests {
    /// A server without listeners serving /tmp, its error log on stderr for errors only.
    static func server() throws -> Server {
        var config = Configuration()
        config.documentRoot = "/tmp"
        let settings = try ServerSettings.make(config)
        return try Server(
            loop: try EventLoop(), settings: settings, listeners: [], log: try ErrorLog(level: .error), accessLog: nil)
    }

    @Test func withoutABoardTheServerShowsItsOwnCounters() throws {
        let server = try Self.server()
        server.stats.recordResponse(code: 200, bodyBytes: 10, totalBytes: 100, seconds: 0.001)
        let s = server.statusSnapshot()
        #expect(s.requests == 1)
        #expect(s.countersSince == nil)
        #expect(s.maxConnections == server.config.maxConnections)
    }

    @Test func onABoardTheServerShowsEveryWorkersTotals() throws {
        let server = try Self.server()
        let board = try #require(StatusBoard(slots: 3, slotBytes: 16384))
        let mine = try #require(board.reserveSlot())
        let other = try #require(board.reserveSlot())
        #expect(board.publish(record(2, pid: 202, sites: [boardSite("default", requests: 24)]), slot: other) == .published)
        try server.publishStatus(on: board, slot: mine)
        // Attaching publishes at once: another worker sees this one.
        let seen = try #require(board.read(excluding: other)?.others.first?.record)
        #expect(seen.identity == BoardIdentity(slot: 0, pid: getpid(), master: 0, started: server.startTime, restarts: 0))
        server.stats.recordResponse(code: 200, bodyBytes: 10, totalBytes: 100, seconds: 0.001)
        server.siteStats[0].record(code: 200, bodyBytes: 10, totalBytes: 100, seconds: 0.001, now: 1)
        for _ in 0..<2 {
            // Asked twice: this worker's counts are its live ones, never added a second time from its slot.
            let s = server.statusSnapshot()
            #expect(s.requests == 1 + 40)
            #expect(s.byCode == [200: 1 + 36, 304: 2, 503: 2])
            #expect(s.sites.map(\.requests) == [1 + 24])
            #expect(s.maxConnections == server.config.maxConnections + 1024)
            #expect(s.countersSince == board.created)
            #expect(s.pid == getpid())
            // Every live worker in slot order: this one (slot 0, no master here), then the other (slot 2, pid 202).
            #expect(s.workerProcesses.map(\.identity.pid) == [getpid(), 202])
            #expect(s.workerProcesses.map(\.identity.slot) == [0, 2])
            #expect(s.workerProcesses.map(\.identity.restarts) == [0, 2])
            #expect(s.workerProcesses.map(\.identity.master) == [nil, 99])
            #expect(s.masterPID == 99)
            #expect(s.workerRestarts == 2)
        }
        // The other worker ends: the master retires its slot, the totals stay.
        #expect(board.retire(slot: other))
        #expect(server.statusSnapshot().requests == 41)
        #expect(server.statusSnapshot().maxConnections == server.config.maxConnections)
        #expect(server.statusSnapshot().workerProcesses.map(\.identity.pid) == [getpid()])
    }
}
