// Connection deadlines that move on every request without touching a timer (nginx's lazy timers), all on one loop timer.

/// What a deadline calls when it falls due.
protocol DeadlineOwner: AnyObject {
    func deadlinePassed()
}

/// A deadline in its clock's `DeadlineQueue`: moving it later only records the new time; it is queued
/// again when it moves earlier than where it is queued, and when its queued time comes before it is due
/// (it then waits for the rest). Cancelling records only that nothing is due; a deadline still queued
/// comes up once and finds nothing to do. So a keep-alive request costs a clock read, not two heap
/// operations, and the deadline still fires when it is due. A connection's deadline costs one small
/// object: no timer, event or closure of its own.
final class LazyDeadline {
    let queue: DeadlineQueue
    /// Called when the deadline passes; it owns the deadline, so it is never gone while the deadline is queued.
    unowned(unsafe) var owner: (any DeadlineOwner)?
    /// When the deadline falls due (clock seconds), or nil when none is set.
    private(set) var due: Double?
    /// When it comes up in the queue, or nil when it is not queued.
    fileprivate(set) var armedFor: Double?
    /// Its place in the queue's heap (-1 when not queued).
    fileprivate var slot = -1

    /// A deadline on `clock`'s queue; nil when the clock has none (its timer could not be made).
    init?(clock: any ConnectionClock) {
        guard let queue = clock.deadlines else { return nil }
        self.queue = queue
    }

    deinit { queue.remove(self) }

    func schedule(after seconds: Double) {
        let at = queue.clock.now() + seconds
        due = at
        if let armed = armedFor, armed <= at { return }
        queue.enqueue(self, at: at)
    }

    func cancel() { due = nil }

    /// Its queued time has come: fires when due, or queues itself again for the rest.
    fileprivate func cameUp(now: Double) {
        guard let at = due else { return }
        if now < at {
            queue.enqueue(self, at: at)
            return
        }
        due = nil
        owner?.deadlinePassed()
    }
}

/// Every deadline of a clock on one timer: a binary min-heap by queued time (as nginx keeps its timers in
/// one tree), the timer armed for the earliest. Queueing and removing cost O(log n); a deadline that moves
/// later costs nothing until it comes up.
final class DeadlineQueue {
    /// The clock, which owns the queue.
    unowned let clock: any ConnectionClock
    let timer: any DeadlineTimer
    /// Queued deadlines, earliest first at the root; each knows its slot. A deadline removes itself when it
    /// goes, so the references are never stale.
    private(set) var heap: [Entry] = []
    /// When the timer is armed to fire, or nil when it is not armed.
    private var timerDue: Double?
    /// True while `timerFired` brings deadlines up (the timer is armed once, after them).
    private var firing = false

    struct Entry {
        var at: Double
        unowned(unsafe) let deadline: LazyDeadline
    }

    /// A queue on `clock`; nil when the clock cannot make its timer.
    init?(clock: any ConnectionClock) {
        self.clock = clock
        var expired: (() -> Void)?
        guard let timer = clock.makeTimer({ expired?() }) else { return nil }
        self.timer = timer
        // The timer's callback refers to the queue unowned: the queue owns the timer.
        expired = { [unowned self] in self.timerFired() }
    }

    /// Queues `deadline` to come up at `at` (moving it when it is queued already).
    fileprivate func enqueue(_ deadline: LazyDeadline, at: Double) {
        deadline.armedFor = at
        if deadline.slot < 0 {
            deadline.slot = heap.count
            heap.append(Entry(at: at, deadline: deadline))
            siftUp(heap.count - 1)
        } else {
            let slot = deadline.slot
            let earlier = at < heap[slot].at
            heap[slot].at = at
            if earlier { siftUp(slot) } else { siftDown(slot) }
        }
        armTimer()
    }

    /// Takes `deadline` out of the queue, if it is in it.
    fileprivate func remove(_ deadline: LazyDeadline) {
        let slot = deadline.slot
        guard slot >= 0 else { return }
        deadline.slot = -1
        deadline.armedFor = nil
        let last = heap.removeLast()
        guard slot < heap.count else { return }
        heap[slot] = last
        last.deadline.slot = slot
        siftUp(slot)
        siftDown(last.deadline.slot)
    }

    /// Brings up every deadline whose time has come, earliest first, then arms the timer for the next.
    func timerFired() {
        timerDue = nil
        let now = clock.now()
        firing = true
        while let first = heap.first, first.at <= now {
            remove(first.deadline)
            first.deadline.cameUp(now: now)
        }
        firing = false
        armTimer()
    }

    /// Arms the timer for the earliest deadline unless it fires by then already. A timer armed for an
    /// earlier time than needed (the earliest deadline left the queue) fires, finds nothing, and re-arms.
    func armTimer() {
        guard !firing, let first = heap.first else { return }
        if let armed = timerDue, armed <= first.at { return }
        timerDue = first.at
        timer.schedule(after: max(0, first.at - clock.now()))
    }

    private func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].at < heap[parent].at else { break }
            swapAt(i, parent)
            i = parent
        }
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1
            guard left < heap.count else { return }
            var least = left
            if left + 1 < heap.count && heap[left + 1].at < heap[left].at { least = left + 1 }
            guard heap[least].at < heap[i].at else { return }
            swapAt(i, least)
            i = least
        }
    }

    private func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        heap[a].deadline.slot = a
        heap[b].deadline.slot = b
    }
}
