// The server's own rules: when the heap is trimmed after a burst of connections.

import Testing

@testable import Server

@Suite struct ServerTests {
    @Test func theHeapIsTrimmedOnceABigPeakHasHalved() {
        #expect(Server.trimDue(open: 0, peak: Server.trimPeak))
        #expect(Server.trimDue(open: 500, peak: 1000))
        #expect(!Server.trimDue(open: 501, peak: 1000))
        // A small peak is not worth a walk of the free lists.
        #expect(!Server.trimDue(open: 0, peak: Server.trimPeak - 1))
    }
}
