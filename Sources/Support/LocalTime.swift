// Local time as a value: broken down once (localtime_r reads the time zone), formatted later
// (strftime on the stored fields), so that code which only formats it stays pure.

#if canImport(Glibc)
    import Glibc
#endif

/// A moment broken down in the local time zone, as `struct tm` holds it.
public struct LocalTime: Sendable, Equatable {
    /// Years since 1900, month 0-11, day of the month 1-31, as in `struct tm`.
    public var year: Int32
    public var month: Int32
    public var day: Int32
    public var hour: Int32
    public var minute: Int32
    public var second: Int32
    /// Days since Sunday (0-6) and since 1 January (0-365).
    public var weekday: Int32
    public var yearDay: Int32
    /// Positive when daylight saving time is in effect, 0 when not, negative when unknown.
    public var isDST: Int32
    /// Seconds east of UTC, e.g. 3600 for CET.
    public var utcOffset: Int
    /// The zone's abbreviation, e.g. `CET`.
    public var zone: String

    /// `seconds` since the epoch in the process's time zone (this reads TZ and the zone files).
    public init(_ seconds: Int) {
        var t = time_t(seconds)
        var tm = Glibc.tm()
        localtime_r(&t, &tm)
        self.init(
            year: tm.tm_year, month: tm.tm_mon, day: tm.tm_mday, hour: tm.tm_hour, minute: tm.tm_min,
            second: tm.tm_sec, weekday: tm.tm_wday, yearDay: tm.tm_yday, isDST: tm.tm_isdst,
            utcOffset: Int(tm.tm_gmtoff), zone: tm.tm_zone.map { String(cString: $0) } ?? "")
    }

    /// A moment given field by field (tests build known moments this way).
    public init(
        year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32, weekday: Int32,
        yearDay: Int32, isDST: Int32, utcOffset: Int, zone: String
    ) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.weekday = weekday
        self.yearDay = yearDay
        self.isDST = isDST
        self.utcOffset = utcOffset
        self.zone = zone
    }

    /// The moment as `strftime(format)` writes it (C locale), at most 127 bytes; empty when longer.
    public func formatted(_ format: String) -> String {
        zone.withCString { zonePointer in
            var tm = Glibc.tm(
                tm_sec: second, tm_min: minute, tm_hour: hour, tm_mday: day, tm_mon: month, tm_year: year,
                tm_wday: weekday, tm_yday: yearDay, tm_isdst: isDST, tm_gmtoff: utcOffset, tm_zone: zonePointer)
            var buffer = [CChar](repeating: 0, count: 128)
            let length = strftime(&buffer, buffer.count, format, &tm)
            return length == 0 ? "" : String(nulTerminated: buffer)
        }
    }
}
