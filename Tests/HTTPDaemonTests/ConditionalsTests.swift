// Conditionals: entity-tag comparison and the RFC 9110 §13.2.2 evaluation order.

import Testing

@testable import Config
@testable import HTTPCore
@testable import Server

private let modified = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT
private let modifiedText = "Sun, 06 Nov 1994 08:49:37 GMT"
private let earlierText = "Sun, 06 Nov 1994 08:49:36 GMT"
private let laterText = "Sun, 06 Nov 1994 08:49:38 GMT"
private let validators = Validators(etag: "\"abc\"", lastModified: modified)

private func head(_ fields: [(String, String)]) -> RequestHead {
    RequestHead(
        method: "GET", target: "/", version: (1, 1),
        fields: [(name: "host", value: "h")] + fields.map { (name: $0.0, value: $0.1) })
}

private func evaluate(_ fields: [(String, String)], get: Bool = true) -> ConditionalOutcome {
    Conditionals.evaluate(head(fields), isGetOrHead: get, validators: validators)
}

@Suite struct ConditionalsTests {
    // MARK: Entity-tag lists

    @Test(arguments: [
        ("\"a\"", ["\"a\""]),
        ("\"a\", W/\"b\"", ["\"a\"", "W/\"b\""]),
        ("\"a\",\"b\",,\"c\"", ["\"a\"", "\"b\"", "\"c\""]),
        ("  \"a\"  ,\t\"b\"  ", ["\"a\"", "\"b\""]),
        ("\"\"", ["\"\""]),
        ("\"a,b\"", ["\"a,b\""]),
        ("", []),
        (" , ", []),
    ])
    func parseTags(value: String, tags: [String]) {
        #expect(Conditionals.parseTags(value) == tags)
    }

    @Test(arguments: ["a", "\"a", "\"a\" b", "\"a\"\"b\"", "W/a", "W/", "w/\"a\"", "*", "\"a\" ; \"b\""])
    func malformedTagLists(value: String) {
        #expect(Conditionals.parseTags(value) == nil)
    }

    @Test func strongComparison() {
        #expect(Conditionals.strongMatch("\"a\"", "\"a\""))
        #expect(!Conditionals.strongMatch("\"a\"", "\"b\""))
        #expect(!Conditionals.strongMatch("W/\"a\"", "\"a\""))
        #expect(!Conditionals.strongMatch("\"a\"", "W/\"a\""))
        #expect(!Conditionals.strongMatch("W/\"a\"", "W/\"a\""))
    }

    @Test func weakComparison() {
        #expect(Conditionals.weakMatch("\"a\"", "\"a\""))
        #expect(Conditionals.weakMatch("W/\"a\"", "\"a\""))
        #expect(Conditionals.weakMatch("\"a\"", "W/\"a\""))
        #expect(Conditionals.weakMatch("W/\"a\"", "W/\"a\""))
        #expect(!Conditionals.weakMatch("W/\"a\"", "\"b\""))
        #expect(!Conditionals.weakMatch("\"a\"", "\"A\""))
    }

    // MARK: §13.2.2 order

    @Test func noPreconditionsProceed() {
        #expect(evaluate([]) == .proceed)
        #expect(evaluate([], get: false) == .proceed)
    }

    @Test(arguments: [
        ("\"abc\"", ConditionalOutcome.proceed),
        ("*", .proceed),
        (" * ", .proceed),
        ("\"x\", \"abc\"", .proceed),
        ("\"x\"", .preconditionFailed),
        ("W/\"abc\"", .preconditionFailed),
        ("abc", .preconditionFailed),
        ("", .preconditionFailed),
    ])
    func ifMatch(value: String, outcome: ConditionalOutcome) {
        #expect(evaluate([("if-match", value)]) == outcome)
        #expect(evaluate([("if-match", value)], get: false) == outcome)
    }

    @Test func ifUnmodifiedSince() {
        #expect(evaluate([("if-unmodified-since", modifiedText)]) == .proceed)
        #expect(evaluate([("if-unmodified-since", laterText)]) == .proceed)
        #expect(evaluate([("if-unmodified-since", earlierText)]) == .preconditionFailed)
        #expect(evaluate([("if-unmodified-since", earlierText)], get: false) == .preconditionFailed)
    }

    @Test func invalidIfUnmodifiedSinceIsIgnored() {
        #expect(evaluate([("if-unmodified-since", "yesterday")]) == .proceed)
        #expect(evaluate([("if-unmodified-since", "")]) == .proceed)
    }

    @Test func ifMatchTakesPrecedenceOverIfUnmodifiedSince() {
        // Step 2 is only evaluated when If-Match is absent.
        #expect(evaluate([("if-match", "\"abc\""), ("if-unmodified-since", earlierText)]) == .proceed)
        #expect(evaluate([("if-unmodified-since", modifiedText), ("if-match", "\"nope\"")]) == .preconditionFailed)
    }

    @Test func failedIfMatchWinsOverIfNoneMatch() {
        #expect(evaluate([("if-none-match", "\"abc\""), ("if-match", "\"nope\"")]) == .preconditionFailed)
        #expect(evaluate([("if-none-match", "*"), ("if-unmodified-since", earlierText)]) == .preconditionFailed)
    }

    @Test(arguments: [
        ("\"abc\"", true),
        ("W/\"abc\"", true),
        ("\"x\", W/\"abc\"", true),
        ("*", true),
        ("\"x\"", false),
        ("\"ABC\"", false),
        ("garbage", false),
    ])
    func ifNoneMatch(value: String, matches: Bool) {
        #expect(evaluate([("if-none-match", value)]) == (matches ? .notModified : .proceed))
        #expect(evaluate([("if-none-match", value)], get: false) == (matches ? .preconditionFailed : .proceed))
    }

    @Test func ifModifiedSince() {
        #expect(evaluate([("if-modified-since", modifiedText)]) == .notModified)
        #expect(evaluate([("if-modified-since", laterText)]) == .notModified)
        #expect(evaluate([("if-modified-since", earlierText)]) == .proceed)
        // Other date formats work too.
        #expect(evaluate([("if-modified-since", "Sunday, 06-Nov-94 08:49:37 GMT")]) == .notModified)
        #expect(evaluate([("if-modified-since", "Sun Nov  6 08:49:37 1994")]) == .notModified)
    }

    @Test func ifModifiedSinceOnlyForGetAndHead() {
        #expect(evaluate([("if-modified-since", modifiedText)], get: false) == .proceed)
    }

    @Test func invalidIfModifiedSinceIsIgnored() {
        #expect(evaluate([("if-modified-since", "not a date")]) == .proceed)
        #expect(evaluate([("if-modified-since", "Sun, 06 Nov 1994 08:49:37 CET")]) == .proceed)
    }

    @Test func ifModifiedSinceIsIgnoredWhenIfNoneMatchIsPresent() {
        // A non-matching If-None-Match means "send it", whatever the date says.
        #expect(evaluate([("if-none-match", "\"old\""), ("if-modified-since", laterText)]) == .proceed)
        #expect(evaluate([("if-modified-since", laterText), ("if-none-match", "\"old\"")]) == .proceed)
        // Even a malformed one.
        #expect(evaluate([("if-none-match", "garbage"), ("if-modified-since", laterText)]) == .proceed)
        // A matching one decides on its own.
        #expect(evaluate([("if-none-match", "\"abc\""), ("if-modified-since", earlierText)]) == .notModified)
    }

    @Test func passingIfMatchThenIfNoneMatch() {
        #expect(evaluate([("if-match", "\"abc\""), ("if-none-match", "\"abc\"")]) == .notModified)
        #expect(evaluate([("if-unmodified-since", modifiedText), ("if-modified-since", modifiedText)]) == .notModified)
    }

    @Test func listFieldsOnSeveralLinesFormOneList() {
        #expect(evaluate([("if-none-match", "\"x\""), ("if-none-match", "\"abc\"")]) == .notModified)
        #expect(evaluate([("if-none-match", "\"x\""), ("if-none-match", "\"y\"")]) == .proceed)
        #expect(evaluate([("if-match", "\"x\""), ("if-match", "\"abc\"")]) == .proceed)
        #expect(evaluate([("if-match", "\"x\""), ("if-match", "\"y\"")]) == .preconditionFailed)
        #expect(
            Conditionals.listField(head([("if-match", "\"a\""), ("x", "1"), ("if-match", "\"b\"")]), "if-match") == "\"a\", \"b\""
        )
        #expect(Conditionals.listField(head([]), "if-match") == nil)
    }

    // MARK: The cap on entity tags

    /// `n` distinct tags, none of them the representation's, as `lines` field lines.
    private func tagLines(_ n: Int, lines: Int = 1) -> [String] {
        let tags = (0..<n).map { "\"t\($0)\"" }
        return (0..<lines).map { l in tags[(l * n / lines)..<((l + 1) * n / lines)].joined(separator: ", ") }
    }

    @Test func oneHundredTagsAreExamined() {
        #expect(Conditionals.maxTags == 100)
        #expect(Conditionals.parseTags(tagLines(100)[0])?.count == 100)
        // The representation's tag last of 100, on one line or on ten.
        for lines in [1, 10] {
            let matching = tagLines(99, lines: lines) + ["\"abc\""]
            #expect(evaluate(matching.map { ("if-none-match", $0) }) == .notModified)
            #expect(evaluate(matching.map { ("if-match", $0) }) == .proceed)
        }
    }

    @Test func moreThanOneHundredTagsMatchNothing() {
        #expect(Conditionals.parseTags(tagLines(101)[0]) == nil)
        // Even with the representation's tag first: a list over the cap is not examined at all.
        for lines in [1, 10] {
            let matching = ["\"abc\""] + tagLines(100, lines: lines)
            #expect(evaluate(matching.map { ("if-none-match", $0) }) == .proceed)
            #expect(evaluate(matching.map { ("if-match", $0) }) == .preconditionFailed)
            #expect(evaluate(matching.map { ("if-none-match", $0) }, get: false) == .proceed)
        }
        // If-Modified-Since stays ignored: If-None-Match is present (RFC 9110 §13.1.3).
        let withDate = ["\"abc\""] + tagLines(100)
        #expect(evaluate(withDate.map { ("if-none-match", $0) } + [("if-modified-since", laterText)]) == .proceed)
    }

    // MARK: If-Range

    @Test func rangeAllowedWithoutIfRange() {
        #expect(Conditionals.rangeAllowed(head([]), validators: validators))
    }

    @Test func ifRangeWithAnEntityTag() {
        #expect(Conditionals.rangeAllowed(head([("if-range", "\"abc\"")]), validators: validators))
        #expect(Conditionals.rangeAllowed(head([("if-range", "  \"abc\" ")]), validators: validators))
        #expect(!Conditionals.rangeAllowed(head([("if-range", "\"other\"")]), validators: validators))
        // A weak tag never matches (strong comparison).
        #expect(!Conditionals.rangeAllowed(head([("if-range", "W/\"abc\"")]), validators: validators))
    }

    @Test func ifRangeWithADate() {
        #expect(Conditionals.rangeAllowed(head([("if-range", modifiedText)]), validators: validators))
        #expect(!Conditionals.rangeAllowed(head([("if-range", laterText)]), validators: validators))
        #expect(!Conditionals.rangeAllowed(head([("if-range", earlierText)]), validators: validators))
        #expect(!Conditionals.rangeAllowed(head([("if-range", "not a date")]), validators: validators))
    }
}
