// The master's pure parts: the crash-loop back-off (with a fake clock) and the description of a worker's end.

import Testing

@testable import Daemon

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct RespawnPolicyTests {
    @Test func aFewCrashesRespawnAtOnce() {
        var p = RespawnPolicy(burst: 5, window: 10)
        for t in 0..<4 { #expect(p.workerDied(started: Double(t), now: Double(t) + 0.5) == 0) }
    }

    @Test func aCrashLoopBacksOffExponentiallyUpToTheMaximum() {
        var p = RespawnPolicy(burst: 5, window: 10, firstDelay: 1, maxDelay: 30)
        var now = 100.0
        var delays: [Double] = []
        for _ in 0..<11 {
            delays.append(p.workerDied(started: now - 0.1, now: now))
            now += 0.2
        }
        #expect(delays == [0, 0, 0, 0, 1, 2, 4, 8, 16, 30, 30])
    }

    @Test func crashesOutsideTheWindowDoNotCount() {
        var p = RespawnPolicy(burst: 3, window: 10, stableAfter: 1000)
        #expect(p.workerDied(started: 0, now: 1) == 0)
        #expect(p.workerDied(started: 1, now: 2) == 0)
        #expect(p.workerDied(started: 2, now: 20) == 0)
        #expect(p.workerDied(started: 20, now: 21) == 0)
        #expect(p.workerDied(started: 21, now: 22) == 1)
    }

    @Test func aWorkerThatLivedLongEnoughResetsTheBackOff() {
        var p = RespawnPolicy(burst: 2, window: 100, firstDelay: 1, stableAfter: 10)
        #expect(p.workerDied(started: 0, now: 1) == 0)
        #expect(p.workerDied(started: 1, now: 2) == 1)
        #expect(p.workerDied(started: 3, now: 4) == 2)
        // This one served for 50 s: the loop is over, the next death starts afresh.
        #expect(p.workerDied(started: 4, now: 54) == 0)
        #expect(p.workerDied(started: 54, now: 55) == 1)
    }
}

@Suite struct WorkerExitTests {
    @Test func exitStatus() {
        #expect(WorkerExit(status: 3 << 8) == .exited(3))
        #expect(WorkerExit(status: 3 << 8).description == "exited with status 3")
        #expect(WorkerExit(status: 0).isClean)
        #expect(!WorkerExit(status: 1 << 8).isClean)
    }

    @Test func signalsWithAndWithoutCore() {
        #expect(WorkerExit(status: SIGSEGV | 0x80) == .killed(signal: SIGSEGV, coreDumped: true))
        #expect(WorkerExit(status: SIGSEGV | 0x80).description == "killed by signal SIGSEGV (core dumped)")
        #expect(WorkerExit(status: SIGKILL).description == "killed by signal SIGKILL")
        #expect(WorkerExit(status: SIGILL).description == "killed by signal SIGILL")
        #expect(WorkerExit(status: SIGABRT | 0x80).description == "killed by signal SIGABRT (core dumped)")
        #expect(!WorkerExit(status: SIGTERM).isClean)
    }

    @Test func unnamedSignal() {
        #expect(WorkerExit.signalName(40) == "signal 40")
    }
}
