// LazyDeadline and DeadlineQueue: a deadline fires once when due, however often it moved; it is queued
// again only when needed; many deadlines share one timer and fire in order; a deadline freed while
// queued leaves the queue.

import Testing

@testable import Server

/// Deadlines on a manual clock, the times each fired, and the queue's one timer.
private final class Probe {
    let clock = ManualClock()
    var fired: [(Int, Double)] = []
    var owners: [Owner] = []

    final class Owner: DeadlineOwner {
        unowned let probe: Probe
        let number: Int
        var deadline: LazyDeadline!

        init(_ probe: Probe, _ number: Int) {
            self.probe = probe
            self.number = number
            deadline = LazyDeadline(clock: probe.clock)
            deadline.owner = self
        }

        func deadlinePassed() { probe.fired.append((number, probe.clock.now())) }
    }

    init(count: Int = 1) {
        owners = (0..<count).map { Owner(self, $0) }
    }

    var deadline: LazyDeadline { owners[0].deadline }
    var queue: DeadlineQueue { clock.deadlines! }
    var timerDue: Double? { (queue.timer as? ManualTimer)?.due }
    var firedTimes: [Double] { fired.map(\.1) }
}

@Suite struct LazyDeadlineTests {
    @Test func movingLaterKeepsItsPlaceAndStillFiresWhenDue() {
        let p = Probe()
        p.deadline.schedule(after: 5)
        #expect(p.timerDue == 1005)
        var armedTimes: Set<Double> = [1005]
        for _ in 0..<10 {
            p.clock.advance(by: 1)
            p.deadline.schedule(after: 5)
            // Queued, never later than the deadline, and queued again only when it came up early (every ~5 s).
            #expect(p.deadline.armedFor != nil && p.deadline.armedFor! <= p.deadline.due!)
            #expect(p.timerDue == p.deadline.armedFor)
            if let t = p.deadline.armedFor { armedTimes.insert(t) }
        }
        #expect(armedTimes.count <= 3)
        // The last schedule was at 1010 for 1015; it came up early, and waits for the rest.
        #expect(p.fired.isEmpty)
        p.clock.advance(by: 4.9)
        #expect(p.fired.isEmpty)
        p.clock.advance(by: 0.2)
        #expect(p.firedTimes == [1015])
        p.clock.advance(by: 100)
        #expect(p.firedTimes == [1015])
    }

    @Test func movingEarlierQueuesItAgain() {
        let p = Probe()
        p.deadline.schedule(after: 60)
        p.deadline.schedule(after: 2)
        #expect(p.timerDue == 1002)
        p.clock.advance(by: 3)
        #expect(p.firedTimes == [1002])
    }

    @Test func cancelledDeadlineNeverFiresAndARescheduleKeepsItsPlace() {
        let p = Probe()
        p.deadline.schedule(after: 5)
        p.deadline.cancel()
        p.clock.advance(by: 10)
        #expect(p.fired.isEmpty)
        #expect(p.deadline.armedFor == nil && p.queue.heap.isEmpty)
        p.deadline.schedule(after: 5)
        p.deadline.cancel()
        p.deadline.schedule(after: 8)
        #expect(p.timerDue == 1015)
        p.clock.advance(by: 8)
        #expect(p.firedTimes == [1018])
    }

    @Test func zeroDelayFiresAtOnce() {
        let p = Probe()
        p.deadline.schedule(after: 0)
        p.clock.advance(by: 0)
        #expect(p.firedTimes == [1000])
    }

    @Test func manyDeadlinesShareOneTimerAndFireInOrder() {
        let p = Probe(count: 50)
        // Scheduled in a scrambled order: 1000 + (7 * i) % 50 + 1.
        for (i, owner) in p.owners.enumerated() { owner.deadline.schedule(after: Double((7 * i) % 50 + 1)) }
        #expect(p.timerDue == 1001)
        #expect(p.queue.heap.count == 50)
        p.clock.advance(by: 25.5)
        #expect(p.firedTimes == (1...25).map { 1000 + Double($0) })
        // One moves earlier, one later, one is cancelled; the rest keep their times.
        let byDue = Dictionary(uniqueKeysWithValues: p.owners.compactMap { o in o.deadline.due.map { ($0, o) } })
        byDue[1040]!.deadline.schedule(after: 1)  // 1026.5
        byDue[1030]!.deadline.schedule(after: 30)  // 1055.5
        byDue[1035]!.deadline.cancel()
        p.clock.advance(by: 100)
        let kept: [Int] = (27...50).filter { $0 != 30 && $0 != 35 && $0 != 40 }
        var expected: [Double] = [1026, 1026.5]
        expected += kept.map { 1000 + Double($0) }
        expected.append(1055.5)
        #expect(Array(p.firedTimes.dropFirst(25)) == expected)
        #expect(p.queue.heap.isEmpty)
    }

    @Test func aDeadlineFreedWhileQueuedLeavesTheQueue() {
        let p = Probe(count: 3)
        for (i, owner) in p.owners.enumerated() { owner.deadline.schedule(after: Double(i + 1)) }
        #expect(p.queue.heap.count == 3)
        p.owners.remove(at: 0)
        #expect(p.queue.heap.count == 2)
        #expect(p.queue.heap.allSatisfy { $0.deadline.armedFor == $0.at })
        p.clock.advance(by: 5)
        #expect(p.fired.map(\.0) == [1, 2])
    }
}
