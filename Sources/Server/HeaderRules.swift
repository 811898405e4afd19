// `Header [always] set|append|add|unset NAME value` (a mod_headers subset) applied to a response's fields.
// Pure; field names compared as ASCII bytes, any case. (Config's SiteSyntax.header checks the rules.)

public import Config

/// Applies `Header` rules.
public enum HeaderRules {
    /// Applies `rules` in order to `headers`, the fields of a response with `status`. A rule without
    /// `always` applies only below 400 (1xx-3xx, 304 included); with `always`, to every status. `set`
    /// removes every line of the name and adds one at the end; `append` joins `, value` to the first line
    /// of the name (the value alone when that line is empty; later lines untouched), or adds one line;
    /// `add` adds one line; `unset` removes every line. A rule naming a field httpd owns (which the
    /// configuration refuses) is ignored. Returns at once when there are no rules.
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

    /// True when `name` is one of the fields httpd owns (`SiteSyntax.ownedFields`, the one list), in any
    /// ASCII case.
    static func isOwned(_ name: String) -> Bool {
        SiteSyntax.ownedFields.contains { equalIgnoringASCIICase($0, name) }
    }
}
