// `TryFiles` (nginx's try_files): the paths to look up, in order, for a request path that names no file,
// and the status when none exists. Pure: the caller does the lookups. (SiteSyntax checks the arguments.)

public import Config
import HTTPCore

/// TryFiles templates and the final status.
public enum TryFiles {
    /// `template` with every `$uri` replaced by `path`, on bytes.
    static func expand(_ template: String, path: String) -> String {
        let t = Array(template.utf8)
        let variable = Array("$uri".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(t.count + path.utf8.count)
        var k = 0
        while k < t.count {
            if t[k] == 0x24 && t[k...].starts(with: variable) {
                out.append(contentsOf: path.utf8)
                k += variable.count
            } else {
                out.append(t[k])
                k += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The paths to look up for `path` (decoded and normalized), in order: each file template with `$uri`
    /// replaced, then normalized as a request path is but without decoding again (a `%` stays a `%`), so
    /// that no template reaches above `/`: a result that would is left out. `$uri/` gives the directory
    /// path with its trailing slash. The caller applies the same checks to each (hidden paths included).
    public static func candidates(_ entries: [TryFilesEntry], path: String) -> [String] {
        var out: [String] = []
        for entry in entries {
            guard case .file(let template) = entry else { continue }
            let expanded = expand(template, path: path)
            // Escaping `%` makes PathNormalizer's one decoding give the bytes back as they are.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(expanded.utf8.count)
            for c in expanded.utf8 {
                if c == 0x25 {
                    bytes.append(contentsOf: "%25".utf8)
                } else {
                    bytes.append(c)
                }
            }
            if case .success(let normalized) = PathNormalizer.normalize(bytes: bytes) { out.append(normalized.path) }
        }
        return out
    }

    /// The status to answer when no candidate exists: the final `=CODE`, or nil (the caller's 404).
    public static func finalStatus(_ entries: [TryFilesEntry]) -> Int? {
        if case .status(let code) = entries.last { return code }
        return nil
    }
}
