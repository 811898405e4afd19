// HeadQueue: oldest head first, a new head moves a connection to the back, completed heads and closed
// connections leave.

import Testing

@testable import Server

/// Connections on one fake host and clock, each started (so each is reading its first head).
private func connections(_ n: Int) throws -> (FakeHost, [Connection], [MemoryTransport]) {
    let host = try FakeHost()
    let clock = ManualClock()
    var list: [Connection] = []
    var transports: [MemoryTransport] = []
    for id in 0..<n {
        let t = MemoryTransport()
        let c = try #require(Connection(id: UInt64(id), host: host, clock: clock, transport: t, peer: t.peer))
        list.append(c)
        transports.append(t)
    }
    return (host, list, transports)
}

@Suite struct HeadQueueTests {
    @Test func oldestHeadFirstAndANewHeadGoesToTheBack() throws {
        let (_, c, _) = try connections(3)
        var q = HeadQueue()
        for x in c { q.append(x) }
        #expect(q.oldestReadingHead() === c[0])
        q.append(c[0])
        #expect(q.oldestReadingHead() === c[1])
        #expect(q.newest === c[0])
        q.remove(c[1])
        q.remove(c[1])
        #expect(q.oldestReadingHead() === c[2])
        q.remove(c[2])
        q.remove(c[0])
        #expect(q.oldestReadingHead() == nil)
        #expect(q.newest == nil)
        #expect(c.allSatisfy { !$0.inHeadQueue && $0.headOlder == nil && $0.headNewer == nil })
    }

    @Test func connectionsNoLongerReadingAHeadAreSkippedAndDropped() throws {
        let (_, c, t) = try connections(3)
        var q = HeadQueue()
        for x in c { q.append(x) }
        // The first two receive a whole request and answer it: no longer reading a head.
        for k in 0..<2 {
            c[k].start()
            t[k].receive("GET /health HTTP/1.1\r\nHost: h\r\n\r\n")
        }
        c[2].start()
        #expect(!c[0].isReadingHead && c[2].isReadingHead)
        #expect(q.oldestReadingHead() === c[2])
        #expect(!c[0].inHeadQueue && !c[1].inHeadQueue && q.oldest === c[2])
    }
}
