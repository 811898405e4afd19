// LazyDeadline: fires once when due, however often it moved; the timer is armed again only when needed.

import Testing

@testable import Server

/// A deadline on a manual clock, with the times it fired and its underlying timer.
private final class Probe {
    let clock = ManualClock()
    var fired: [Double] = []
    var deadline: LazyDeadline!

    init() {
        deadline = LazyDeadline(clock: clock) { [unowned self] in self.fired.append(self.clock.now()) }
    }

    var timerDue: Double? { (deadline.timer as? ManualTimer)?.due }
}

@Suite struct LazyDeadlineTests {
    @Test func movingLaterKeepsTheTimerAndStillFiresWhenDue() {
        let p = Probe()
        p.deadline.schedule(after: 5)
        #expect(p.timerDue == 1005)
        var armedTimes: Set<Double> = [1005]
        for _ in 0..<10 {
            p.clock.advance(by: 1)
            p.deadline.schedule(after: 5)
            // Armed, never later than the deadline, and armed again only when it fired early (every ~5 s).
            #expect(p.timerDue != nil && p.timerDue! <= p.deadline.due!)
            if let t = p.timerDue { armedTimes.insert(t) }
        }
        #expect(armedTimes.count <= 3)
        // The last schedule was at 1010 for 1015; the timer fired early, and waits for the rest.
        #expect(p.fired.isEmpty)
        p.clock.advance(by: 4.9)
        #expect(p.fired.isEmpty)
        p.clock.advance(by: 0.2)
        #expect(p.fired == [1015])
        p.clock.advance(by: 100)
        #expect(p.fired == [1015])
    }

    @Test func movingEarlierArmsTheTimerAgain() {
        let p = Probe()
        p.deadline.schedule(after: 60)
        p.deadline.schedule(after: 2)
        #expect(p.timerDue == 1002)
        p.clock.advance(by: 3)
        #expect(p.fired == [1002])
    }

    @Test func cancelledDeadlineNeverFiresAndARescheduleUsesTheArmedTimer() {
        let p = Probe()
        p.deadline.schedule(after: 5)
        p.deadline.cancel()
        p.clock.advance(by: 10)
        #expect(p.fired.isEmpty)
        #expect(p.deadline.armedFor == nil)
        p.deadline.schedule(after: 5)
        p.deadline.cancel()
        p.deadline.schedule(after: 8)
        #expect(p.timerDue == 1015)
        p.clock.advance(by: 8)
        #expect(p.fired == [1018])
    }

    @Test func zeroDelayFiresAtOnce() {
        let p = Probe()
        p.deadline.schedule(after: 0)
        p.clock.advance(by: 0)
        #expect(p.fired == [1000])
    }
}
