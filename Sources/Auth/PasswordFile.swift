// An htpasswd file read into entries, user name bytes → stored hash or refusal, with a finding per line
// that needs one. Pure: the bytes are given; PasswordStore does the reading.

/// What the file says about one user.
public enum PasswordEntry: Sendable, Equatable {
    /// A hash this process can verify, from `line`.
    case hash(PasswordHash, line: Int)
    /// A line the user cannot log in with (a plaintext password, an unknown or malformed hash, a scheme libcrypt
    /// cannot verify here); the finding says why.
    case refused(AuthFinding)
}

/// A parsed htpasswd file (`user:hash` lines, as Debian's apache2-utils htpasswd writes them).
///
/// Lines: leading and trailing spaces and tabs and a CR before the LF are ignored (CRLF files load); blank
/// lines and lines starting with `#` are skipped. The user name is every byte before the first `:` and may not
/// be empty or hold control bytes; the hash runs to the next `:` or the end of the line (more fields are
/// ignored, as Apache does). A user listed twice: the first line wins and the later one gets a warning.
///
/// Findings carry a severity. Errors: a line without `:`, an empty user name or one with control bytes (no
/// entry), a plaintext password (htpasswd -p), an unknown or malformed hash, or a scheme libcrypt cannot verify
/// (a refused entry: that user cannot log in). Warnings: a weak hash ($apr1$, $1$, {SHA}, DES), which still
/// loads, and a duplicate user. A file whose every line is refused still loads: the refused users simply cannot
/// log in. The caller decides what errors mean: `httpd -t` may fail on them, a running server logs them.
public struct PasswordFile: Sendable {
    /// User name bytes → entry (the first line of each user).
    public private(set) var entries: [[UInt8]: PasswordEntry] = [:]
    /// Findings in line order.
    public private(set) var findings: [AuthFinding] = []
    /// What an unknown user's password is hashed with (the result thrown away), so that "no such user" takes
    /// as long as a wrong password: the hash of the file's first verifiable entry, whose scheme, cost and salt
    /// give the time of a real verification (a file usually holds one scheme: htpasswd's default, $apr1$, costs
    /// a tenth of a bcrypt, so a fixed bcrypt dummy would give users away there). In a file without one, a
    /// bcrypt hash at htpasswd's default cost 5, or an `$apr1$` hash when libcrypt cannot do bcrypt.
    public private(set) var timingDummy: PasswordHash

    /// The entry of `user`, or nil when the file has no such user.
    public func entry(for user: [UInt8]) -> PasswordEntry? { entries[user] }

    /// Whether any finding is an error.
    public var hasErrors: Bool { findings.contains { $0.severity == .error } }

    /// Parses the file's bytes. `libCryptSchemes`: the schemes libcrypt verifies here (nil: find out, once per
    /// process, the first time a line needs it); tests pass a set to see the refusals of a missing libcrypt.
    public init(parsing bytes: [UInt8], libCryptSchemes: Set<HashScheme>? = nil) {
        var firstLine: [[UInt8]: Int] = [:]
        var firstHash: PasswordHash? = nil
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Self.trimmed(rawLine)
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                findings.append(AuthFinding(.error, line: lineNumber, "no ':' between a user name and a password hash"))
                continue
            }
            let user = Array(line[..<colon])
            let hashEnd = line[(colon + 1)...].firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
            let field = Array(line[(colon + 1)..<hashEnd])
            if user.isEmpty {
                findings.append(AuthFinding(.error, line: lineNumber, "empty user name"))
                continue
            }
            let name = "user " + quotedUser(user)
            if user.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
                findings.append(AuthFinding(.error, line: lineNumber, "\(name): control bytes in the user name"))
                continue
            }
            if let first = firstLine[user] {
                findings.append(
                    AuthFinding(.warning, line: lineNumber, "\(name): already defined on line \(first); this line is ignored"))
                continue
            }
            firstLine[user] = lineNumber

            let (entry, finding) = Self.entry(field, name: name, line: lineNumber, libCryptSchemes: libCryptSchemes)
            entries[user] = entry
            if let finding { findings.append(finding) }
            if case .hash(let hash, _) = entry, firstHash == nil { firstHash = hash }
        }
        timingDummy = firstHash ?? Self.dummy(libCryptSchemes: libCryptSchemes)
    }

    /// The entry for a user's hash field, and its finding: an error for a refused line, a warning for a weak hash.
    private static func entry(
        _ field: [UInt8], name: String, line: Int, libCryptSchemes: Set<HashScheme>?
    ) -> (PasswordEntry, AuthFinding?) {
        let refusal: String
        switch PasswordHash.classify(field) {
        case .hash(let hash):
            if !hash.scheme.needsLibCrypt || (libCryptSchemes ?? HashScheme.supportedByLibCrypt).contains(hash.scheme) {
                guard hash.scheme.isWeak else { return (.hash(hash, line: line), nil) }
                let detail = hash.scheme == .des ? " (only the first 8 bytes of a password count)" : ""
                let message = "\(name): \(hash.scheme.name) hashes are weak\(detail); rehash the password with htpasswd -B"
                return (.hash(hash, line: line), AuthFinding(.warning, line: line, message))
            }
            if let loadError = HashScheme.libCryptLoadError, libCryptSchemes == nil {
                refusal =
                    "\(name): \(hash.scheme.name) hashes need \(LibCrypt.libraryName), which cannot be loaded (\(loadError))"
            } else {
                refusal =
                    "\(name): this system's libcrypt cannot verify \(hash.scheme.name) hashes; rehash the password with htpasswd -B"
            }
        case .malformed(let scheme):
            refusal = "\(name): malformed \(scheme.name) hash"
        case .unknownScheme:
            refusal = "\(name): unknown password hash scheme; hash the password with htpasswd -B"
        case .plaintext:
            refusal = "\(name): plaintext passwords are refused; hash it with htpasswd -B"
        }
        let finding = AuthFinding(.error, line: line, refusal)
        return (.refused(finding), finding)
    }

    /// The line without a CR before its LF, and without leading and trailing spaces and tabs.
    private static func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0d }
        var line = line
        while let first = line.first, blank(first) { line.removeFirst() }
        while let last = line.last, blank(last) { line.removeLast() }
        return line
    }

    /// The timing dummy of a file without a verifiable entry (see `timingDummy`). It matches no password.
    private static func dummy(libCryptSchemes: Set<HashScheme>?) -> PasswordHash {
        if (libCryptSchemes ?? HashScheme.supportedByLibCrypt).contains(.bcrypt) {
            return PasswordHash(scheme: .bcrypt, text: Array("$2y$05$abcdefghijklmnopqrstuu0000000000000000000000000000000".utf8))
        }
        return PasswordHash(scheme: .apr1, text: Array("$apr1$abcdefgh$0000000000000000000000".utf8))
    }
}
