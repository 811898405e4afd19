// Resident memory and CPU time of this process (/proc/self/statm, getrusage) and the system's load
// average (/proc/loadavg, as getloadavg reads it): read when a status snapshot is taken, never by the renderers.
// The /proc files stay open once read, so that a process inside a `Chroot` (no /proc there) opens them before
// changing its root and reads them after.

import Support

#if canImport(Glibc)
    import Glibc
#endif

/// A /proc file kept open by the process that opened it, read again from its start each time (the kernel makes
/// the text anew for a read at offset 0).
struct ProcFile {
    let path: String
    /// The process that opened `fd` (a forked child opens its own: /proc/self was its parent's).
    var owner: pid_t = 0
    var fd: Int32 = -1

    init(_ path: String) { self.path = path }

    /// Opens the file for this process unless it is open already; false when it cannot be opened.
    mutating func open() -> Bool {
        let me = getpid()
        if fd >= 0 && owner == me { return true }
        if fd >= 0 { close(fd) }
        owner = me
        fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        return fd >= 0
    }

    /// The file's text now (at most 127 bytes: the numbers wanted come first), or nil.
    mutating func read() -> ArraySlice<UInt8>? {
        guard open() else { return nil }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = pread(fd, &buffer, buffer.count - 1, 0)
        return n > 0 ? buffer[0..<n] : nil
    }

    /// Loop thread only (and start-up code on that thread before the loop runs).
    nonisolated(unsafe) static var statm = ProcFile("/proc/self/statm")
    nonisolated(unsafe) static var loadavg = ProcFile("/proc/loadavg")

    /// Opens both files now (before a `Chroot`); those that cannot be opened, with errno.
    static func openAll() -> [(path: String, errno: Int32)] {
        var failed: [(path: String, errno: Int32)] = []
        if !statm.open() { failed.append((statm.path, errno)) }
        if !loadavg.open() { failed.append((loadavg.path, errno)) }
        return failed
    }
}

/// This process's resource usage right now.
public struct ProcessUsage: Sendable {
    public var residentBytes: Int
    /// CPU seconds in user and in system mode.
    public var user: Double
    public var system: Double

    /// The usage now; resident memory is 0 when /proc/self/statm cannot be read.
    public static func current() -> ProcessUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        var resident = 0
        if let text = ProcFile.statm.read() {
            let fields = text.split(separator: 0x20)
            if fields.count > 1, let pages = parseDecimal(fields[1], maxDigits: 18) {
                resident = pages * Int(sysconf(Int32(_SC_PAGESIZE)))
            }
        }
        return ProcessUsage(residentBytes: resident, user: user, system: system)
    }
}

/// The system's load averages over 1, 5 and 15 minutes.
public struct LoadAverage: Sendable, Equatable {
    public var one: Double
    public var five: Double
    public var fifteen: Double

    public init(one: Double, five: Double, fifteen: Double) {
        self.one = one
        self.five = five
        self.fifteen = fifteen
    }

    /// The load averages now (the first three numbers of /proc/loadavg); zeros when they cannot be read.
    public static func current() -> LoadAverage {
        let numbers = ProcFile.loadavg.read().map { text in
            text.split(separator: 0x20).prefix(3).compactMap { Double(String(decoding: $0, as: UTF8.self)) }
        }
        guard let numbers, numbers.count == 3 else { return LoadAverage(one: 0, five: 0, fifteen: 0) }
        return LoadAverage(one: numbers[0], five: numbers[1], fifteen: numbers[2])
    }
}
