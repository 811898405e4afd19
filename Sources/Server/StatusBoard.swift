// The status board: memory the master maps (shared, anonymous) before forking its workers, with a slot per worker
// process, where each publishes its counters, and a retired store holding the counts of the workers that ended.

#if canImport(Glibc)
    import Glibc
#endif

/// Shared memory in which worker processes publish their counters so that whichever answers `/server-status` or
/// `/metrics` shows the totals of all. The master makes it before forking (no thread is involved), reserves a slot
/// for each worker it forks and retires the slot when it reaps the worker: the slot's last counts move into the
/// retired store, so totals never go back (a worker that crashes loses at most its last second).
///
/// Layout: regions of `regionHeader + 2 × slotBytes` bytes, region 0 the retired store, region 1 + i slot i. Each
/// region starts with a process-shared robust mutex (a holder that dies leaves `EOWNERDEAD`, not a dead lock), then
/// its state, the index of its active buffer and each buffer's length and checksum; then two buffers. A write goes
/// into the inactive buffer and makes it active last, so a writer that dies half-way leaves the previous record
/// whole. Lock order: the retired store before any slot.
public final class StatusBoard {
    /// Bytes one record may take (each slot has two buffers of it): about 250 sites.
    public static let defaultSlotBytes = 128 * 1024
    /// The slots a master needs for `workers` processes: four times as many (a new generation starts while one
    /// or two older ones still drain: a reload soon after another) and one more (a slot whose retiring had to
    /// wait). A slot never used costs one page (its mutex); a worker forked when none is free shows its own
    /// counters only.
    public static func slots(forWorkers workers: Int) -> Int { 4 * max(workers, 1) + 1 }

    /// How long a process waits for a region's lock before it gives up (the holder is stopped, say).
    static let workerTimeout = 0.2
    static let masterTimeout = 0.5

    /// Region header: mutex at 0, then state, active buffer, lengths and checksums (UInt32 each) from 64.
    static let regionHeader = 128
    static let stateOffset = 64
    static let activeOffset = 68
    static let lengthOffset = 72
    static let checksumOffset = 80

    /// What a slot holds.
    enum SlotState: UInt32 {
        case free = 0
        /// Given to a worker being forked, nothing published yet.
        case reserved = 1
        /// The worker published at least once and lives.
        case live = 2
        /// The worker has ended; its counts wait to be moved into the retired store.
        case dead = 3
    }

    public let slotCount: Int
    /// The capacity of one record in bytes.
    public let slotBytes: Int
    /// Unix seconds when the board was made (when the master began counting).
    public let created: Int
    let base: UnsafeMutableRawPointer
    let mappedBytes: Int
    let regionBytes: Int

    /// A board of `slots` slots of `slotBytes` each (rounded up to 64 bytes, at least 1 KiB); nil when the
    /// arguments are out of range or the mapping or a mutex cannot be made (errno says why).
    public init?(slots: Int, slotBytes: Int = StatusBoard.defaultSlotBytes) {
        guard slots >= 1, slots <= 4096, slotBytes >= 1024, slotBytes <= 64 << 20 else { return nil }
        let bytes = (slotBytes + 63) / 64 * 64
        let regionBytes = Self.regionHeader + 2 * bytes
        guard let base = Self.map(regions: slots + 1, regionBytes: regionBytes) else { return nil }
        self.base = base
        self.regionBytes = regionBytes
        mappedBytes = regionBytes * (slots + 1)
        slotCount = slots
        self.slotBytes = bytes
        created = Int(time(nil))
    }

    /// A shared anonymous mapping of `regions` regions, each beginning with an initialized process-shared robust
    /// mutex (the rest zero: free and empty); nil, with nothing left mapped, when a step fails.
    static func map(regions: Int, regionBytes: Int) -> UnsafeMutableRawPointer? {
        let length = regions * regionBytes
        guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED
        else { return nil }
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        defer { pthread_mutexattr_destroy(&attr) }
        var ok =
            pthread_mutexattr_setpshared(&attr, Int32(PTHREAD_PROCESS_SHARED)) == 0
            && pthread_mutexattr_setrobust(&attr, Int32(PTHREAD_MUTEX_ROBUST)) == 0
        for region in 0..<regions where ok {
            ok = pthread_mutex_init((p + region * regionBytes).bindMemory(to: pthread_mutex_t.self, capacity: 1), &attr) == 0
        }
        guard ok else {
            munmap(p, length)
            return nil
        }
        return p
    }

    deinit {
        munmap(base, mappedBytes)
    }

    // MARK: The master

    /// Reserves a free slot for a worker about to be forked (after retiring any dead slot still waiting); nil
    /// when every slot is taken.
    public func reserveSlot() -> Int? {
        sweep()
        for slot in 0..<slotCount {
            let region = slot + 1
            guard lock(region, timeout: Self.masterTimeout) else { continue }
            defer { unlock(region) }
            if state(region) == .free {
                clear(region)
                setState(region, .reserved)
                return slot
            }
        }
        return nil
    }

    /// After the master has reaped the worker of `slot`: adds the slot's last counts to the retired store and
    /// frees the slot. Returns false when a lock could not be taken in time: the slot is then marked dead (its
    /// counts still count) and moved at the next `retire` or `reserveSlot`.
    @discardableResult
    public func retire(slot: Int) -> Bool {
        guard (0..<slotCount).contains(slot) else { return false }
        let region = slot + 1
        guard lock(region, timeout: Self.masterTimeout) else { return false }
        if state(region) == .free {
            unlock(region)
            return true
        }
        setState(region, .dead)
        unlock(region)
        return sweep()
    }

    /// Moves every dead slot's counts into the retired store and frees the slot; false when a lock could not be
    /// taken in time (what was not moved stays dead).
    @discardableResult
    func sweep() -> Bool {
        guard lock(0, timeout: Self.masterTimeout) else { return false }
        defer { unlock(0) }
        var done = true
        for slot in 0..<slotCount {
            let region = slot + 1
            guard lock(region, timeout: Self.masterTimeout) else {
                done = false
                continue
            }
            if state(region) == .dead {
                if let ended = activeBytes(region).flatMap(BoardCodec.decode) {
                    var store = activeBytes(0).flatMap(BoardCodec.decode) ?? BoardRecord()
                    store.counters.add(ended.counters, mode: .keep)
                    store.identity.restarts &+= 1
                    if let bytes = BoardCodec.encode(store, capacity: slotBytes) {
                        bytes.withUnsafeBytes { write($0, region: 0) }
                    }
                }
                clear(region)
                setState(region, .free)
            }
            unlock(region)
        }
        return done
    }

    // MARK: The workers

    /// What a publication did.
    enum Published: Equatable {
        case published
        /// Published without some sites, which did not fit.
        case truncated
        /// The slot is not this worker's (free or dead), or the record does not fit even without sites.
        case refused
        /// Its lock could not be taken in time.
        case busy
    }

    /// Publishes `record` in `slot` (the worker's own).
    func publish(_ record: BoardRecord, slot: Int) -> Published {
        guard let bytes = BoardCodec.encode(record, capacity: slotBytes) else { return .refused }
        let done = bytes.withUnsafeBytes { publish(bytes: $0, slot: slot) }
        if done == .published && bytes[BoardCodec.magic.count] & BoardCodec.truncatedFlag != 0 { return .truncated }
        return done
    }

    /// Publishes an encoded record in `slot`. Allocates nothing (a test's forked child may call it).
    func publish(bytes: UnsafeRawBufferPointer, slot: Int) -> Published {
        guard (0..<slotCount).contains(slot), bytes.count <= slotBytes else { return .refused }
        let region = slot + 1
        guard lock(region, timeout: Self.workerTimeout) else { return .busy }
        defer { unlock(region) }
        guard state(region) == .reserved || state(region) == .live else { return .refused }
        write(bytes, region: region)
        setState(region, .live)
        return .published
    }

    /// The retired store and every slot but `excluding` (the reader's own), read together under the retired
    /// store's lock, so that a slot being retired meanwhile is counted once; nil when a lock could not be taken
    /// in time. Records that do not decode (torn, garbage) are left out.
    func read(excluding: Int?) -> BoardView? {
        guard lock(0, timeout: Self.workerTimeout) else { return nil }
        let retired = activeBytes(0)
        var raw: [(bytes: [UInt8], live: Bool)] = []
        for slot in 0..<slotCount where slot != excluding {
            let region = slot + 1
            guard lock(region, timeout: Self.workerTimeout) else {
                unlock(0)
                return nil
            }
            let s = state(region)
            if s == .live || s == .dead, let bytes = activeBytes(region) { raw.append((bytes, s == .live)) }
            unlock(region)
        }
        unlock(0)
        var view = BoardView()
        view.retired = retired.flatMap(BoardCodec.decode)?.counters
        for (bytes, live) in raw {
            if let record = BoardCodec.decode(bytes) { view.others.append((record, live)) }
        }
        return view
    }

    // MARK: Regions

    func mutex(_ region: Int) -> UnsafeMutablePointer<pthread_mutex_t> {
        (base + region * regionBytes).bindMemory(to: pthread_mutex_t.self, capacity: 1)
    }

    /// Locks `region` within `timeout` seconds. A holder that died (`EOWNERDEAD`) left the active buffer whole
    /// (it wrote the other one): the mutex is made consistent and the region used.
    func lock(_ region: Int, timeout: Double) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = deadline.tv_nsec + Int(timeout * 1e9)
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        let m = mutex(region)
        let result = pthread_mutex_timedlock(m, &deadline)
        if result == EOWNERDEAD { return pthread_mutex_consistent(m) == 0 }
        return result == 0
    }

    func unlock(_ region: Int) {
        pthread_mutex_unlock(mutex(region))
    }

    func field(_ region: Int, _ offset: Int) -> UInt32 {
        (base + region * regionBytes + offset).load(as: UInt32.self)
    }

    func setField(_ region: Int, _ offset: Int, _ value: UInt32) {
        (base + region * regionBytes + offset).storeBytes(of: value, as: UInt32.self)
    }

    func state(_ region: Int) -> SlotState { SlotState(rawValue: field(region, Self.stateOffset)) ?? .free }

    func setState(_ region: Int, _ state: SlotState) { setField(region, Self.stateOffset, state.rawValue) }

    /// Empties both buffers of `region` (lock held).
    func clear(_ region: Int) {
        for b in 0..<2 { setField(region, Self.lengthOffset + 4 * b, 0) }
        setField(region, Self.activeOffset, 0)
    }

    func buffer(_ region: Int, _ index: Int) -> UnsafeMutableRawPointer {
        base + region * regionBytes + Self.regionHeader + index * slotBytes
    }

    /// Writes `bytes` into the inactive buffer of `region`, then makes it the active one (lock held).
    func write(_ bytes: UnsafeRawBufferPointer, region: Int) {
        let next = 1 - Int(field(region, Self.activeOffset) & 1)
        if let source = bytes.baseAddress { buffer(region, next).copyMemory(from: source, byteCount: bytes.count) }
        setField(region, Self.lengthOffset + 4 * next, UInt32(bytes.count))
        setField(region, Self.checksumOffset + 4 * next, Self.checksum(bytes))
        setField(region, Self.activeOffset, UInt32(next))
    }

    /// A copy of the active buffer of `region` (lock held); nil when it is empty or fails its checksum.
    func activeBytes(_ region: Int) -> [UInt8]? {
        let active = Int(field(region, Self.activeOffset) & 1)
        let length = Int(field(region, Self.lengthOffset + 4 * active))
        guard length > 0, length <= slotBytes else { return nil }
        let bytes = UnsafeRawBufferPointer(start: buffer(region, active), count: length)
        guard Self.checksum(bytes) == field(region, Self.checksumOffset + 4 * active) else { return nil }
        return Array(bytes)
    }

    /// FNV-1a over `bytes`.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for b in bytes { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return hash
    }
}
