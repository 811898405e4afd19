// The Dispatch worker pool for blocking file-system work. At most `size` jobs run at once; results
// go into a locked queue and one eventfd write wakes the loop thread, which alone touches connections.

import Dispatch
public import Files
public import IO
import Synchronization

/// What a worker job gives back: a file lookup's result, or a password check's.
public enum JobResult: Sendable {
    case lookup(LookupResult)
    case password(PasswordCheck)
}

/// A finished job: which connection asked, and what came back.
public struct Completion: Sendable {
    public var connectionID: UInt64
    public var job: JobResult
    /// The lookup's result (a password check's completion reads as a 500: callers switch on `job`).
    public var result: LookupResult {
        if case .lookup(let r) = job { return r }
        return .failure(.internalServerError, "not a lookup")
    }
    /// Seconds the job waited in the queue before a worker took it.
    public var queueDelay: Double
}

/// A bounded pool of Dispatch workers with a completion queue drained on the loop thread.
public final class WorkerPool: Sendable {
    struct State {
        var pending: [(id: UInt64, enqueued: Double, job: @Sendable () -> JobResult)] = []
        var head = 0
        /// Dispatch work items started and not yet stopped (each runs jobs until the queue is empty).
        var running = 0
        /// Jobs executing now: taken from the queue, result not yet in `done`. Counted down in the same
        /// critical section that publishes the result, so the loop never sees a finished job as busy.
        var executing = 0
        var done: [Completion] = []
        var completed = 0
        var size: Int
        /// Jobs that may wait at once; `submit` refuses more.
        var limit: Int
        /// Connections whose queued job is no longer wanted (the client left); a worker skips it.
        var canceled: Set<UInt64> = []
        /// Jobs refused because the queue was full, and jobs skipped because their client had left.
        var rejected = 0
        var skipped = 0
    }

    let state: Mutex<State>
    let wakeup: WakeupSignal
    let queue = DispatchQueue(label: "httpd.workers", attributes: .concurrent)

    /// A pool of `size` workers, at most `limit` jobs waiting, that signals `wakeup` when results are ready.
    public init(size: Int, limit: Int, wakeup: WakeupSignal) {
        state = Mutex(State(size: max(1, size), limit: max(1, limit)))
        self.wakeup = wakeup
    }

    /// Jobs that may wait for a worker at once; a reload may change it (jobs already queued stay).
    public var limit: Int {
        get { state.withLock { $0.limit } }
        set { state.withLock { $0.limit = max(1, newValue) } }
    }

    /// Workers that may run at once; a reload may change it (running jobs finish first).
    public var size: Int {
        get { state.withLock { $0.size } }
        set {
            // Growing the pool puts the new workers to work on any backlog at once.
            let start = state.withLock { s -> Int in
                s.size = max(1, newValue)
                let extra = min(s.size - s.running, s.pending.count - s.head)
                if extra > 0 { s.running += extra }
                return max(0, extra)
            }
            for _ in 0..<start { queue.async { self.work() } }
        }
    }

    /// Starts Dispatch's threads for this pool with an empty job (no completion, not counted) and waits
    /// until a worker has run it. Call once before serving: Dispatch sets its threads up (an epoll fd among
    /// them) on first use, which must not meet the open-file limit for the first time under load, and
    /// waiting makes that true even when the machine is too busy to start the thread at once.
    public func warmUp() {
        let ran = DispatchSemaphore(value: 0)
        queue.async { ran.signal() }
        ran.wait()
    }

    /// Queues `job` for `connectionID`, whose result comes back through `drain()`; false (and counted as
    /// rejected) when `limit` jobs are already waiting.
    public func submit(_ connectionID: UInt64, _ lookup: @escaping @Sendable () -> LookupResult) -> Bool {
        submit(connectionID, job: { .lookup(lookup()) })
    }

    /// Queues any job (a file lookup or a password check) for `connectionID`.
    public func submit(_ connectionID: UInt64, job: @escaping @Sendable () -> JobResult) -> Bool {
        let now = EventLoop.monotonicSeconds()
        let (accepted, start) = state.withLock { s -> (Bool, Bool) in
            guard s.pending.count - s.head < s.limit else {
                s.rejected += 1
                return (false, false)
            }
            s.pending.append((connectionID, now, job))
            if s.running < s.size {
                s.running += 1
                return (true, true)
            }
            return (true, false)
        }
        if start { queue.async { self.work() } }
        return accepted
    }

    /// The job queued for `connectionID` is no longer wanted: a worker that has not started it skips it
    /// (no file opened, no directory read, no completion).
    public func cancel(_ connectionID: UInt64) {
        state.withLock { _ = $0.canceled.insert(connectionID) }
    }

    /// Runs queued jobs until none is left.
    func work() {
        while true {
            let next = state.withLock { s -> (UInt64, Double, @Sendable () -> JobResult)? in
                guard s.head < s.pending.count, s.running <= s.size else {
                    // Queue empty, or the pool was shrunk by a reload: this worker stops.
                    s.running -= 1
                    if s.head == s.pending.count {
                        s.pending.removeAll(keepingCapacity: true)
                        s.head = 0
                    }
                    return nil
                }
                var item = s.pending[s.head]
                s.head += 1
                // Jobs whose client left are dropped unread, however many of them queued up.
                while s.canceled.remove(item.id) != nil {
                    s.skipped += 1
                    guard s.head < s.pending.count else {
                        s.running -= 1
                        s.pending.removeAll(keepingCapacity: true)
                        s.head = 0
                        return nil
                    }
                    item = s.pending[s.head]
                    s.head += 1
                }
                s.executing += 1
                // Under a steady backlog the queue never empties: drop the finished front now and then.
                if s.head >= 1024 && s.head * 2 >= s.pending.count {
                    s.pending.removeFirst(s.head)
                    s.head = 0
                }
                return (item.id, item.enqueued, item.job)
            }
            guard let (id, enqueued, job) = next else { return }
            let delay = EventLoop.monotonicSeconds() - enqueued
            // The result moves into the queue: once it is published this thread holds no reference, so an
            // open file is never released (closed) on a worker after the loop thread has let go of it.
            var result: JobResult? = job()
            let wasEmpty = state.withLock { s -> Bool in
                s.done.append(Completion(connectionID: id, job: result.take()!, queueDelay: delay))
                s.canceled.remove(id)  // a cancel that came while the job ran is moot now
                s.executing -= 1
                s.completed += 1
                return s.done.count == 1
            }
            if wasEmpty { wakeup.signal() }
        }
    }

    /// Takes every finished result (loop thread).
    public func drain() -> [Completion] {
        state.withLock { s in
            let done = s.done
            s.done.removeAll(keepingCapacity: true)
            if !s.canceled.isEmpty {
                for c in done { s.canceled.remove(c.connectionID) }
            }
            return done
        }
    }

    /// Jobs running, waiting, finished so far, refused (queue full) and skipped (client gone).
    public var counts: (busy: Int, queued: Int, completed: Int, rejected: Int, skipped: Int) {
        state.withLock { s in (s.executing, s.pending.count - s.head, s.completed, s.rejected, s.skipped) }
    }
}
