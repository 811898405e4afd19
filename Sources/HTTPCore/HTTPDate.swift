// HTTP dates (RFC 9110 §5.6.7): IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in.

import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Formats and parses HTTP dates as seconds since the Unix epoch.
public enum HTTPDate {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for `seconds` since the epoch.
    public static func format(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        return "\(days[Int(tm.tm_wday)]), \(pad2(Int(tm.tm_mday))) \(months[Int(tm.tm_mon)]) \(Int(tm.tm_year) + 1900) "
            + "\(pad2(Int(tm.tm_hour))):\(pad2(Int(tm.tm_min))):\(pad2(Int(tm.tm_sec))) GMT"
    }

    static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// Seconds since the epoch for an HTTP date in any of the three formats; nil when invalid.
    public static func parse(_ text: String) -> Int? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        var day: Int?
        var month: Int?
        var year: Int?
        var clock: Substring?
        if words.count == 6, words[0].hasSuffix(","), words[5] == "GMT" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            day = number(words[1])
            month = months.firstIndex(of: String(words[2]))
            year = number(words[3])
            clock = words[4]
            if words[1].count != 2 || words[3].count != 4 { return nil }
        } else if words.count == 4, words[0].hasSuffix(","), words[3] == "GMT" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            let parts = words[1].split(separator: "-")
            guard parts.count == 3, let y = number(parts[2]), parts[2].count == 2 else { return nil }
            day = number(parts[0])
            month = months.firstIndex(of: String(parts[1]))
            year = y < 70 ? 2000 + y : 1900 + y
            clock = words[2]
        } else if words.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            month = months.firstIndex(of: String(words[1]))
            day = number(words[2])
            clock = words[3]
            year = number(words[4])
        } else {
            return nil
        }
        guard let d = day, let m = month, let y = year, let c = clock, (1...31).contains(d), y >= 1970 else { return nil }
        let hms = c.split(separator: ":")
        guard hms.count == 3, hms.allSatisfy({ $0.count == 2 }), let h = number(hms[0]), let mi = number(hms[1]),
            let s = number(hms[2]),
            h < 24, mi < 60, s < 61
        else { return nil }
        return daysFromCivil(y, m + 1, d) * 86400 + h * 3600 + mi * 60 + s
    }

    /// 1 to 9 ASCII digits as a number; nil for anything else (a sign or space included).
    static func number(_ s: Substring) -> Int? {
        parseDecimal(s.utf8, maxDigits: 9)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
