// The status board's binary format: a BoardRecord as bytes (varints, doubles as their bits, strings with their
// length), bounded by the slot it must fit (sites left out whole, and flagged), and read back without ever trapping.

/// Encodes and decodes board records. Pure.
enum BoardCodec {
    /// The first four bytes of every record: "HSB" and the format version.
    static let magic: [UInt8] = [0x48, 0x53, 0x42, 1]
    /// The longest name or label the decoder accepts, in bytes.
    static let maxString = 4096

    /// Flag bits of the byte after the magic.
    static let truncatedFlag: UInt8 = 1
    static let drainingFlag: UInt8 = 2
    static let pressureFlag: UInt8 = 4
    static let authFlag: UInt8 = 8
    static let tlsFlag: UInt8 = 16

    /// `record` in at most `capacity` bytes: the sites that do not fit are left out (whole, from the last) and
    /// the record is flagged truncated; nil when not even the record without sites fits.
    static func encode(_ record: BoardRecord, capacity: Int) -> [UInt8]? {
        var w = ByteWriter()
        w.bytes += magic
        let c = record.counters
        var flags: UInt8 = record.truncated ? truncatedFlag : 0
        if record.identity.draining { flags |= drainingFlag }
        if record.gauges.underPressure { flags |= pressureFlag }
        if c.authFailures != nil { flags |= authFlag }
        if c.tls != nil { flags |= tlsFlag }
        w.bytes.append(flags)
        let id = record.identity
        for v in [id.slot, Int(id.pid), Int(id.master), id.started, id.restarts, id.generation] { w.int(v) }
        let g = record.gauges
        for v in [
            g.reading, g.writing, g.waiting, g.closing, g.residentBytes, g.poolSize, g.poolBusy, g.poolQueued, g.maxConnections,
        ] {
            w.int(v)
        }
        for v in [c.connectionsAccepted, c.connectionsHandled, c.refusedPerClient, c.evicted, c.dropped, c.requests] { w.int(v) }
        w.codes(c.byCode)
        w.int(c.bodyBytes)
        w.int(c.responseBytes)
        w.ints(c.durationCounts)
        w.double(c.durationSum)
        for v in [c.poolCompleted, c.poolRejected, c.poolSkipped] { w.int(v) }
        w.double(c.queueDelaySum)
        w.int(c.queueDelayCount)
        w.double(c.cpuUserSeconds)
        w.double(c.cpuSystemSeconds)
        if let auth = c.authFailures { w.int(auth) }
        if let t = c.tls {
            w.int(t.handshakes)
            w.int(t.resumed)
            w.labels(t.versions)
            w.labels(t.failures)
        }
        // The sites, as many as fit after the count (at most 10 bytes).
        var room = capacity - w.bytes.count - 10
        guard room >= 0 else { return nil }
        var sites: [[UInt8]] = []
        for site in c.sites {
            let bytes = encode(site)
            if bytes.count > room {
                w.bytes[magic.count] |= truncatedFlag
                break
            }
            room -= bytes.count
            sites.append(bytes)
        }
        w.int(sites.count)
        for s in sites { w.bytes += s }
        return w.bytes
    }

    /// One site's bytes.
    static func encode(_ site: BoardSite) -> [UInt8] {
        var w = ByteWriter()
        w.string(site.name)
        w.int(site.requests)
        w.codes(site.byCode)
        w.int(site.bodyBytes)
        w.int(site.responseBytes)
        w.ints(site.durationCounts)
        w.double(site.durationSum)
        w.int(site.rateEnd)
        w.ints(site.rate)
        return w.bytes
    }

    /// The record `bytes` hold, or nil when they are not exactly one well-formed record (torn, garbage, another
    /// version): every length and count is checked against what is left, so no input traps or allocates much.
    static func decode(_ bytes: [UInt8]) -> BoardRecord? {
        var r = ByteReader(bytes)
        guard r.take(magic.count) == magic, let flags = r.byte() else { return nil }
        var record = BoardRecord()
        record.truncated = flags & truncatedFlag != 0
        guard let slot = r.int(), let pid = r.int32(), let master = r.int32(), let started = r.int(),
            let restarts = r.int(), let generation = r.int()
        else { return nil }
        record.identity = BoardIdentity(
            slot: slot, pid: pid, master: master, started: started, restarts: restarts, generation: generation,
            draining: flags & drainingFlag != 0)
        guard let reading = r.int(), let writing = r.int(), let waiting = r.int(), let closing = r.int(),
            let resident = r.int(), let poolSize = r.int(), let poolBusy = r.int(), let poolQueued = r.int(),
            let maxConnections = r.int()
        else { return nil }
        record.gauges = BoardGauges(
            reading: reading, writing: writing, waiting: waiting, closing: closing, residentBytes: resident,
            poolSize: poolSize, poolBusy: poolBusy, poolQueued: poolQueued, maxConnections: maxConnections,
            underPressure: flags & pressureFlag != 0)
        var c = BoardCounters()
        guard let accepted = r.int(), let handled = r.int(), let refused = r.int(), let evicted = r.int(),
            let dropped = r.int(), let requests = r.int(), let byCode = r.codes(), let body = r.int(),
            let response = r.int(), let durations = r.ints(count: durationBuckets.count), let durationSum = r.double(),
            let completed = r.int(), let rejected = r.int(), let skipped = r.int(), let delaySum = r.double(),
            let delayCount = r.int(), let cpuUser = r.double(), let cpuSystem = r.double()
        else { return nil }
        c.connectionsAccepted = accepted
        c.connectionsHandled = handled
        c.refusedPerClient = refused
        c.evicted = evicted
        c.dropped = dropped
        c.requests = requests
        c.byCode = byCode
        c.bodyBytes = body
        c.responseBytes = response
        c.durationCounts = durations
        c.durationSum = durationSum
        c.poolCompleted = completed
        c.poolRejected = rejected
        c.poolSkipped = skipped
        c.queueDelaySum = delaySum
        c.queueDelayCount = delayCount
        c.cpuUserSeconds = cpuUser
        c.cpuSystemSeconds = cpuSystem
        if flags & authFlag != 0 {
            guard let auth = r.int() else { return nil }
            c.authFailures = auth
        }
        if flags & tlsFlag != 0 {
            guard let handshakes = r.int(), let resumed = r.int(), let versions = r.labels(), let failures = r.labels()
            else { return nil }
            c.tls = BoardTLS(handshakes: handshakes, resumed: resumed, versions: versions, failures: failures)
        }
        guard let siteCount = r.count() else { return nil }
        for _ in 0..<siteCount {
            guard let site = decodeSite(&r) else { return nil }
            c.sites.append(site)
        }
        guard r.atEnd else { return nil }
        record.counters = c
        return record
    }

    /// The site `r` is at, or nil when it is malformed.
    static func decodeSite(_ r: inout ByteReader) -> BoardSite? {
        guard let name = r.string(), let requests = r.int(), let byCode = r.codes(), let body = r.int(),
            let response = r.int(), let durations = r.ints(count: durationBuckets.count), let durationSum = r.double(),
            let rateEnd = r.int(), let rate = r.ints(count: RateHistory.bucketCount)
        else { return nil }
        return BoardSite(
            name: name, requests: requests, byCode: byCode, bodyBytes: body, responseBytes: response,
            durationCounts: durations, durationSum: durationSum, rate: rate, rateEnd: rateEnd)
    }
}

/// Appends the codec's values to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    /// An unsigned LEB128 varint (1 to 10 bytes).
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A signed integer, zigzag-encoded (small magnitudes take one byte, negative ones too).
    mutating func int(_ value: Int) {
        let v = Int64(value)
        varint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    /// A double as its 8 bytes, little-endian.
    mutating func double(_ value: Double) {
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(bits & 0xff))
            bits >>= 8
        }
    }

    mutating func string(_ value: String) {
        let utf8 = Array(value.utf8.prefix(BoardCodec.maxString))
        int(utf8.count)
        bytes += utf8
    }

    /// A count, then the values.
    mutating func ints(_ values: [Int]) {
        int(values.count)
        for v in values { int(v) }
    }

    /// Counts by status code, in code order.
    mutating func codes(_ counts: [Int: Int]) {
        int(counts.count)
        for code in counts.keys.sorted() {
            int(code)
            int(counts[code]!)
        }
    }

    /// Counts by label, in label order.
    mutating func labels(_ counts: [String: Int]) {
        int(counts.count)
        for label in counts.keys.sorted() {
            string(label)
            int(counts[label]!)
        }
    }
}

/// Reads the codec's values from bytes; every read returns nil past the end or on a malformed value.
struct ByteReader {
    let bytes: [UInt8]
    var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { at == bytes.count }
    var left: Int { bytes.count - at }

    mutating func byte() -> UInt8? {
        guard at < bytes.count else { return nil }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func take(_ n: Int) -> [UInt8]? {
        guard n >= 0, n <= left else { return nil }
        defer { at += n }
        return Array(bytes[at..<(at + n)])
    }

    /// A varint of at most 10 bytes whose value fits 64 bits.
    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        for i in 0..<10 {
            guard let b = byte() else { return nil }
            if i == 9 && b > 1 { return nil }
            value |= UInt64(b & 0x7f) << UInt64(7 * i)
            if b & 0x80 == 0 { return value }
        }
        return nil
    }

    mutating func int() -> Int? {
        guard let v = varint() else { return nil }
        return Int(Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1))))
    }

    mutating func int32() -> Int32? {
        guard let v = int(), let small = Int32(exactly: v) else { return nil }
        return small
    }

    /// A count of items that each take at least one byte: never more than the bytes left.
    mutating func count() -> Int? {
        guard let n = int(), n >= 0, n <= left else { return nil }
        return n
    }

    /// A finite double.
    mutating func double() -> Double? {
        guard let b = take(8) else { return nil }
        var bits: UInt64 = 0
        for byte in b.reversed() { bits = bits << 8 | UInt64(byte) }
        let value = Double(bitPattern: bits)
        return value.isFinite ? value : nil
    }

    mutating func string() -> String? {
        guard let n = count(), n <= BoardCodec.maxString, let utf8 = take(n) else { return nil }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Exactly `count` values (the count is written too, and must match).
    mutating func ints(count expected: Int) -> [Int]? {
        guard let n = count(), n == expected else { return nil }
        var out: [Int] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            guard let v = int() else { return nil }
            out.append(v)
        }
        return out
    }

    /// Counts by status code: codes 0-599, each once.
    mutating func codes() -> [Int: Int]? {
        guard let n = count() else { return nil }
        var out: [Int: Int] = [:]
        for _ in 0..<n {
            guard let code = int(), (0..<600).contains(code), out[code] == nil, let value = int() else { return nil }
            out[code] = value
        }
        return out
    }

    /// Counts by label, each label once.
    mutating func labels() -> [String: Int]? {
        guard let n = count() else { return nil }
        var out: [String: Int] = [:]
        for _ in 0..<n {
            guard let label = string(), out[label] == nil, let value = int() else { return nil }
            out[label] = value
        }
        return out
    }
}
