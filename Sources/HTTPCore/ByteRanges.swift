// Range requests (RFC 9110 §14): parse `bytes=` specs, resolve them against a length,
// coalesce overlaps and refuse abusive sets, so one request can never amplify the response.

import Support

/// A resolved, inclusive byte range within a representation.
public struct ByteRange: Sendable, Equatable {
    public var first: Int
    public var last: Int

    public init(_ first: Int, _ last: Int) {
        self.first = first
        self.last = last
    }

    public var count: Int { last - first + 1 }
}

/// What to send for a request's Range field.
public enum RangeDecision: Sendable, Equatable {
    /// Ignore Range: send the whole representation with 200.
    case full
    /// 206 with these ranges (one: a plain body; several: multipart/byteranges), merged where they overlap
    /// or nearly touch, in the order they were requested: a merged range takes the place of its first-requested
    /// member (RFC 9110 §14.6).
    case partial([ByteRange])
    /// 416 with `Content-Range: bytes */length`.
    case unsatisfiable
}

/// Pure Range logic.
public enum ByteRanges {
    /// Most range specs a request may list; more and the Range is ignored (Apache's MaxRanges idea).
    public static let maxSpecs = 100
    /// Most ranges left after coalescing; more and the Range is ignored.
    public static let maxParts = 16
    /// Ranges closer than this many bytes are merged, as the multipart framing would cost as much.
    public static let mergeGap = 80

    enum Spec: Equatable {
        case fromTo(Int, Int?)
        case suffix(Int)
    }

    /// Parses `bytes=a-b, c-, -d`; nil when the field is malformed or not in bytes (then it is ignored).
    static func parse(_ value: String) -> [Spec]? {
        let trimmed = value.trimmingWhitespace()
        guard let eq = trimmed.firstIndex(of: "="), trimmed[..<eq].trimmingWhitespace().lowercased() == "bytes" else {
            return nil
        }
        var specs: [Spec] = []
        for raw in trimmed[trimmed.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false) {
            let part = raw.trimmingWhitespace()
            if part.isEmpty { continue }
            guard let dash = part.firstIndex(of: "-") else { return nil }
            let a = part[..<dash]
            let b = part[part.index(after: dash)...]
            if a.isEmpty {
                guard let n = number(b) else { return nil }
                specs.append(.suffix(n))
            } else {
                guard let first = number(a) else { return nil }
                if b.isEmpty {
                    specs.append(.fromTo(first, nil))
                } else {
                    guard let last = number(b), last >= first else { return nil }
                    specs.append(.fromTo(first, last))
                }
            }
            if specs.count > maxSpecs { return nil }
        }
        return specs.isEmpty ? nil : specs
    }

    /// 1*DIGIT as a number; more than 18 digits is larger than any file, so it counts as Int.max.
    static func number(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.utf8.allSatisfy(isASCIIDigit) else { return nil }
        return parseDecimal(s.utf8, maxDigits: 18) ?? Int.max
    }

    /// Decides what to send for `rangeField` on a representation of `length` bytes.
    public static func decide(_ rangeField: String, length: Int) -> RangeDecision {
        guard let specs = parse(rangeField) else { return .full }
        // Each satisfiable range with its place in the request.
        var ranges: [(range: ByteRange, order: Int)] = []
        for (order, spec) in specs.enumerated() {
            switch spec {
            case .fromTo(let first, let last):
                guard first < length else { continue }
                ranges.append((ByteRange(first, min(last ?? Int.max, length - 1)), order))
            case .suffix(let n):
                guard n > 0, length > 0 else { continue }
                ranges.append((ByteRange(max(0, length - n), length - 1), order))
            }
        }
        if ranges.isEmpty { return .unsatisfiable }
        ranges.sort { $0.range.first < $1.range.first }
        var merged = [ranges[0]]
        for r in ranges.dropFirst() {
            // Gap between the ranges (bytes not asked for) below mergeGap: one range, placed where the
            // first-requested of its members was.
            let k = merged.count - 1
            if r.range.first - (merged[k].range.last + 1) < mergeGap {
                merged[k].range.last = max(merged[k].range.last, r.range.last)
                merged[k].order = min(merged[k].order, r.order)
            } else {
                merged.append(r)
            }
        }
        if merged.count > maxParts { return .full }
        // RFC 9110 §14.6: parts SHOULD go out in the order they were requested.
        return .partial(merged.sorted { $0.order < $1.order }.map(\.range))
    }
}
