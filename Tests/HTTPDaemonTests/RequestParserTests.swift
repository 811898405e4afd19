// RequestParser: every vector whole, byte by byte and in odd-sized reads; limits as bytes arrive.

import Testing

@testable import Config
@testable import Files
@testable import HTTPCore
@testable import Server
@testable import Support

/// Parses `bytes` in one call.
private func parseWhole(_ bytes: [UInt8], limits: HeadLimits) -> ParseResult {
    var parser = RequestParser(limits: limits)
    return bytes.withUnsafeBytes { parser.parse($0) }
}

/// Parses `bytes` as they would arrive in reads of `step` bytes: the buffer always starts at the
/// request's first byte and only grows. Stops at the first answer other than `.needMore`.
/// Returns the answer and how many bytes had been fed when it came.
private func parseGrowing(_ bytes: [UInt8], step: Int, limits: HeadLimits) -> (result: ParseResult, fed: Int) {
    var parser = RequestParser(limits: limits)
    var fed = 0
    while fed < bytes.count {
        fed = min(fed + step, bytes.count)
        let result = bytes[0..<fed].withUnsafeBytes { parser.parse($0) }
        if result != .needMore { return (result, fed) }
    }
    return (.needMore, fed)
}

/// Feeds `text` whole, byte by byte and in a few other read sizes; every way must give the same answer.
private func parse(
    _ text: String, limits: HeadLimits = HeadLimits(), sourceLocation: SourceLocation = #_sourceLocation
) -> ParseResult {
    parse(Array(text.utf8), limits: limits, sourceLocation: sourceLocation)
}

private func parse(
    _ bytes: [UInt8], limits: HeadLimits = HeadLimits(), sourceLocation: SourceLocation = #_sourceLocation
) -> ParseResult {
    let whole = parseWhole(bytes, limits: limits)
    for step in [1, 2, 3, 7] {
        let growing = parseGrowing(bytes, step: step, limits: limits)
        #expect(growing.result == whole, "read size \(step) disagrees with the whole buffer", sourceLocation: sourceLocation)
    }
    return whole
}

/// The head and consumed count of a complete result, or nil.
private func complete(_ result: ParseResult) -> (head: RequestHead, consumed: Int)? {
    if case .complete(let head, let consumed) = result { return (head, consumed) }
    return nil
}

/// The status code of an invalid result, or nil.
private func failure(_ result: ParseResult) -> Int? {
    if case .invalid(let error) = result { return error.status.code }
    return nil
}

private func fieldPairs(_ head: RequestHead) -> [String] {
    head.fields.map { "\($0.name)=\($0.value)" }
}

@Suite struct RequestParserTests {
    // MARK: Valid requests

    @Test func simpleGet() throws {
        let text = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n"
        let (head, consumed) = try #require(complete(parse(text)))
        #expect(head.method == "GET")
        #expect(head.target == "/index.html")
        #expect(head.version == (1, 1))
        #expect(fieldPairs(head) == ["host=example.com"])
        #expect(consumed == text.utf8.count)
    }

    @Test func byteByByteAnswersOnlyAtTheLastByte() {
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        let (result, fed) = parseGrowing(bytes, step: 1, limits: HeadLimits())
        #expect(fed == bytes.count)
        #expect(complete(result)?.consumed == bytes.count)
    }

    @Test func incompleteHeadNeedsMore() {
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n") == .needMore)
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n\r") == .needMore)
        #expect(parse("GET / HTTP/1.1") == .needMore)
        #expect(parse("") == .needMore)
    }

    @Test func requestWithoutFields() throws {
        let (head, consumed) = try #require(complete(parse("GET / HTTP/1.0\r\n\r\n")))
        #expect(head.version == (1, 0))
        #expect(head.fields.isEmpty)
        #expect(consumed == 18)
    }

    @Test func leadingEmptyLinesAreIgnored() throws {
        let text = "\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        let (head, consumed) = try #require(complete(parse(text)))
        #expect(head.method == "GET")
        #expect(head.target == "/a")
        #expect(consumed == text.utf8.count)

        let lf = "\n\nGET /b HTTP/1.1\nHost: h\n\n"
        #expect(complete(parse(lf))?.head.target == "/b")
    }

    @Test func atMostEightBytesOfLeadingEmptyLines() {
        #expect(complete(parse("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")) != nil)
        #expect(complete(parse("\n\n\n\n\n\n\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")) != nil)
        #expect(failure(parse("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")) == 400)
        #expect(failure(parse("\n\n\n\n\n\n\n\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")) == 400)
    }

    @Test func isIdleUntilTheFirstByteOfARequest() {
        var parser = RequestParser()
        #expect(parser.isIdle)
        let blank = Array("\r\n".utf8)
        #expect(blank.withUnsafeBytes { parser.parse($0) } == .needMore)
        #expect(parser.isIdle)
        let started = Array("\r\nG".utf8)
        #expect(started.withUnsafeBytes { parser.parse($0) } == .needMore)
        #expect(!parser.isIdle)
        parser.reset()
        #expect(parser.isIdle)
    }

    @Test func lfOnlyLineEndings() throws {
        let text = "GET /x HTTP/1.1\nHost: example.com\nAccept: */*\n\n"
        let (head, consumed) = try #require(complete(parse(text)))
        #expect(head.target == "/x")
        #expect(fieldPairs(head) == ["host=example.com", "accept=*/*"])
        #expect(consumed == text.utf8.count)
    }

    @Test func mixedLineEndings() throws {
        let text = "GET /x HTTP/1.1\nHost: a\r\nX: b\n\r\n"
        let (head, consumed) = try #require(complete(parse(text)))
        #expect(fieldPairs(head) == ["host=a", "x=b"])
        #expect(consumed == text.utf8.count)
    }

    @Test func manyFieldsInOrder() throws {
        var text = "GET / HTTP/1.1\r\n"
        for k in 0..<50 { text += "X-Field-\(k): value \(k)\r\n" }
        text += "\r\n"
        let (head, _) = try #require(complete(parse(text)))
        #expect(head.fields.count == 50)
        #expect(head.fields.map(\.name) == (0..<50).map { "x-field-\($0)" })
        #expect(head.fields.map(\.value) == (0..<50).map { "value \($0)" })
    }

    @Test func headerNamesAreLowercasedAndValuesKeepTheirCase() throws {
        let text = "GET / HTTP/1.1\r\nHOST: Example.COM\r\nContent-TYPE: Text/HTML\r\nx-already-lower: v\r\n\r\n"
        let (head, _) = try #require(complete(parse(text)))
        #expect(fieldPairs(head) == ["host=Example.COM", "content-type=Text/HTML", "x-already-lower=v"])
    }

    @Test func methodAndTargetKeepTheirCase() throws {
        let (head, _) = try #require(complete(parse("get /A/b?C=D HTTP/1.1\r\n\r\n")))
        #expect(head.method == "get")
        #expect(head.target == "/A/b?C=D")
    }

    @Test func valuesAreTrimmedOfOptionalWhitespace() throws {
        let text = "GET / HTTP/1.1\r\nA:   spaced   \r\nB:\t\ttabbed\t \r\nC:no-space\r\nD: inner  \t words\r\n\r\n"
        let (head, _) = try #require(complete(parse(text)))
        #expect(fieldPairs(head) == ["a=spaced", "b=tabbed", "c=no-space", "d=inner  \t words"])
    }

    @Test func emptyValues() throws {
        let text = "GET / HTTP/1.1\r\nA:\r\nB:   \r\nC: \t\nD:\n\r\n"
        let (head, consumed) = try #require(complete(parse(text)))
        #expect(fieldPairs(head) == ["a=", "b=", "c=", "d="])
        #expect(consumed == text.utf8.count)
    }

    @Test func obsTextIsAllowedInValuesAndKeptByteForByte() throws {
        let bytes =
            Array("GET /caf".utf8) + [0xE9] + Array(" HTTP/1.1\r\nX: caf".utf8) + [0xC3, 0xA9] + Array("\r\nY: ".utf8) + [0xE9]
            + Array("\r\n\r\n".utf8)
        let (head, _) = try #require(complete(parse(bytes)))
        // ISO-8859-1: one character per byte, so the original bytes come back unchanged.
        #expect(head.field("x")?.latin1Bytes == Array("caf".utf8) + [0xC3, 0xA9])
        #expect(head.field("y")?.latin1Bytes == [0xE9])
        #expect(head.target.latin1Bytes == Array("/caf".utf8) + [0xE9])
    }

    @Test func repeatedFieldsAreKept() throws {
        let (head, _) = try #require(complete(parse("GET / HTTP/1.1\r\nX: 1\r\nY: 2\r\nx: 3\r\n\r\n")))
        #expect(head.field("x") == "1")
        #expect(head.fieldValues("x") == ["1", "3"])
        #expect(head.fieldValues("z") == [])
        #expect(head.field("z") == nil)
    }

    @Test(arguments: [
        ("HTTP/1.1", 1, 1), ("HTTP/1.0", 1, 0), ("HTTP/2.0", 2, 0), ("HTTP/0.9", 0, 9), ("HTTP/9.7", 9, 7),
    ])
    func versionDigitsAreParsed(version: String, major: Int, minor: Int) throws {
        let (head, _) = try #require(complete(parse("GET / \(version)\r\n\r\n")))
        #expect(head.version == (major, minor))
    }

    @Test func pipelinedRequestsLeaveTheNextRequestUnconsumed() throws {
        let first = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
        let second = "HEAD /two HTTP/1.1\r\nHost: b\r\n\r\n"
        let third = "GET /three HTTP/1.1\r\nHo"
        let bytes = Array((first + second + third).utf8)

        let (head1, consumed1) = try #require(complete(parse(bytes)))
        #expect(head1.target == "/one")
        #expect(consumed1 == first.utf8.count)

        let rest = Array(bytes[consumed1...])
        let (head2, consumed2) = try #require(complete(parse(rest)))
        #expect(head2.method == "HEAD")
        #expect(head2.target == "/two")
        #expect(head2.field("host") == "b")
        #expect(consumed2 == second.utf8.count)

        #expect(parse(Array(rest[consumed2...])) == .needMore)
    }

    @Test func resetStartsANewHead() throws {
        let bytes = Array("GET /one HTTP/1.1\r\nA: 1\r\n\r\nGET /two HTTP/1.1\r\nB: 2\r\n\r\n".utf8)
        var parser = RequestParser()
        let (head1, consumed1) = try #require(complete(bytes.withUnsafeBytes { parser.parse($0) }))
        #expect(fieldPairs(head1) == ["a=1"])
        parser.reset()
        let rest = Array(bytes[consumed1...])
        let (head2, consumed2) = try #require(complete(rest.withUnsafeBytes { parser.parse($0) }))
        #expect(head2.target == "/two")
        #expect(fieldPairs(head2) == ["b=2"])
        #expect(consumed2 == rest.count)
    }

    @Test func bodyBytesAfterTheHeadAreNotConsumed() throws {
        let head = "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
        let (_, consumed) = try #require(complete(parse(head + "hello")))
        #expect(consumed == head.utf8.count)
    }

    // MARK: Limits

    @Test func requestLineAtTheLimitIsAccepted() throws {
        let limits = HeadLimits(requestLine: 64, fieldLine: 64, fieldCount: 4)
        let line = "GET /" + String(repeating: "a", count: 64 - 14) + " HTTP/1.1"
        #expect(line.utf8.count == 64)
        #expect(complete(parse(line + "\r\n\r\n", limits: limits)) != nil)
        #expect(complete(parse(line + "\n\n", limits: limits)) != nil)
    }

    @Test func requestLineOverTheLimitIs414() {
        let limits = HeadLimits(requestLine: 64, fieldLine: 64, fieldCount: 4)
        let line = "GET /" + String(repeating: "a", count: 65 - 14) + " HTTP/1.1"
        #expect(line.utf8.count == 65)
        #expect(failure(parse(line + "\r\n\r\n", limits: limits)) == 414)
        #expect(failure(parse(line + "\n\n", limits: limits)) == 414)
        // A long method is part of the request line too.
        #expect(failure(parse(String(repeating: "G", count: 65), limits: limits)) == 414)
    }

    @Test func requestLineLimitIsCheckedAsBytesArrive() {
        let limits = HeadLimits(requestLine: 100, fieldLine: 100, fieldCount: 4)
        let bytes = Array(("GET /" + String(repeating: "x", count: 10_000)).utf8)
        // Exactly at the limit without CRLF: still waiting.
        #expect(parseWhole(Array(bytes[0..<100]), limits: limits) == .needMore)
        // One byte more fails at once, without waiting for the line to end.
        #expect(failure(parseWhole(Array(bytes[0..<101]), limits: limits)) == 414)
        let (result, fed) = parseGrowing(bytes, step: 1, limits: limits)
        #expect(failure(result) == 414)
        #expect(fed == 101)
    }

    @Test func defaultLimitsAreApaches() {
        let limits = HeadLimits()
        #expect(limits.requestLine == 8190)
        #expect(limits.fieldLine == 8190)
        #expect(limits.fieldCount == 100)
        let bytes = Array(("GET /" + String(repeating: "x", count: 9000)).utf8)
        let (result, fed) = parseGrowing(bytes, step: 1, limits: limits)
        #expect(failure(result) == 414)
        #expect(fed == 8191)
    }

    @Test func fieldLineAtTheLimitIsAccepted() throws {
        let limits = HeadLimits(requestLine: 64, fieldLine: 64, fieldCount: 4)
        let field = "X: " + String(repeating: "v", count: 61)
        #expect(field.utf8.count == 64)
        let (head, _) = try #require(complete(parse("GET / HTTP/1.1\r\n\(field)\r\n\r\n", limits: limits)))
        #expect(head.field("x")?.utf8.count == 61)
        #expect(complete(parse("GET / HTTP/1.1\n\(field)\n\n", limits: limits)) != nil)
    }

    @Test func fieldLineOverTheLimitIs431() {
        let limits = HeadLimits(requestLine: 64, fieldLine: 64, fieldCount: 4)
        let field = "X: " + String(repeating: "v", count: 62)
        #expect(failure(parse("GET / HTTP/1.1\r\n\(field)\r\n\r\n", limits: limits)) == 431)
        #expect(failure(parse("GET / HTTP/1.1\n\(field)\n\n", limits: limits)) == 431)
        // Trailing whitespace counts toward the line too.
        let padded = "X: v" + String(repeating: " ", count: 61)
        #expect(failure(parse("GET / HTTP/1.1\r\n\(padded)\r\n\r\n", limits: limits)) == 431)
        // A long name alone is enough.
        #expect(failure(parse("GET / HTTP/1.1\r\n" + String(repeating: "n", count: 65), limits: limits)) == 431)
    }

    @Test func fieldLineLimitIsCheckedAsBytesArrive() {
        let limits = HeadLimits(requestLine: 64, fieldLine: 64, fieldCount: 4)
        let prefix = "GET / HTTP/1.1\r\n"
        let bytes = Array((prefix + "X: " + String(repeating: "v", count: 10_000)).utf8)
        let (result, fed) = parseGrowing(bytes, step: 1, limits: limits)
        #expect(failure(result) == 431)
        #expect(fed == prefix.utf8.count + 65)
    }

    @Test func fieldCountAtTheLimitIsAccepted() throws {
        let limits = HeadLimits(requestLine: 64, fieldLine: 64, fieldCount: 3)
        let (head, _) = try #require(complete(parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)))
        #expect(head.fields.count == 3)
    }

    @Test func tooManyFieldsIs431AtTheFirstByteOfTheExtraField() {
        let limits = HeadLimits(requestLine: 64, fieldLine: 64, fieldCount: 3)
        let prefix = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n"
        let bytes = Array((prefix + "D: 4\r\n\r\n").utf8)
        #expect(failure(parse(bytes, limits: limits)) == 431)
        let (_, fed) = parseGrowing(bytes, step: 1, limits: limits)
        #expect(fed == prefix.utf8.count + 1)
    }

    @Test func defaultFieldCountLimit() {
        func request(fields: Int) -> String {
            "GET / HTTP/1.1\r\n" + (0..<fields).map { "F\($0): x\r\n" }.joined() + "\r\n"
        }
        #expect(complete(parse(request(fields: 100))) != nil)
        #expect(failure(parse(request(fields: 101))) == 431)
    }

    /// A head of exactly `size` bytes (CRLF line ends): a request line, `X:` fields of at most 60 bytes, the blank line.
    private func head(ofSize size: Int) -> String {
        var text = "GET / HTTP/1.1\r\n"
        while size - text.utf8.count - 2 > 64 {
            text += "X: " + String(repeating: "v", count: 55) + "\r\n"
        }
        let last = size - text.utf8.count - 2 - 5
        return text + "Y: " + String(repeating: "w", count: last) + "\r\n\r\n"
    }

    @Test func headAtTheSizeLimitIsAccepted() throws {
        let limits = HeadLimits(fieldCount: 1000, headSize: 1024)
        let text = head(ofSize: 1024)
        #expect(text.utf8.count == 1024)
        let (_, consumed) = try #require(complete(parse(text, limits: limits)))
        #expect(consumed == 1024)
        // Bytes after the head (a body, a pipelined request) do not count toward it.
        let (_, consumedWithMore) = try #require(complete(parse(text + "GET / HTTP/1.1\r\n", limits: limits)))
        #expect(consumedWithMore == 1024)
    }

    @Test func headOverTheSizeLimitIs431() {
        let limits = HeadLimits(fieldCount: 1000, headSize: 1024)
        let text = head(ofSize: 1025)
        #expect(text.utf8.count == 1025)
        #expect(
            parse(text, limits: limits)
                == .invalid(RequestError(.requestHeaderFieldsTooLarge, "request head longer than 1024 bytes")))
        // The blank line that ends the head counts too: fields of 1024 bytes leave no room for it.
        let fieldsOnly = String(decoding: head(ofSize: 1026).utf8.dropLast(2), as: UTF8.self)
        #expect(fieldsOnly.utf8.count == 1024)
        #expect(failure(parse(fieldsOnly + "\r\n", limits: limits)) == 431)
    }

    @Test func headSizeLimitIsCheckedAsBytesArrive() {
        let limits = HeadLimits(fieldCount: 1000, headSize: 1024)
        // An endless head of short, valid lines: no line limit or field count is ever reached.
        let bytes = Array(("GET / HTTP/1.1\r\n" + String(repeating: "X: v\r\n", count: 5000)).utf8)
        #expect(parseWhole(Array(bytes[0..<1024]), limits: limits) == .needMore)
        #expect(failure(parseWhole(Array(bytes[0..<1025]), limits: limits)) == 431)
        for step in [1, 7, 1000, 16384] {
            let (result, fed) = parseGrowing(bytes, step: step, limits: limits)
            #expect(failure(result) == 431)
            // The answer comes with the first read that goes past the limit.
            #expect(fed == min(bytes.count, (1024 / step + 1) * step))
        }
    }

    @Test func defaultHeadSizeLimit() throws {
        #expect(HeadLimits().headSize == 32768)
        #expect(Configuration().limitRequestHeadSize == 32768)
        // 100 fields of 8000 bytes fit every per-line limit but not the head limit (the 0.8 MB head).
        let field = "X: " + String(repeating: "v", count: 8000) + "\r\n"
        let bytes = Array(("GET / HTTP/1.1\r\n" + String(repeating: field, count: 100) + "\r\n").utf8)
        let (result, fed) = parseGrowing(bytes, step: 1, limits: HeadLimits())
        #expect(failure(result) == 431)
        #expect(fed == 32769)
        #expect(failure(parseWhole(bytes, limits: HeadLimits())) == 431)
        // A head of 32768 bytes made of long lines is accepted.
        let (_, consumed) = try #require(complete(parse(head(ofSize: 32768), limits: HeadLimits(fieldCount: 1000))))
        #expect(consumed == 32768)
    }

    // MARK: Invalid requests

    @Test(arguments: [
        // Bare CR anywhere.
        "GET / HTTP/1.1\rHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost:\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\rX",
        "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "\r\n\rGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /a\rb HTTP/1.1\r\n\r\n",
        // NUL anywhere.
        "GET /\0 HTTP/1.1\r\n\r\n",
        "G\0T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n",
        "GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n",
        "GET / HTTP/1.1\0\r\n\r\n",
        "\0GET / HTTP/1.1\r\n\r\n",
        // obs-fold and whitespace at the start of a field line.
        "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n",
        "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
        // Whitespace before the colon.
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
        // Invalid token characters in method or field name.
        "G(T / HTTP/1.1\r\n\r\n",
        "GE\"T / HTTP/1.1\r\n\r\n",
        "GET@ / HTTP/1.1\r\n\r\n",
        "[GET] / HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n",
        "GET / HTTP/1.1\r\nX/Y: a\r\n\r\n",
        "GET / HTTP/1.1\r\n: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost a\r\n\r\n",
        // Control characters in the target or a value.
        "GET /a\tb HTTP/1.1\r\n\r\n",
        "GET /a\u{7F}b HTTP/1.1\r\n\r\n",
        "GET /a\u{01}b HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u{7F}b\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u{01}b\r\n\r\n",
        "GET / HTTP/1.1\r\nX: \u{1B}\r\n\r\n",
        // Missing or malformed version, malformed request line.
        "GET /\r\n\r\n",
        "GET /\n\n",
        "GET / \r\n\r\n",
        "GET\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1 \r\n\r\n",
        "GET / HTTP/1.1 extra\r\n\r\n",
        "GET / HTTP/1\r\n\r\n",
        "GET / HTTP/1.1x\r\n\r\n",
        "GET / HTTP/11\r\n\r\n",
        "GET / HTTP/1.10\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "GET / HTTPS/1.1\r\n\r\n",
        "GET / HTTP/a.1\r\n\r\n",
        "GET / HTTP/1.b\r\n\r\n",
        "GET / HTTP/1,1\r\n\r\n",
        "GET / HTTP-1.1\r\n\r\n",
        "GET / HTTP/1.1\rX",
    ])
    func malformedRequestsAre400(text: String) {
        #expect(failure(parse(text)) == 400)
    }

    @Test func rejectedAtTheOffendingByte() {
        // Everything after the offending byte is irrelevant: byte-by-byte feeding fails right there.
        let bytes = Array("GET / HTTP/1.1\r\nHost : a\r\n\r\n".utf8)
        let (result, fed) = parseGrowing(bytes, step: 1, limits: HeadLimits())
        #expect(failure(result) == 400)
        #expect(fed == "GET / HTTP/1.1\r\nHost ".utf8.count)

        let nul = Array("GET /a\0bcdef".utf8)
        let (nulResult, nulFed) = parseGrowing(nul, step: 1, limits: HeadLimits())
        #expect(failure(nulResult) == 400)
        #expect(nulFed == 7)
    }

    @Test func bareCRBeforeTheRequestIsRefusedHoweverItArrives() {
        // The CR may be the last byte of a read; the next byte decides.
        let bytes = Array("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        #expect(failure(parseWhole(bytes, limits: HeadLimits())) == 400)
        let (result, fed) = parseGrowing(bytes, step: 1, limits: HeadLimits())
        #expect(failure(result) == 400)
        #expect(fed == 2)
    }

    @Test func errorsCarryAReason() {
        #expect(
            parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n")
                == .invalid(RequestError(.badRequest, "whitespace before colon in header field")))
        #expect(parse("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n") == .invalid(RequestError(.badRequest, "obsolete line folding")))
        #expect(parse("GET / HTTP/1\r\n\r\n") == .invalid(RequestError(.badRequest, "malformed HTTP version")))
        #expect(parse("GET /\r\n\r\n") == .invalid(RequestError(.badRequest, "request line without HTTP version")))
        let limits = HeadLimits(requestLine: 64, fieldLine: 64, fieldCount: 1)
        #expect(
            parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits)
                == .invalid(RequestError(.requestHeaderFieldsTooLarge, "more than 1 header fields")))
    }
}
