// Numbers rounded for people to read on the HTML status page: counts with thousands separators,
// durations (`310 µs`, `2.4 ms`), byte sizes (`12.3 MiB`), rates (`12.5 req/s`) and uptimes (`2 d 3 h`).

/// Numbers rounded for reading (the machine formats keep every digit).
enum Readable {
    /// `1,234,567`.
    static func count(_ n: Int) -> String {
        if n < 0 { return "-" + count(n == .min ? .max : -n) }
        var digits = String(n)
        var out = ""
        while digits.count > 3 {
            out = "," + digits.suffix(3) + out
            digits.removeLast(3)
        }
        return digits + out
    }

    /// `x` rounded for reading: integers from 100 on (`1,234`), one decimal from 1 to 100 (`12.5`, `2`),
    /// two significant digits below 1 (`0.25`, `0.004`); `0` for zero and for less than 10⁻¹².
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "-" }
        if x < 0 { return "-" + number(-x) }
        if x >= 99.5 { return x >= 9.2e18 ? "-" : count(Int(x.rounded())) }
        if x >= 0.995 {
            let tenths = Int((x * 10).rounded())
            return tenths % 10 == 0 ? String(tenths / 10) : "\(tenths / 10).\(tenths % 10)"
        }
        // Below 1: scale by 10^places until two digits show.
        var places = 2
        var scaled = x * 100
        while scaled < 9.95 {
            if places == 12 { return "0" }
            places += 1
            scaled *= 10
        }
        var digits = String(Int(scaled.rounded()))
        while digits.hasSuffix("0") { digits.removeLast() }
        return "0." + String(repeating: "0", count: places - 2) + digits
    }

    /// `x` in the largest of `units` (factor, name; ascending) that it reaches (the first when it reaches
    /// none), moved up one when rounding would show `next` (so 999.7 µs is `1 ms`, not `1,000 µs`).
    static func scaled(_ x: Double, _ units: [(Double, String)], next: Double) -> String {
        guard x.isFinite, x > 0 else { return "0 " + units[0].1 }
        var i = 0
        while i + 1 < units.count && x >= units[i + 1].0 { i += 1 }
        if i + 1 < units.count && x / units[i].0 >= next - 0.5 { i += 1 }
        return number(x / units[i].0) + " " + units[i].1
    }

    /// A duration: `0.5 µs`, `310 µs`, `2.4 ms`, `1.2 s`, `75 s`; `0 s` for zero.
    static func duration(_ seconds: Double) -> String {
        if seconds == 0 { return "0 s" }
        return scaled(seconds, [(1e-6, "µs"), (1e-3, "ms"), (1, "s")], next: 1000)
    }

    /// A byte size: `512 B`, `1.5 KiB`, `12.3 MiB`, `2 GiB`.
    static func bytes(_ n: Int) -> String {
        scaled(
            Double(n), [(1, "B"), (1024, "KiB"), (1_048_576, "MiB"), (1_073_741_824, "GiB"), (1_099_511_627_776, "TiB")],
            next: 1024)
    }

    /// A request rate: `0.2 req/s`, `12.5 req/s`, `1,234 req/s`.
    static func rate(_ perSecond: Double) -> String { number(perSecond) + " req/s" }

    /// An uptime in its two largest units: `5 s`, `4 min 5 s`, `3 h 4 min`, `2 d 3 h` (`2 d` when the
    /// hours are 0).
    static func uptime(_ seconds: Int) -> String {
        let t = max(seconds, 0)
        let parts = [(t / 86400, "d"), (t / 3600 % 24, "h"), (t / 60 % 60, "min"), (t % 60, "s")]
        let first = parts.firstIndex { $0.0 > 0 } ?? parts.count - 1
        var out = "\(parts[first].0) \(parts[first].1)"
        if first + 1 < parts.count && parts[first + 1].0 > 0 { out += " \(parts[first + 1].0) \(parts[first + 1].1)" }
        return out
    }
}
