// `Header [always] set|append|add|unset NAME value` (a mod_headers subset) applied to a response's fields,
// and the check of a rule's name and value. Pure; field names compared as ASCII bytes, any case.

public import Config

/// Applies and checks `Header` rules.
public enum HeaderRules {
    /// The fields httpd writes or that frame the message: a rule may never name them (lowercased).
    /// `Server` is among them: the writer adds it after the fields (`ServerTokens` sets it), so a rule
    /// could only make a second line.
    static let owned = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "date", "content-range", "upgrade",
        "trailer", "te", "server",
    ]

    /// Applies `rules` in order to `headers`, the fields of a response with `status`. A rule without
    /// `always` applies only below 400 (1xx-3xx, 304 included); with `always`, to every status. `set`
    /// removes every line of the name and adds one at the end; `append` joins `, value` to the first line
    /// of the name (the value alone when that line is empty; later lines untouched), or adds one line;
    /// `add` adds one line; `unset` removes every line. A rule naming a field httpd owns (which `validate`
    /// refuses) is ignored. Returns at once when there are no rules.
    public static func apply(_ rules: [HeaderRule], to headers: inout [(String, String)], status: Int) {
        if rules.isEmpty { return }
        for rule in rules where (rule.always || status < 400) && !isOwned(rule.name) {
            switch rule.action {
            case .set:
                headers.removeAll { equalIgnoringASCIICase($0.0, rule.name) }
                headers.append((rule.name, rule.value))
            case .append:
                if let k = headers.firstIndex(where: { equalIgnoringASCIICase($0.0, rule.name) }) {
                    headers[k].1 = headers[k].1.isEmpty ? rule.value : headers[k].1 + ", " + rule.value
                } else {
                    headers.append((rule.name, rule.value))
                }
            case .add:
                headers.append((rule.name, rule.value))
            case .unset:
                headers.removeAll { equalIgnoringASCIICase($0.0, rule.name) }
            }
        }
    }

    /// True when `name` is one of the fields httpd owns, in any ASCII case.
    static func isOwned(_ name: String) -> Bool {
        owned.contains { equalIgnoringASCIICase($0, name) }
    }

    /// Why a `Header` rule's name and value are refused, or nil when they are fine: the name is a token
    /// (RFC 9110 §5.6.2) that httpd does not own; the value has no CR, LF, NUL or other control byte
    /// (HTAB allowed; bytes above 0x7F allowed, as obs-text).
    public static func validate(name: String, value: String) -> String? {
        if name.isEmpty { return "the field name is empty" }
        guard name.utf8.allSatisfy(isTokenByte) else {
            return "'\(name)' is not a field name (letters, digits and !#$%&'*+-.^_`|~ only)"
        }
        if isOwned(name) { return "\(name) is set by httpd itself; Header cannot change it" }
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
            return "the value of \(name) has a CR, LF or NUL"
        }
        if value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
            return "the value of \(name) has a control character"
        }
        return nil
    }

    /// tchar (RFC 9110 §5.6.2): ASCII letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        // ! # $ % & ' * + - . ^ _ ` | ~
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }
}
