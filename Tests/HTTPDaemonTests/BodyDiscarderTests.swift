// BodyDiscarder: Content-Length and chunked bodies read to their exact end, whole and split, and every refusal.

import Testing

@testable import Config
@testable import Files
@testable import HTTPCore
@testable import IO
@testable import Server

/// The result of feeding bytes to a discarder the way a connection does: each call gets the bytes
/// still unconsumed from the front of the input, and the input grows by `step` bytes per read.
private struct Outcome: Equatable {
    var consumed: Int
    var progress: BodyDiscarder.Progress
}

private func discard(_ bytes: [UInt8], _ framing: BodyFraming, limit: Int, step: Int) -> Outcome {
    var d = BodyDiscarder(framing, limit: limit)
    var consumed = 0
    var available = 0
    while true {
        available = min(available + step, bytes.count)
        let (n, progress) = bytes[consumed..<available].withUnsafeBytes { d.consume($0) }
        consumed += n
        if progress != .needMore || available == bytes.count { return Outcome(consumed: consumed, progress: progress) }
    }
}

/// Feeds `bytes` whole, byte by byte and in other read sizes; all must agree. Returns the whole-buffer outcome.
private func discard(
    _ text: String, _ framing: BodyFraming, limit: Int = 1 << 20, sourceLocation: SourceLocation = #_sourceLocation
) -> Outcome {
    let bytes = Array(text.utf8)
    let whole = discard(bytes, framing, limit: limit, step: max(bytes.count, 1))
    for step in [1, 2, 3, 5] {
        let piecewise = discard(bytes, framing, limit: limit, step: step)
        if whole.progress == .done || whole.progress == .needMore {
            #expect(piecewise == whole, "read size \(step) disagrees", sourceLocation: sourceLocation)
        } else {
            #expect(piecewise.progress == whole.progress, "read size \(step) disagrees", sourceLocation: sourceLocation)
        }
    }
    return whole
}

private func status(_ outcome: Outcome) -> Int? {
    if case .invalid(let e) = outcome.progress { return e.status.code }
    return nil
}

@Suite struct BodyDiscarderTests {
    // MARK: Content-Length

    @Test func contentLengthStopsExactlyAtTheEnd() {
        let outcome = discard("helloGET / HTTP/1.1\r\n", .length(5))
        #expect(outcome == Outcome(consumed: 5, progress: .done))
    }

    @Test func contentLengthNeedsMore() {
        #expect(discard("hel", .length(5)) == Outcome(consumed: 3, progress: .needMore))
        #expect(discard("", .length(5)) == Outcome(consumed: 0, progress: .needMore))
    }

    @Test func contentLengthCountsBytes() {
        var d = BodyDiscarder(.length(10), limit: 100)
        let bytes = Array("0123456789tail".utf8)
        let first = bytes[0..<4].withUnsafeBytes { d.consume($0) }
        #expect(first.consumed == 4)
        #expect(first.progress == .needMore)
        #expect(d.total == 4)
        #expect(!d.isDone)
        let second = bytes[4...].withUnsafeBytes { d.consume($0) }
        #expect(second.consumed == 6)
        #expect(second.progress == .done)
        #expect(d.total == 10)
        #expect(d.isDone)
    }

    @Test func noBodyIsDoneAtOnce() {
        let d = BodyDiscarder(.none, limit: 0)
        #expect(d.isDone)
        #expect(discard("GET / HTTP/1.1\r\n", .none) == Outcome(consumed: 0, progress: .done))
    }

    @Test func afterTheEndNothingMoreIsConsumed() {
        var d = BodyDiscarder(.length(2), limit: 100)
        let bytes = Array("abcd".utf8)
        let first = bytes.withUnsafeBytes { d.consume($0) }
        #expect(first.consumed == 2)
        #expect(first.progress == .done)
        let again = bytes[2...].withUnsafeBytes { d.consume($0) }
        #expect(again.consumed == 0)
        #expect(again.progress == .done)
    }

    // MARK: Chunked

    @Test func simpleChunkedBody() {
        let body = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        #expect(discard(body + "GET /next HTTP/1.1\r\n", .chunked) == Outcome(consumed: body.utf8.count, progress: .done))
    }

    @Test func chunkSizesAreHex() {
        let data = String(repeating: "x", count: 0x1A)
        let body = "1a\r\n\(data)\r\nA\r\n0123456789\r\n0\r\n\r\n"
        #expect(discard(body + "NEXT", .chunked) == Outcome(consumed: body.utf8.count, progress: .done))
        var d = BodyDiscarder(.chunked, limit: 1000)
        let bytes = Array(body.utf8)
        _ = bytes.withUnsafeBytes { d.consume($0) }
        #expect(d.total == 0x1A + 10)
    }

    @Test func leadingZerosInChunkSize() {
        let body = "0005\r\nhello\r\n000\r\n\r\n"
        #expect(discard(body + "X", .chunked) == Outcome(consumed: body.utf8.count, progress: .done))
    }

    @Test func chunkExtensionsAreSkipped() {
        let body = "5;name=value\r\nhello\r\n3 ; a=\"b c\"\r\nabc\r\n0;last\r\n\r\n"
        #expect(discard(body + "NEXT", .chunked) == Outcome(consumed: body.utf8.count, progress: .done))
    }

    @Test func whitespaceAfterTheChunkSize() {
        let body = "5 \r\nhello\r\n3\t ;x\r\nabc\r\n0  \r\n\r\n"
        #expect(discard(body + "NEXT", .chunked) == Outcome(consumed: body.utf8.count, progress: .done))
    }

    @Test func onlyAnExtensionMayFollowTheChunkSize() {
        // "5 6" is neither size 5 nor size 0x56: refusing it keeps every parser on the path in agreement.
        #expect(status(discard("5 6\r\nhello\r\n0\r\n\r\n", .chunked)) == 400)
        #expect(status(discard("5\tx\r\nhello\r\n0\r\n\r\n", .chunked)) == 400)
        #expect(status(discard("0 0\r\n\r\n", .chunked)) == 400)
    }

    @Test func trailersAreSkipped() {
        let body = "5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: two\r\n\r\n"
        #expect(discard(body + "GET", .chunked) == Outcome(consumed: body.utf8.count, progress: .done))
    }

    @Test func lfOnlyLines() {
        let body = "5\nhello\n0\nX: y\n\n"
        #expect(discard(body + "GET", .chunked) == Outcome(consumed: body.utf8.count, progress: .done))
        let noTrailer = "3;x\nabc\n0\n\n"
        #expect(discard(noTrailer + "GET", .chunked) == Outcome(consumed: noTrailer.utf8.count, progress: .done))
    }

    @Test func incompleteChunkedBodyNeedsMore() {
        for partial in [
            "5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n", "5\r\nhello\r\n0\r\nX: y\r\n",
            "0\r\n\r",
        ] {
            #expect(discard(partial, .chunked) == Outcome(consumed: partial.utf8.count, progress: .needMore), "\(partial)")
        }
    }

    @Test(arguments: [
        "x\r\n",
        "\r\n",
        " 5\r\nhello\r\n0\r\n\r\n",
        "-1\r\n",
        "0x5\r\nhello\r\n0\r\n\r\n",
        ";ext\r\n",
        "5\rX",
        "5\r\nhelloX\r\n0\r\n\r\n",
        "5\r\nhello\rX",
        "5;a\u{01}b\r\nhello\r\n0\r\n\r\n",
        "0\r\n\rX",
        "0\r\nX: y\rZ",
        "0\r\nX: \0\r\n\r\n",
    ])
    func invalidChunkedBodiesAre400(body: String) {
        #expect(status(discard(body, .chunked)) == 400)
    }

    @Test func chunkSizeWithTooManyDigitsIs413() {
        #expect(status(discard("1000000000000000\r\n", .chunked)) == 413)
        #expect(status(discard("ffffffffffffffffffff\r\n", .chunked)) == 413)
    }

    @Test func chunkedBodyOverTheLimitIs413() {
        // One chunk over the limit is refused when its size line ends, before its data arrives.
        #expect(status(discard("b\r\n", .chunked, limit: 10)) == 413)
        // The total counts, not each chunk.
        #expect(status(discard("5\r\nhello\r\n6\r\n", .chunked, limit: 10)) == 413)
        // Exactly at the limit is fine.
        let body = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"
        #expect(discard(body, .chunked, limit: 10) == Outcome(consumed: body.utf8.count, progress: .done))
    }

    @Test func overlongChunkExtensionIs400() {
        let ext = String(repeating: "a", count: 5000)
        #expect(status(discard("5;\(ext)\r\nhello\r\n0\r\n\r\n", .chunked)) == 400)
    }

    @Test func overlongTrailerIs431() {
        let value = String(repeating: "v", count: 9000)
        #expect(status(discard("0\r\nX: \(value)\r\n\r\n", .chunked)) == 431)
    }

    @Test func smugglingAttemptLeavesTheSecondRequestIntact() {
        // A chunk whose data contains what looks like a request is skipped as data.
        let smuggled = "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(smuggled.utf8.count == 0x20)
        let body = "20\r\n\(smuggled)\r\n0\r\n\r\n"
        #expect(discard(body + "GET / HTTP/1.1\r\n", .chunked) == Outcome(consumed: body.utf8.count, progress: .done))
    }
}
