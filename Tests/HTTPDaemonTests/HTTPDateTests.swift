// HTTPDate: IMF-fixdate out; IMF-fixdate, RFC 850 and asctime in; bad dates refused.

import Testing

@testable import HTTPCore

@Suite struct HTTPDateTests {
    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_000_000_000, "Sun, 09 Sep 2001 01:46:40 GMT"),
        (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
        (2_147_483_647, "Tue, 19 Jan 2038 03:14:07 GMT"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
    ])
    func formatsKnownEpochValues(seconds: Int, text: String) {
        #expect(HTTPDate.format(seconds) == text)
    }

    @Test func parsesIMFFixdate() {
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Tue, 29 Feb 2000 00:00:00 GMT") == 951_782_400)
    }

    @Test func parsesRFC850() {
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == 784_111_777)
        // Two-digit years below 70 are in the 2000s.
        #expect(HTTPDate.parse("Sunday, 09-Sep-01 01:46:40 GMT") == 1_000_000_000)
        #expect(HTTPDate.parse("Thursday, 01-Jan-70 00:00:00 GMT") == 0)
    }

    @Test func parsesAsctime() {
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == 784_111_777)
        #expect(HTTPDate.parse("Sun Nov 06 08:49:37 1994") == 784_111_777)
        #expect(HTTPDate.parse("Sun Sep  9 01:46:40 2001") == 1_000_000_000)
    }

    @Test func extraSpacesBetweenWordsAreTolerated() {
        #expect(HTTPDate.parse("Sun,  06 Nov 1994  08:49:37 GMT") == 784_111_777)
    }

    @Test(arguments: [
        "",
        "garbage",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 gmt",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 November 1994 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 08:49:37:00 GMT",
        "Sun, 06 Nov 1969 08:49:37 GMT",
        "Sun, 06 Nov 1994 -1:49:37 GMT",
        "Sun, 06 Nov 1994 +8:49:37 GMT",
        "Sun, +6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov +994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:-1:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37",
        "Sunday, 06-Nov-+4 08:49:37 GMT",
        "Sunday, 06/Nov/94 08:49:37 GMT",
        "Sun Nov  6 08:49:37",
        "Sun Foo  6 08:49:37 1994",
        "Sun Nov -6 08:49:37 1994",
        "Sun Nov  6 08:49:37 +1994",
        "1994-11-06T08:49:37Z",
        "784111777",
    ])
    func invalidDatesAreNil(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test func hugeYearsAreRefusedWithoutOverflow() {
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 9223372036854775807") == nil)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 99999999999999999999") == nil)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1000000000") == nil)
    }

    @Test func leapSecondIsAccepted() {
        #expect(HTTPDate.parse("Sat, 31 Dec 2016 23:59:60 GMT") == 1_483_228_800)
    }

    @Test(arguments: [
        0, 1, 59, 86399, 86400, 784_111_777, 951_782_400, 1_000_000_000, 1_234_567_890, 1_700_000_000, 4_102_444_799,
    ])
    func roundTrip(seconds: Int) {
        #expect(HTTPDate.parse(HTTPDate.format(seconds)) == seconds)
    }

    @Test func daysFromCivil() {
        #expect(HTTPDate.daysFromCivil(1970, 1, 1) == 0)
        #expect(HTTPDate.daysFromCivil(1970, 1, 2) == 1)
        #expect(HTTPDate.daysFromCivil(2000, 3, 1) == 11017)
        #expect(HTTPDate.daysFromCivil(1969, 12, 31) == -1)
    }
}
