// The shared helpers in Support: ASCII syntax, decimal numbers, percent-encoding, list joining,
// the EINTR retry and local time formatting.

import Testing

@testable import Support

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SupportTests {
    @Test func asciiDigits() {
        #expect((0...255).filter { isASCIIDigit(UInt8($0)) } == Array(0x30...0x39))
    }

    @Test func hexDigitValues() {
        var values: [UInt8: UInt8] = [:]
        for c in 0...255 { if let v = hexDigitValue(UInt8(c)) { values[UInt8(c)] = v } }
        #expect(values.count == 22)
        #expect(values[UInt8(ascii: "0")] == 0 && values[UInt8(ascii: "9")] == 9)
        #expect(values[UInt8(ascii: "a")] == 10 && values[UInt8(ascii: "F")] == 15)
        #expect(hexDigitValue(UInt8(ascii: "g")) == nil && hexDigitValue(UInt8(ascii: "@")) == nil)
    }

    @Test(arguments: [
        ("0", 18, 0), ("42", 18, 42), ("007", 3, 7), ("999999999999999999", 18, 999_999_999_999_999_999),
        ("65535", 5, 65535),
    ])
    func decimalAccepted(_ text: String, _ maxDigits: Int, _ value: Int) {
        #expect(parseDecimal(text.utf8, maxDigits: maxDigits) == value)
    }

    @Test(arguments: [
        ("", 18), ("+1", 18), ("-1", 18), (" 1", 18), ("1 ", 18), ("1a", 18), ("0x1", 18), ("123456", 5),
        ("1000000000000000000", 18), ("\u{0663}", 18),
    ])
    func decimalRefused(_ text: String, _ maxDigits: Int) {
        #expect(parseDecimal(text.utf8, maxDigits: maxDigits) == nil)
    }

    @Test func decimalOfByteSlices() {
        let bytes: [UInt8] = Array("pid 1234\n".utf8)
        #expect(parseDecimal(bytes[4..<8], maxDigits: 18) == 1234)
    }

    @Test func percentEncoding() {
        let letters: (UInt8) -> Bool = { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2F }
        #expect(percentEncode("/a b/ü".utf8, keeping: letters) == "/a%20b/%C3%BC")
        #expect(percentEncode([0x00, 0x0F, 0xFF], keeping: letters) == "%00%0F%FF")
        #expect(percentEncode([UInt8](), keeping: letters) == "")
    }

    @Test func fieldLinesJoinIntoOneList() {
        #expect(joinFieldLines(["a", "b, c", "d"]) == "a, b, c, d")
        #expect(joinFieldLines(["only"]) == "only")
        #expect(joinFieldLines([String]()) == nil)
        #expect(joinFieldLines(["", "b"]) == ", b")
    }

    @Test func joiningFieldLinesIsLinear() throws {
        // 100 lines of 8 KB (issue 9): each byte is copied once, not once per later line.
        let lines = (0..<100).map { String(repeating: Character(UnicodeScalar(UInt8(0x41 + $0 % 26))), count: 8192) }
        var copied = 0
        let joined = try #require(joinFieldLines(lines, copied: &copied))
        #expect(joined.utf8.count == 100 * 8192 + 99 * 2)
        #expect(joined == lines.joined(separator: ", "))
        #expect(copied == joined.utf8.count)
    }

    @Test func retryingEINTRReturnsResultOrErrno() {
        var calls = 0
        let interrupted = retryingEINTR { () -> Int32 in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(interrupted == .success(7))
        #expect(calls == 3)
        let failed = retryingEINTR { () -> Int in
            errno = EBADF
            return -1
        }
        #expect(failed == .failure(Errno(EBADF)))
        #expect(retryingEINTR { close(-1) } == .failure(Errno(EBADF)))
        #expect(Errno(ENOENT).description == errnoText(ENOENT))
    }

    @Test func localTimeFormatsItsFields() {
        // Thursday 1 January 1970, 01:00:00 CET.
        let t = LocalTime(
            year: 70, month: 0, day: 1, hour: 1, minute: 0, second: 0, weekday: 4, yearDay: 0, isDST: 0, utcOffset: 3600,
            zone: "CET")
        #expect(t.formatted("%a %b %d %H:%M:%S %Y") == "Thu Jan 01 01:00:00 1970")
        #expect(t.formatted("%A, %d-%b-%Y %H:%M:%S %Z") == "Thursday, 01-Jan-1970 01:00:00 CET")
        #expect(t.formatted("%z") == "+0100")
        #expect(t.formatted(String(repeating: "x", count: 200)) == "")
    }

    @Test func localTimeOfASecond() {
        let t = LocalTime(0)
        #expect(t.year == 70 || t.year == 69)
        #expect(t.utcOffset % 60 == 0)
        #expect(t.formatted("%Y") == String(1900 + Int(t.year)))
    }
}
