// The HTML status page's numbers, rounded for reading: each rule as a table of inputs and exact outputs.

import Testing

@testable import Server

@Suite struct ReadableNumbersTests {
    @Test func countsHaveThousandsSeparators() {
        let table: [(Int, String)] = [
            (0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (65_536, "65,536"), (1_234_567, "1,234,567"),
            (-1234, "-1,234"),
        ]
        for (n, text) in table { #expect(Readable.count(n) == text, "\(n)") }
    }

    @Test func numbersKeepAboutThreeDigits() {
        let table: [(Double, String)] = [
            (0, "0"), (0.25, "0.25"), (0.5, "0.5"), (0.004, "0.004"), (0.0999, "0.1"), (0.994, "0.99"), (0.996, "1"),
            (1, "1"), (2.401388, "2.4"), (12.5, "12.5"), (12.04, "12"), (99.44, "99.4"), (99.5, "100"), (1234.4, "1,234"),
            (-2.4, "-2.4"), (1e-13, "0"), (.nan, "-"), (.infinity, "-"),
        ]
        for (x, text) in table { #expect(Readable.number(x) == text, "\(x)") }
    }

    @Test func durationsPickTheirUnit() {
        let table: [(Double, String)] = [
            (0, "0 s"), (0.000_000_5, "0.5 µs"), (0.000_31, "310 µs"), (0.000_310_2, "310 µs"), (0.0005, "500 µs"),
            (0.000_999_7, "1 ms"), (0.002_401_388, "2.4 ms"), (0.0125, "12.5 ms"), (0.25, "250 ms"), (0.999_6, "1 s"),
            (1.234, "1.2 s"), (75, "75 s"), (4000, "4,000 s"),
        ]
        for (x, text) in table { #expect(Readable.duration(x) == text, "\(x)") }
    }

    @Test func bytesAreBinaryMultiples() {
        let table: [(Int, String)] = [
            (0, "0 B"), (512, "512 B"), (1023, "1,023 B"), (1024, "1 KiB"), (1536, "1.5 KiB"), (102_400, "100 KiB"),
            (1_048_575, "1 MiB"), (12_897_485, "12.3 MiB"), (2_147_483_648, "2 GiB"), (5_497_558_138_880, "5 TiB"),
        ]
        for (n, text) in table { #expect(Readable.bytes(n) == text, "\(n)") }
    }

    @Test func ratesAreRequestsPerSecond() {
        let table: [(Double, String)] = [(0, "0 req/s"), (0.2, "0.2 req/s"), (12.5, "12.5 req/s"), (1234.4, "1,234 req/s")]
        for (x, text) in table { #expect(Readable.rate(x) == text, "\(x)") }
    }

    @Test func uptimesShowTheirTwoLargestUnits() {
        let table: [(Int, String)] = [
            (0, "0 s"), (5, "5 s"), (60, "1 min"), (245, "4 min 5 s"), (3600, "1 h"), (11_040, "3 h 4 min"),
            (86400, "1 d"), (86459, "1 d"), (183_659, "2 d 3 h"), (-5, "0 s"),
        ]
        for (t, text) in table { #expect(Readable.uptime(t) == text, "\(t)") }
    }
}
