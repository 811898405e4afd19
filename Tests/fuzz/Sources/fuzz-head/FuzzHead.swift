// Fuzz target: the request-head parser and the body framing after it, as a connection drives them.
// Properties: a head parsed whole, byte by byte, or in 2-3 reads split where the input's hash says gives
// the same result; a body is consumed to the same byte whole or split; pipelined requests follow.

import FuzzKit
import HTTPCore

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzHead`.
@_cdecl("fuzz_head_main")
func fuzzHeadMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzHead)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzHead(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let seed = fnv1a(input)
    // Small limits on some inputs, so the limit checks are reached with short inputs too.
    let limits =
        seed & 1 == 0
        ? HeadLimits() : HeadLimits(requestLine: 32 + Int(seed >> 8 & 63), fieldLine: 16 + Int(seed >> 16 & 63), fieldCount: 3)
    var offset = 0
    // Up to 4 pipelined requests, each head then its body.
    for round in 0..<4 {
        guard offset < input.count else { break }
        let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
        let result = parseWhole(rest, limits: limits)
        let cuts = splitPoints(length: rest.count, count: 3, seed: seed &+ UInt64(round))
        require(parseSplit(rest, limits: limits, cuts: cuts) == result, "head split at \(cuts) differs from whole")
        if rest.count <= 1024 {
            require(parseSplit(rest, limits: limits, cuts: Array(0..<rest.count)) == result, "head byte by byte differs")
        }
        guard case .complete(let head, let consumed) = result else { break }
        require(consumed > 0 && consumed <= rest.count, "consumed \(consumed) of \(rest.count)")
        require(head.fields.count <= limits.fieldCount, "more fields than the limit")
        guard case .success(let request) = Request.interpret(head) else { break }
        offset += consumed
        let body = UnsafeRawBufferPointer(rebasing: input[offset...])
        let limit = seed & 2 == 0 ? 1 << 20 : 64
        let whole = discard(body, request.body, limit: limit, cuts: [])
        let split = discard(body, request.body, limit: limit, cuts: splitPoints(length: body.count, count: 3, seed: ~seed))
        require(whole.consumed == split.consumed && whole.progress == split.progress, "body split differs from whole")
        require(whole.consumed <= body.count, "body consumed past the input")
        guard whole.progress == .done else { break }
        offset += whole.consumed
    }
    return 0
}

/// Parses `bytes` in one read.
func parseWhole(_ bytes: UnsafeRawBufferPointer, limits: HeadLimits) -> ParseResult {
    var parser = RequestParser(limits: limits)
    return parser.parse(bytes)
}

/// Parses the growing prefixes ending at each cut, then the whole buffer (a connection's successive reads).
func parseSplit(_ bytes: UnsafeRawBufferPointer, limits: HeadLimits, cuts: [Int]) -> ParseResult {
    var parser = RequestParser(limits: limits)
    for cut in cuts + [bytes.count] {
        let result = parser.parse(UnsafeRawBufferPointer(rebasing: bytes[..<cut]))
        if result != .needMore { return result }
    }
    return .needMore
}

/// Feeds `bytes` to a body discarder in reads ending at `cuts`; returns the bytes it took and its last answer.
func discard(_ bytes: UnsafeRawBufferPointer, _ framing: BodyFraming, limit: Int, cuts: [Int]) -> (
    consumed: Int, progress: BodyDiscarder.Progress
) {
    var discarder = BodyDiscarder(framing, limit: limit)
    var start = 0
    var progress = BodyDiscarder.Progress.needMore
    for cut in cuts + [bytes.count] where cut >= start {
        let (n, p) = discarder.consume(UnsafeRawBufferPointer(rebasing: bytes[start..<cut]))
        require(n <= cut - start, "discarder took \(n) of \(cut - start) bytes")
        progress = p
        start += n
        if p != .needMore { return (start, p) }
        require(start == cut, "discarder wants more but left \(cut - start) bytes")
    }
    if discarder.isDone { return (start, .done) }
    return (start, progress)
}
