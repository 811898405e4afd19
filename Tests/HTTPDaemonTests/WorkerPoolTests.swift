// WorkerPool: the bounded queue refuses past its limit, and a job whose client left is skipped unread.

import Dispatch
import Synchronization
import Testing

@testable import Files
@testable import IO
@testable import Server

#if canImport(Glibc)
    import Glibc
#endif

/// Waits (up to 5 s) until `condition` holds.
private func eventually(_ condition: () -> Bool) -> Bool {
    for _ in 0..<500 {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// Submits job 1, which holds the pool's only worker until the returned gate is signalled.
private func occupy(_ pool: WorkerPool) -> DispatchSemaphore {
    let gate = DispatchSemaphore(value: 0)
    #expect(
        pool.submit(1) {
            gate.wait()
            return .directoryRedirect
        })
    #expect(eventually { pool.counts.busy == 1 })
    return gate
}

@Suite struct WorkerPoolTests {
    @Test func aFullQueueRefusesAndCounts() {
        let pool = WorkerPool(size: 1, limit: 2, wakeup: WakeupSignal(fd: -1))
        let gate = occupy(pool)
        #expect(pool.submit(2) { .directoryRedirect })
        #expect(pool.submit(3) { .directoryRedirect })
        #expect(!pool.submit(4) { .directoryRedirect })
        #expect(pool.counts.queued == 2 && pool.counts.rejected == 1)
        gate.signal()
        #expect(eventually { pool.counts.completed == 3 })
        #expect(pool.drain().map(\.connectionID) == [1, 2, 3])
        #expect(pool.submit(5) { .directoryRedirect })
        #expect(eventually { pool.counts.completed == 4 })
    }

    @Test func aCanceledJobIsSkippedUnread() {
        let pool = WorkerPool(size: 1, limit: 10, wakeup: WakeupSignal(fd: -1))
        let gate = DispatchSemaphore(value: 0)
        let ran = Atomic<Int>(0)
        #expect(
            pool.submit(1) {
                gate.wait()
                return .directoryRedirect
            })
        #expect(eventually { pool.counts.busy == 1 })
        #expect(
            pool.submit(2) {
                ran.add(1, ordering: .relaxed)
                return .directoryRedirect
            })
        #expect(pool.submit(3) { .directoryRedirect })
        pool.cancel(2)
        gate.signal()
        #expect(eventually { pool.counts.completed == 2 })
        #expect(pool.drain().map(\.connectionID) == [1, 3])
        #expect(ran.load(ordering: .relaxed) == 0)
        #expect(pool.counts.skipped == 1)
    }

    @Test func aCancelForARunningJobLetsItFinish() {
        let pool = WorkerPool(size: 1, limit: 10, wakeup: WakeupSignal(fd: -1))
        let gate = occupy(pool)
        pool.cancel(1)
        gate.signal()
        #expect(eventually { pool.counts.completed == 1 })
        #expect(pool.drain().map(\.connectionID) == [1])
        #expect(pool.counts.skipped == 0)
        // The cancel was consumed: a later job of another connection is not affected.
        #expect(pool.submit(2) { .directoryRedirect })
        #expect(eventually { pool.counts.completed == 2 })
    }
}
