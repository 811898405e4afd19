// Crash-loop protection for the master (pure; the caller passes the time): a worker that dies is replaced
// at once, until `burst` deaths fall within `window` seconds; then each respawn waits 1, 2, 4 … `maxDelay` s.

/// When the master may fork the next worker, from the times recent workers died.
public struct RespawnPolicy: Sendable {
    /// Deaths within `window` seconds that make a crash loop.
    public var burst: Int
    /// The window, in seconds.
    public var window: Double
    /// The first back-off delay, in seconds (doubled at each further death in the loop).
    public var firstDelay: Double
    /// The longest delay, in seconds.
    public var maxDelay: Double
    /// A worker that lived this long (seconds) ends a crash loop: the back-off starts over.
    public var stableAfter: Double

    /// Times (seconds, any monotonic clock) of the recent deaths, oldest first.
    var deaths: [Double] = []
    /// The delay the next back-off would use.
    var nextDelay: Double

    public init(burst: Int = 5, window: Double = 10, firstDelay: Double = 1, maxDelay: Double = 30, stableAfter: Double = 10) {
        self.burst = burst
        self.window = window
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
        self.stableAfter = stableAfter
        self.nextDelay = firstDelay
    }

    /// Records that a worker started at `started` died at `now`; returns how many seconds to wait before
    /// forking the next one (0: at once).
    public mutating func workerDied(started: Double, now: Double) -> Double {
        if now - started >= stableAfter {
            deaths.removeAll()
            nextDelay = firstDelay
        }
        deaths.append(now)
        deaths.removeAll { now - $0 > window }
        guard deaths.count >= burst else { return 0 }
        let delay = nextDelay
        nextDelay = min(nextDelay * 2, maxDelay)
        return delay
    }
}
