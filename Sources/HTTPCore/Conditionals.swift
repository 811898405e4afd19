// Conditional requests (RFC 9110 §13): entity-tag comparison and the §13.2.2 order of evaluation.

import Support

/// The outcome of evaluating a request's preconditions.
public enum ConditionalOutcome: Sendable, Equatable {
    /// Serve the representation normally.
    case proceed
    /// 304 Not Modified (GET/HEAD only).
    case notModified
    /// 412 Precondition Failed.
    case preconditionFailed
}

/// What a representation offers for comparison: its strong ETag and Last-Modified seconds.
public struct Validators: Sendable, Equatable {
    /// The quoted strong entity-tag, e.g. `"5f1c-400"`.
    public var etag: String
    public var lastModified: Int

    public init(etag: String, lastModified: Int) {
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// Pure precondition logic.
public enum Conditionals {
    /// Most entity tags examined in one If-Match or If-None-Match list (all its lines); a longer list is
    /// evaluated as matching nothing, so a request can never make the server compare more.
    public static let maxTags = 100

    /// Splits an entity-tag list (`"a", W/"b"`) into tags; nil when malformed or longer than `maxTags`
    /// (scanning stops at the tag after the last allowed one).
    public static func parseTags(_ value: String) -> [String]? {
        var tags: [String] = []
        var s = Substring(value)
        while true {
            s = s.drop(while: { $0 == " " || $0 == "\t" || $0 == "," })
            if s.isEmpty { break }
            if tags.count == maxTags { return nil }
            var start = s.startIndex
            if s.hasPrefix("W/") { start = s.index(start, offsetBy: 2) }
            guard start < s.endIndex, s[start] == "\"" else { return nil }
            guard let close = s[s.index(after: start)...].firstIndex(of: "\"") else { return nil }
            tags.append(String(s[s.startIndex...close]))
            s = s[s.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" })
            if !s.isEmpty && s.first != "," { return nil }
        }
        return tags
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both strong and identical.
    public static func strongMatch(_ a: String, _ b: String) -> Bool {
        !a.hasPrefix("W/") && !b.hasPrefix("W/") && a == b
    }

    /// Weak comparison: identical opaque tags, W/ ignored.
    public static func weakMatch(_ a: String, _ b: String) -> Bool {
        (a.hasPrefix("W/") ? a.dropFirst(2) : Substring(a)) == (b.hasPrefix("W/") ? b.dropFirst(2) : Substring(b))
    }

    /// Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since in RFC 9110 §13.2.2 order.
    /// A malformed tag list, or one of more than `maxTags` tags, matches nothing: If-Match fails (412) and
    /// If-None-Match is passed (the normal response).
    public static func evaluate(_ head: RequestHead, isGetOrHead: Bool, validators v: Validators) -> ConditionalOutcome {
        // List fields sent on several lines form one list (RFC 9110 §5.3).
        if let ifMatch = listField(head, "if-match") {
            if ifMatch.trimmingWhitespace() != "*" {
                guard let tags = parseTags(ifMatch), tags.contains(where: { strongMatch($0, v.etag) }) else {
                    return .preconditionFailed
                }
            }
        } else if let ius = head.field("if-unmodified-since"), let date = HTTPDate.parse(ius) {
            if v.lastModified > date { return .preconditionFailed }
        }
        if let inm = listField(head, "if-none-match") {
            let matches: Bool
            if inm.trimmingWhitespace() == "*" {
                matches = true
            } else if let tags = parseTags(inm) {
                matches = tags.contains(where: { weakMatch($0, v.etag) })
            } else {
                matches = false
            }
            if matches { return isGetOrHead ? .notModified : .preconditionFailed }
        } else if isGetOrHead, let ims = head.field("if-modified-since"), let date = HTTPDate.parse(ims) {
            if v.lastModified <= date { return .notModified }
        }
        return .proceed
    }

    /// All lines of a list field joined with ", ", or nil when absent.
    static func listField(_ head: RequestHead, _ name: String) -> String? {
        joinFieldLines(head.fieldValues(name))
    }

    /// If-Range (RFC 9110 §13.1.5): true when a Range may be honoured.
    /// A date matches only when it equals Last-Modified exactly (a strong validator by our rules).
    public static func rangeAllowed(_ head: RequestHead, validators v: Validators) -> Bool {
        guard let ifRange = head.field("if-range")?.trimmingWhitespace() else { return true }
        if ifRange.hasPrefix("\"") || ifRange.hasPrefix("W/") {
            return strongMatch(String(ifRange), v.etag)
        }
        guard let date = HTTPDate.parse(String(ifRange)) else { return false }
        return date == v.lastModified
    }
}
