// `TryFiles` (nginx's try_files): the paths to look up, in order, for a request path that names no file,
// and the status when none exists; the check of its arguments. Pure: the caller does the lookups.

public import Config
import HTTPCore
import Support

/// TryFiles templates and the final status.
public enum TryFiles {
    /// `TryFiles` arguments as entries, or why they are refused: at least one path template, each starting
    /// with `/` or `$uri`, with `$uri` as its only variable (any other `$name` is refused by name), no
    /// control byte, backslash, `.` or `..` segment; then optionally `=CODE` (400-599), last.
    public static func parse(args: [String]) -> Result<[TryFilesEntry], ConfigValueError> {
        var entries: [TryFilesEntry] = []
        for (k, arg) in args.enumerated() {
            if arg.utf8.first == 0x3D {
                guard k == args.count - 1 else {
                    return .failure(ConfigValueError("\(arg) must be the last argument"))
                }
                guard let code = parseDecimal(arg.utf8.dropFirst(), maxDigits: 3), (400...599).contains(code) else {
                    return .failure(ConfigValueError("'\(arg)' is not an error status (=400 to =599)"))
                }
                entries.append(.status(code))
            } else {
                if let problem = templateProblem(arg) { return .failure(ConfigValueError(problem)) }
                entries.append(.file(arg))
            }
        }
        guard entries.contains(where: { if case .file = $0 { true } else { false } }) else {
            return .failure(ConfigValueError("wants at least one path ($uri, $uri.html, $uri/, /index.html …)"))
        }
        return .success(entries)
    }

    /// Why `template` cannot be a TryFiles path, or nil.
    static func templateProblem(_ template: String) -> String? {
        let bytes = Array(template.utf8)
        // Every `$` starts `$uri`, not followed by a name byte (`$uri_x` is a variable of its own).
        var k = 0
        while let dollar = bytes[k...].firstIndex(of: 0x24) {
            let name = bytes[(dollar + 1)...].prefix { isNameByte($0) }
            if name.isEmpty { return "'\(template)': '$' without a variable name (only $uri exists)" }
            guard name.elementsEqual("uri".utf8) else {
                return "'\(template)': unknown variable $\(String(decoding: name, as: UTF8.self)) (only $uri exists)"
            }
            k = dollar + 1 + name.count
        }
        guard bytes.first == 0x2F || bytes.starts(with: "$uri".utf8) else {
            return "'\(template)' must start with / or $uri"
        }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return "a path has a control character" }
        if bytes.contains(0x5C) { return "'\(template)' has a backslash" }
        let expanded = expand(template, path: "/x")
        for segment in expanded.utf8.split(separator: 0x2F, omittingEmptySubsequences: false) {
            if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) {
                return "'\(template)' has a '.' or '..' segment"
            }
        }
        return nil
    }

    /// True for the bytes of a variable name: ASCII letters, digits, `_`.
    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }

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
