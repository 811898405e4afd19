// FailureTracker on a manual clock: the delays after the fifth failure, the sliding window, reset on
// success, and the bounds on addresses and on failures kept per address.

import Testing

@testable import Auth

private let client: [UInt8] = [192, 0, 2, 1]
private let other: [UInt8] = [192, 0, 2, 2]

@Suite struct AuthFailureTrackerTests {
    /// Five free failures, then 2, 4, 8, 16 and 30 seconds for every one after.
    @Test func delays() {
        var tracker = FailureTracker()
        #expect(tracker.window == 600 && tracker.allowedFailures == 5 && tracker.maxDelay == 30 && tracker.capacity == 4096)
        let delays = (0..<12).map { tracker.recordFailure(from: client, now: Double($0)) }
        #expect(delays == [0, 0, 0, 0, 0, 2, 4, 8, 16, 30, 30, 30])
        #expect(tracker.failureCount(from: client, now: 12) == 10)
        for i in 0..<1000 { #expect(tracker.recordFailure(from: client, now: 20 + Double(i) * 0.01) == 30) }
        // Another address is not affected.
        #expect(tracker.recordFailure(from: other, now: 40) == 0)
    }

    /// A failure counts for 600 seconds.
    @Test func slidingWindow() {
        var tracker = FailureTracker()
        for t in [0.0, 100, 200, 300, 400] { #expect(tracker.recordFailure(from: client, now: t) == 0) }
        #expect(tracker.recordFailure(from: client, now: 500) == 2)
        // At 650, the failure at 0 has left the window: still six in it (100…500 and this one).
        #expect(tracker.recordFailure(from: client, now: 650) == 2)
        #expect(tracker.failureCount(from: client, now: 650) == 6)
        // At 1300 all have left it.
        #expect(tracker.failureCount(from: client, now: 1300) == 0)
        #expect(tracker.recordFailure(from: client, now: 1300) == 0)
    }

    @Test func successResets() {
        var tracker = FailureTracker()
        for t in 0..<7 { _ = tracker.recordFailure(from: client, now: Double(t)) }
        _ = tracker.recordFailure(from: other, now: 7)
        tracker.recordSuccess(from: client)
        #expect(tracker.failureCount(from: client, now: 8) == 0)
        #expect(tracker.recordFailure(from: client, now: 8) == 0)
        #expect(tracker.failureCount(from: other, now: 8) == 1)
        #expect(tracker.trackedAddresses == 2)
    }

    /// At most `capacity` addresses: expired ones are dropped first, then the one whose last failure is oldest.
    @Test func boundedAddresses() {
        var tracker = FailureTracker(window: 10, capacity: 3)
        _ = tracker.recordFailure(from: [1], now: 0)
        _ = tracker.recordFailure(from: [2], now: 5)
        _ = tracker.recordFailure(from: [3], now: 6)
        _ = tracker.recordFailure(from: [4], now: 11)  // [1] has expired
        #expect(tracker.trackedAddresses == 3)
        #expect(tracker.failureCount(from: [2], now: 11) == 1)
        _ = tracker.recordFailure(from: [2], now: 12)
        _ = tracker.recordFailure(from: [5], now: 13)  // none expired: [3] failed last the longest ago
        #expect(tracker.trackedAddresses == 3)
        #expect(tracker.failureCount(from: [3], now: 13) == 0)
        #expect(tracker.failureCount(from: [2], now: 13) == 2)
        for i in 0..<5000 { _ = tracker.recordFailure(from: [UInt8(i & 0xff), UInt8(i >> 8)], now: 20 + Double(i) * 0.001) }
        #expect(tracker.trackedAddresses == 3)
        // The default bound: full at 4096, then the 256 oldest go at once.
        var big = FailureTracker()
        for i in 0..<4096 { _ = big.recordFailure(from: [UInt8(i & 0xff), UInt8(i >> 8)], now: Double(i) * 0.01) }
        #expect(big.trackedAddresses == 4096)
        _ = big.recordFailure(from: [0xff, 0xff], now: 50)
        #expect(big.trackedAddresses == 4096 - 256 + 1)
        #expect(big.failureCount(from: [255, 0], now: 50) == 0 && big.failureCount(from: [0, 1], now: 50) == 1)
        for i in 0..<5000 { _ = big.recordFailure(from: [UInt8(i & 0xff), UInt8(i >> 8), 1], now: 60 + Double(i) * 0.01) }
        #expect(big.trackedAddresses <= 4096 && big.trackedAddresses > 4096 - 256)
    }

    /// Other numbers: no free failures, a lower cap.
    @Test func customNumbers() {
        var tracker = FailureTracker(window: 60, allowedFailures: 0, maxDelay: 5)
        let delays = (0..<5).map { tracker.recordFailure(from: client, now: Double($0)) }
        #expect(delays == [2, 4, 5, 5, 5])
    }
}
