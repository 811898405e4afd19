// Resident memory and CPU time of this process, from /proc/self/statm and getrusage (no disk I/O).
import IO
import Files
import HTTPCore
import Config
import Support
#if canImport(Glibc)
    import Glibc
#endif

/// This process's resource usage right now.
public struct ProcessUsage: Sendable {
    public var residentBytes: Int
    public var user: Double
    public var system: Double

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
                if fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) {
                    resident = pages * Int(sysconf(Int32(_SC_PAGESIZE)))
                }
            }
        }
        return ProcessUsage(residentBytes: resident, user: user, system: system)
    }
}
