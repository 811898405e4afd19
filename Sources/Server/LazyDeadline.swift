// A connection's deadline that moves on every request without touching the loop's timer heap (nginx's lazy timers).

/// A deadline over a one-shot timer: moving it later only records the new time; the timer is re-armed
/// when the deadline moves earlier than where the timer is armed, and when the timer fires before the
/// deadline (it then waits for the rest). Cancelling records only that nothing is due; a timer still
/// armed fires once and finds nothing to do. So a keep-alive request costs a clock read, not two heap
/// operations, and the deadline still fires when it is due.
final class LazyDeadline: DeadlineTimer {
    let clock: any ConnectionClock
    let timer: any DeadlineTimer
    let fire: () -> Void
    /// When the deadline falls due (clock seconds), or nil when none is set.
    private(set) var due: Double?
    /// When the underlying timer fires, or nil when it is not armed.
    private(set) var armedFor: Double?

    /// A deadline calling `fire` when due; nil when the clock cannot make a timer.
    init?(clock: any ConnectionClock, fire: @escaping () -> Void) {
        self.clock = clock
        self.fire = fire
        var expired: (() -> Void)?
        guard let timer = clock.makeTimer({ expired?() }) else { return nil }
        self.timer = timer
        // The timer's callback refers to the deadline unowned: the deadline owns the timer.
        expired = { [unowned self] in self.timerFired() }
    }

    func schedule(after seconds: Double) {
        let at = clock.now() + seconds
        due = at
        if let armed = armedFor, armed <= at { return }
        armedFor = at
        timer.schedule(after: seconds)
    }

    func cancel() { due = nil }

    func timerFired() {
        armedFor = nil
        guard let at = due else { return }
        let now = clock.now()
        if now < at {
            armedFor = at
            timer.schedule(after: at - now)
            return
        }
        due = nil
        fire()
    }
}
