// Failed logins per client address, and how long to hold back the next 401 so that guessing passwords
// over HTTP is slow. A plain value for one thread (the loop's); the clock is the caller's.

/// Failed Basic logins per client address in a sliding window, with an exponential delay past a threshold.
///
/// Numbers (the defaults): failures count for `window` = 600 s (10 minutes) after they happen; the first
/// `allowedFailures` = 5 in the window cost nothing; the n-th one after that (n = 6, 7, …) is answered after
/// min(2^(n-5), `maxDelay` = 30) seconds: 2, 4, 8, 16, then 30 s for each further one. A success from the
/// address forgets its failures. At most `capacity` = 4096 addresses are tracked: when a new one comes and the
/// table is full, addresses whose failures have all expired are dropped, else the 256 (a sixteenth) whose last
/// failure is the oldest. Each address keeps at most its last `allowedFailures + 5` failure times (enough to reach 30 s),
/// so memory stays bounded however often one client fails.
///
/// The delay holds back the answer to a failed attempt; a client with several connections can still try in
/// parallel (MaxConnectionsPerClient bounds that).
public struct FailureTracker: Sendable {
    public let window: Double
    public let allowedFailures: Int
    public let maxDelay: Int
    public let capacity: Int

    /// Failure times of each address, oldest first, at most `keptFailures`.
    private var failures: [[UInt8]: [Double]] = [:]

    public init(window: Double = 600, allowedFailures: Int = 5, maxDelay: Int = 30, capacity: Int = 4096) {
        self.window = window
        self.allowedFailures = max(0, allowedFailures)
        self.maxDelay = max(0, maxDelay)
        self.capacity = max(1, capacity)
    }

    /// Failure times kept per address: the count past which the delay no longer grows (2^5 > 30).
    private var keptFailures: Int { allowedFailures + 5 }

    /// Records a failed login from `address` (the client's IP address bytes; the caller picks a consistent
    /// form, IPv4-mapped IPv6 as IPv4) at `now` (monotonic seconds) and returns the seconds to wait before
    /// answering 401: 0 for the first `allowedFailures` in the window, then min(2^(n - allowedFailures), maxDelay).
    public mutating func recordFailure(from address: [UInt8], now: Double) -> Int {
        var times = failures[address] ?? []
        if times.isEmpty && failures.count >= capacity { makeRoom(now: now) }
        times.removeAll { !(now - $0 < window) }
        times.append(now)
        if times.count > keptFailures { times.removeFirst(times.count - keptFailures) }
        failures[address] = times
        return delay(afterFailures: times.count)
    }

    /// Forgets the failures of `address` after it logged in.
    public mutating func recordSuccess(from address: [UInt8]) {
        failures[address] = nil
    }

    /// Failures of `address` still in the window at `now` (at most `allowedFailures + 5`).
    public func failureCount(from address: [UInt8], now: Double) -> Int {
        failures[address]?.filter { now - $0 < window }.count ?? 0
    }

    /// Addresses tracked.
    public var trackedAddresses: Int { failures.count }

    /// The delay for the n-th failure in the window.
    func delay(afterFailures n: Int) -> Int {
        let excess = n - allowedFailures
        if excess <= 0 { return 0 }
        return excess >= 31 ? maxDelay : min(1 << excess, maxDelay)
    }

    /// Drops the addresses with no failure left in the window; if that frees nothing, the sixteenth of them
    /// (at least one) whose last failure is oldest, so that a flood of new addresses costs one sort per
    /// `capacity / 16` of them, not a scan of the table each.
    private mutating func makeRoom(now: Double) {
        failures = failures.filter { now - ($0.value.last ?? -.infinity) < window }
        if failures.count < capacity { return }
        let oldest = failures.map { ($0.key, $0.value.last ?? -.infinity) }.sorted { $0.1 < $1.1 }
        for (address, _) in oldest.prefix(max(1, capacity / 16)) { failures[address] = nil }
    }
}
