// A site's requests over the last 15 minutes in 5-second buckets: a fixed ring advanced from the time of
// each request (no timer, so an idle daemon never wakes up), read with "now" when a status page is made.

/// Requests counted per `bucketSeconds` over the last `bucketCount` buckets (180 × 5 s = 15 minutes), in a
/// ring of 180 32-bit counters (720 bytes) that never grows. Buckets are aligned on multiples of 5 s of the
/// monotonic clock. Counting is one division, one comparison and one store, unless buckets were skipped
/// since the last request: those are zeroed then (at most 180 stores, however long the gap).
struct RateHistory {
    static let bucketSeconds = 5
    static let bucketCount = 180

    /// Counts by bucket number modulo `bucketCount`.
    private var counts = [UInt32](repeating: 0, count: bucketCount)
    /// The number (monotonic seconds / `bucketSeconds`) of the newest bucket counted into: the ring holds
    /// buckets `newest - bucketCount + 1` through `newest`; every later one is empty.
    private var newest = 0

    /// The bucket number of monotonic time `seconds` (negative times count as 0).
    static func bucket(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int(seconds / Double(bucketSeconds))
    }

    /// Counts one request at monotonic time `now`; a time older than the ring's oldest bucket (which a
    /// monotonic clock never gives) is not counted.
    mutating func record(now: Double) {
        let b = Self.bucket(now)
        if b > newest {
            if b - newest >= Self.bucketCount {
                for i in counts.indices { counts[i] = 0 }
            } else {
                for skipped in (newest + 1)...b { counts[skipped % Self.bucketCount] = 0 }
            }
            newest = b
        } else if b <= newest - Self.bucketCount {
            return
        }
        counts[b % Self.bucketCount] &+= 1
    }

    /// The number of the last bucket `series(now:)` gives: the one holding `now`, or the newest counted into
    /// when `now` is earlier. Every process reads the same monotonic clock, so the numbers of two processes'
    /// series line up (StatusBoard sums them).
    func endBucket(now: Double) -> Int { max(Self.bucket(now), newest) }

    /// The counts of the `bucketCount` buckets that end with the one holding `now` (or the newest counted
    /// into, when `now` is earlier), oldest first, and the seconds of that last bucket that have passed
    /// (0 to `bucketSeconds`).
    func series(now: Double) -> (counts: [Int], elapsed: Double) {
        let last = endBucket(now: now)
        let first = last - Self.bucketCount + 1
        var out = [Int](repeating: 0, count: Self.bucketCount)
        let oldest = max(first, newest - Self.bucketCount + 1, 0)
        if oldest <= newest {
            for b in oldest...newest { out[b - first] = Int(counts[b % Self.bucketCount]) }
        }
        let elapsed = now - Double(last * Self.bucketSeconds)
        return (out, min(max(elapsed, 0), Double(Self.bucketSeconds)))
    }
}
