// Resident memory and CPU time of this process (/proc/self/statm, getrusage) and the system's load
// average (getloadavg): read when a status snapshot is taken, never by the renderers.

import Support

#if canImport(Glibc)
    import Glibc
#endif

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
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            var buffer = [UInt8](repeating: 0, count: 128)
            let n = read(fd, &buffer, buffer.count)
            close(fd)
            if n > 0 {
                let fields = buffer[0..<n].split(separator: 0x20)
                if fields.count > 1, let pages = parseDecimal(fields[1], maxDigits: 18) {
                    resident = pages * Int(sysconf(Int32(_SC_PAGESIZE)))
                }
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

    /// The load averages now (getloadavg); zeros when they cannot be read.
    public static func current() -> LoadAverage {
        var l = [Double](repeating: 0, count: 3)
        _ = getloadavg(&l, 3)
        return LoadAverage(one: l[0], five: l[1], fifteen: l[2])
    }
}
