// ByteRanges: parsing, resolving against a length, merging, and the caps that stop amplification.

import Testing

@testable import HTTPCore
@testable import IO
@testable import Server

private func ranges(_ pairs: [(Int, Int)]) -> RangeDecision {
    .partial(pairs.map { ByteRange($0.0, $0.1) })
}

@Suite struct ByteRangesTests {
    @Test func byteRangeCount() {
        #expect(ByteRange(0, 0).count == 1)
        #expect(ByteRange(10, 19).count == 10)
    }

    @Test func limits() {
        #expect(ByteRanges.maxSpecs == 100)
        #expect(ByteRanges.maxParts == 16)
        #expect(ByteRanges.mergeGap == 80)
    }

    // MARK: Single ranges

    @Test(arguments: [
        ("bytes=0-99", 0, 99),
        ("bytes=0-0", 0, 0),
        ("bytes=999-999", 999, 999),
        ("bytes=-100", 900, 999),
        ("bytes=-1", 999, 999),
        ("bytes=900-", 900, 999),
        ("bytes=0-", 0, 999),
        ("bytes=500-2000", 500, 999),
        ("bytes=-2000", 0, 999),
        ("bytes=-1000", 0, 999),
        ("bytes= 10-20 ", 10, 20),
        (" bytes=10-20", 10, 20),
        ("Bytes=10-20", 10, 20),
        ("BYTES=10-20", 10, 20),
        ("bytes=0010-0020", 10, 20),
    ])
    func single(field: String, first: Int, last: Int) {
        #expect(ByteRanges.decide(field, length: 1000) == ranges([(first, last)]))
    }

    @Test func wholeFileAsARange() {
        #expect(ByteRanges.decide("bytes=0-", length: 1) == ranges([(0, 0)]))
        #expect(ByteRanges.decide("bytes=-5", length: 1) == ranges([(0, 0)]))
    }

    // MARK: Unsatisfiable

    @Test(arguments: [
        ("bytes=1000-", 1000),
        ("bytes=1000-2000", 1000),
        ("bytes=5000-", 1000),
        ("bytes=-0", 1000),
        ("bytes=0-", 0),
        ("bytes=0-0", 0),
        ("bytes=-5", 0),
        ("bytes=-0", 0),
        ("bytes=1000-1001, 2000-", 1000),
        ("bytes=-0, 1000-", 1000),
    ])
    func unsatisfiable(field: String, length: Int) {
        #expect(ByteRanges.decide(field, length: length) == .unsatisfiable)
    }

    @Test func unsatisfiableSpecsAreDroppedWhenOthersAreSatisfiable() {
        #expect(ByteRanges.decide("bytes=2000-3000, 0-9", length: 1000) == ranges([(0, 9)]))
        #expect(ByteRanges.decide("bytes=-0, 5-9", length: 1000) == ranges([(5, 9)]))
    }

    // MARK: Malformed or not bytes: ignore the field

    @Test(arguments: [
        "", "bytes", "bytes=", "bytes=,", "bytes= , ,", "bytes=-", "bytes=a-b", "bytes=1-a", "bytes=a-", "bytes=5-3",
        "bytes=1", "bytes=1-2-3", "bytes=--5", "bytes=+1-2", "bytes=1-+2", "bytes=0x10-20", "bytes=1.5-2",
        "bytes=0-9, x", "bytes 0-9", "0-9", "=0-9", "items=0-9", "bytes0=0-9", "none",
    ])
    func malformedIsFull(field: String) {
        #expect(ByteRanges.decide(field, length: 1000) == .full)
    }

    @Test func malformedIsFullEvenForAnEmptyFile() {
        #expect(ByteRanges.decide("bytes=x", length: 0) == .full)
        #expect(ByteRanges.decide("items=0-", length: 0) == .full)
    }

    // MARK: Several ranges

    @Test func separateRangesAreKeptInTheOrderRequested() {
        // RFC 9110 §14.6: parts SHOULD appear in the order the ranges were requested.
        #expect(ByteRanges.decide("bytes=500-599,0-9", length: 1000) == ranges([(500, 599), (0, 9)]))
        #expect(ByteRanges.decide("bytes=0-9,500-599,-10", length: 1000) == ranges([(0, 9), (500, 599), (990, 999)]))
        #expect(ByteRanges.decide("bytes=-10,500-599,0-9", length: 1000) == ranges([(990, 999), (500, 599), (0, 9)]))
        #expect(ByteRanges.decide("bytes=500-599,2000-,0-9", length: 1000) == ranges([(500, 599), (0, 9)]))
    }

    @Test func aMergedRangeTakesThePlaceOfItsFirstRequestedMember() {
        // 600-699 and 0-9 are requested before 10-20 and 650-800; each merged range goes where its first member was.
        #expect(
            ByteRanges.decide("bytes=600-699,0-9,650-800,10-20", length: 1000) == ranges([(600, 800), (0, 20)]))
        #expect(
            ByteRanges.decide("bytes=300-399,650-800,0-9,600-699", length: 1000)
                == ranges([(300, 399), (600, 800), (0, 9)]))
        #expect(ByteRanges.decide("bytes=900-999,0-9,100-199,5-150", length: 1000) == ranges([(900, 999), (0, 199)]))
    }

    @Test func emptyElementsAreSkipped() {
        #expect(ByteRanges.decide("bytes=0-9,,500-599,", length: 1000) == ranges([(0, 9), (500, 599)]))
    }

    @Test func overlappingRangesAreMerged() {
        #expect(ByteRanges.decide("bytes=0-10,5-20", length: 1000) == ranges([(0, 20)]))
        #expect(ByteRanges.decide("bytes=5-20,0-10", length: 1000) == ranges([(0, 20)]))
        #expect(ByteRanges.decide("bytes=0-100,10-20", length: 1000) == ranges([(0, 100)]))
        #expect(ByteRanges.decide("bytes=0-0,0-0,0-0", length: 1000) == ranges([(0, 0)]))
        #expect(ByteRanges.decide("bytes=0-,-10", length: 1000) == ranges([(0, 999)]))
    }

    @Test func adjacentRangesAreMerged() {
        #expect(ByteRanges.decide("bytes=0-10,11-20", length: 1000) == ranges([(0, 20)]))
    }

    @Test func smallGapsAreMerged() {
        #expect(ByteRanges.decide("bytes=0-10,50-60", length: 1000) == ranges([(0, 60)]))
        // A gap of 79 bytes (11...89) is merged; 80 bytes (11...90) is not ("closer than 80 bytes").
        #expect(ByteRanges.decide("bytes=0-10,90-100", length: 1000) == ranges([(0, 100)]))
        #expect(ByteRanges.decide("bytes=0-10,91-100", length: 1000) == ranges([(0, 10), (91, 100)]))
    }

    @Test func mergingIsTransitive() {
        #expect(ByteRanges.decide("bytes=0-10,200-300,50-150", length: 1000) == ranges([(0, 300)]))
    }

    @Test func sixteenPartsAreServed() {
        let specs = (0..<16).map { "\($0 * 200)-\($0 * 200 + 9)" }.joined(separator: ",")
        let expected = (0..<16).map { ($0 * 200, $0 * 200 + 9) }
        #expect(ByteRanges.decide("bytes=" + specs, length: 10_000) == ranges(expected))
    }

    @Test func moreThanSixteenPartsIsFull() {
        let specs = (0..<17).map { "\($0 * 200)-\($0 * 200 + 9)" }.joined(separator: ",")
        #expect(ByteRanges.decide("bytes=" + specs, length: 10_000) == .full)
    }

    @Test func manyPartsThatMergeIntoFewAreServed() {
        // 50 specs, each within 80 bytes of the next: one range.
        let specs = (0..<50).map { "\($0 * 20)-\($0 * 20 + 9)" }.joined(separator: ",")
        #expect(ByteRanges.decide("bytes=" + specs, length: 10_000) == ranges([(0, 989)]))
    }

    @Test func oneHundredSpecsAreAccepted() {
        let specs = Array(repeating: "0-0", count: 100).joined(separator: ",")
        #expect(ByteRanges.decide("bytes=" + specs, length: 1000) == ranges([(0, 0)]))
    }

    @Test func moreThanOneHundredSpecsIsFull() {
        let specs = Array(repeating: "0-0", count: 101).joined(separator: ",")
        #expect(ByteRanges.decide("bytes=" + specs, length: 1000) == .full)
        let unsatisfiable = Array(repeating: "5000-", count: 101).joined(separator: ",")
        #expect(ByteRanges.decide("bytes=" + unsatisfiable, length: 1000) == .full)
    }

    // MARK: Huge numbers

    @Test func hugeNumbers() {
        #expect(ByteRanges.decide("bytes=0-99999999999999999999999", length: 1000) == ranges([(0, 999)]))
        #expect(ByteRanges.decide("bytes=0-9223372036854775807", length: 1000) == ranges([(0, 999)]))
        #expect(ByteRanges.decide("bytes=99999999999999999999-", length: 1000) == .unsatisfiable)
        #expect(ByteRanges.decide("bytes=99999999999999999999-99999999999999999999", length: 1000) == .unsatisfiable)
        #expect(ByteRanges.decide("bytes=-99999999999999999999", length: 1000) == ranges([(0, 999)]))
        #expect(ByteRanges.decide("bytes=999999999999999999-", length: 1000) == .unsatisfiable)
        #expect(ByteRanges.decide("bytes=0-5,-99999999999999999999", length: 1 << 50) == ranges([(0, (1 << 50) - 1)]))
    }

    @Test func largeFiles() {
        let length = 5_000_000_000
        #expect(ByteRanges.decide("bytes=4999999990-", length: length) == ranges([(4_999_999_990, 4_999_999_999)]))
        #expect(ByteRanges.decide("bytes=-10", length: length) == ranges([(4_999_999_990, 4_999_999_999)]))
    }
}
