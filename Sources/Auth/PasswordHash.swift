// The hashes an htpasswd file may hold: which scheme a stored field is (by its shape, on bytes), whether
// this process can verify it, and the verification itself, compared in constant time.

/// A password hash scheme htpasswd (Debian's apache2-utils) writes, or that libcrypt verifies.
public enum HashScheme: Sendable, Hashable, CaseIterable {
    /// `$2y$` (`htpasswd -B`), also `$2b$` and `$2a$`: through libcrypt.
    case bcrypt
    /// `$5$` (`htpasswd -2`): through libcrypt.
    case sha256Crypt
    /// `$6$` (`htpasswd -5`): through libcrypt.
    case sha512Crypt
    /// `$y$` (mkpasswd, Debian's /etc/shadow default): through libcrypt.
    case yescrypt
    /// `$apr1$` (`htpasswd -m`, its default): Apache's md5crypt, in Swift. Weak.
    case apr1
    /// `$1$` (`openssl passwd -1`): md5crypt, in Swift. Weak.
    case md5Crypt
    /// `{SHA}` (`htpasswd -s`): base64 of an unsalted SHA-1, in Swift. Weak.
    case sha1
    /// 13 characters (`htpasswd -d`): traditional DES crypt, only the first 8 bytes count; through libcrypt. Weak.
    case des

    /// How messages name the scheme.
    public var name: String {
        switch self {
        case .bcrypt: "bcrypt"
        case .sha256Crypt: "SHA-256-crypt ($5$)"
        case .sha512Crypt: "SHA-512-crypt ($6$)"
        case .yescrypt: "yescrypt ($y$)"
        case .apr1: "Apache MD5 ($apr1$)"
        case .md5Crypt: "MD5-crypt ($1$)"
        case .sha1: "unsalted SHA-1 ({SHA})"
        case .des: "DES crypt"
        }
    }

    /// Weak schemes load with a warning: fast to guess offline (MD5, SHA-1) or limited to 8 bytes (DES).
    public var isWeak: Bool {
        switch self {
        case .apr1, .md5Crypt, .sha1, .des: true
        case .bcrypt, .sha256Crypt, .sha512Crypt, .yescrypt: false
        }
    }

    /// Whether verifying takes libcrypt (the others are computed in Swift).
    public var needsLibCrypt: Bool {
        switch self {
        case .bcrypt, .sha256Crypt, .sha512Crypt, .yescrypt, .des: true
        case .apr1, .md5Crypt, .sha1: false
        }
    }

    /// Cheap settings libcrypt must hash for the scheme to count as supported (every bcrypt prefix).
    private var probeSettings: [String] {
        switch self {
        case .bcrypt: ["$2y$04$abcdefghijklmnopqrstuu", "$2b$04$abcdefghijklmnopqrstuu", "$2a$04$abcdefghijklmnopqrstuu"]
        case .sha256Crypt: ["$5$rounds=1000$abcdefgh"]
        case .sha512Crypt: ["$6$rounds=1000$abcdefgh"]
        case .yescrypt: ["$y$j75$abcdefghijklmnop"]
        case .des: ["ab"]
        case .apr1, .md5Crypt, .sha1: []
        }
    }

    /// The libcrypt schemes this process can verify, found once by hashing a cheap setting of each (a few
    /// milliseconds, on the first load of a password file); empty when libcrypt.so.1 cannot be opened.
    public static let supportedByLibCrypt: Set<HashScheme> = Set(
        allCases.filter { scheme in
            scheme.needsLibCrypt
                && scheme.probeSettings.allSatisfy {
                    LibCrypt.hash(password: Array("probe".utf8), setting: Array($0.utf8)) != nil
                }
        })

    /// Why libcrypt is unavailable (dlerror's text), or nil when it loaded.
    public static var libCryptLoadError: String? {
        if case .failure(let error) = LibCrypt.cryptRN { return error.message }
        return nil
    }
}

/// A stored hash whose shape matches its scheme.
public struct PasswordHash: Sendable, Equatable {
    public let scheme: HashScheme
    /// The field as stored in the file.
    public let text: [UInt8]

    /// What a stored field holds.
    enum Classification: Equatable {
        case hash(PasswordHash)
        /// A known scheme's prefix, but not its shape.
        case malformed(HashScheme)
        /// Starts with `$` or `{` but names no scheme known here (`$argon2id$`, `{SSHA}`, …).
        case unknownScheme
        /// Anything else is taken as a plaintext password (`htpasswd -p`), the empty field included.
        case plaintext
    }

    /// Classifies the hash field of a line by its bytes. A 13-byte field of crypt's base64 alphabet is DES,
    /// as Apache reads it on Unix (so a plaintext password of exactly that shape is taken as DES too).
    static func classify(_ field: [UInt8]) -> Classification {
        func starts(_ prefix: String) -> Bool { field.starts(with: prefix.utf8) }
        let scheme: HashScheme
        if starts("$2y$") || starts("$2b$") || starts("$2a$") {
            scheme = .bcrypt
        } else if starts("$5$") {
            scheme = .sha256Crypt
        } else if starts("$6$") {
            scheme = .sha512Crypt
        } else if starts("$y$") {
            scheme = .yescrypt
        } else if starts("$apr1$") {
            scheme = .apr1
        } else if starts("$1$") {
            scheme = .md5Crypt
        } else if starts("{SHA}") {
            scheme = .sha1
        } else if field.first == UInt8(ascii: "$") || field.first == UInt8(ascii: "{") {
            return .unknownScheme
        } else if field.count == 13 && field.allSatisfy(MD5Crypt.isCryptBase64) {
            scheme = .des
        } else {
            return .plaintext
        }
        return hasShape(field, of: scheme) ? .hash(PasswordHash(scheme: scheme, text: field)) : .malformed(scheme)
    }

    /// Whether `field`, which starts with `scheme`'s prefix, has the scheme's whole shape.
    private static func hasShape(_ field: [UInt8], of scheme: HashScheme) -> Bool {
        let parts = field.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false).map { Array($0) }
        func crypt64(_ part: [UInt8], _ counts: ClosedRange<Int>) -> Bool {
            counts.contains(part.count) && part.allSatisfy(MD5Crypt.isCryptBase64)
        }
        switch scheme {
        case .bcrypt:
            // $2y$05$ + 22 characters of salt + 31 of hash.
            guard field.count == 60, parts.count == 4, parts[2].count == 2, parts[2].allSatisfy(isDigit) else { return false }
            let cost = Int(parts[2][0] - UInt8(ascii: "0")) * 10 + Int(parts[2][1] - UInt8(ascii: "0"))
            return (4...31).contains(cost) && crypt64(parts[3], 53...53)
        case .sha256Crypt, .sha512Crypt:
            // $5$[rounds=N$]salt$hash: salt up to 16 characters, hash 43 (SHA-256) or 86 (SHA-512).
            var rest = Array(parts.dropFirst(2))
            if let first = rest.first, first.starts(with: "rounds=".utf8) {
                let digits = first.dropFirst(7)
                guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy(isDigit) else { return false }
                rest.removeFirst()
            }
            let hashLength = scheme == .sha256Crypt ? 43 : 86
            return rest.count == 2 && crypt64(rest[0], 0...16) && crypt64(rest[1], hashLength...hashLength)
        case .yescrypt:
            // $y$params$salt$hash.
            return parts.count == 5 && crypt64(parts[2], 1...64) && crypt64(parts[3], 0...86) && crypt64(parts[4], 43...43)
        case .apr1, .md5Crypt:
            // $apr1$salt$hash: salt up to 8 characters, hash 22.
            return parts.count == 4 && crypt64(parts[2], 0...8) && crypt64(parts[3], 22...22)
        case .sha1:
            return field.count == 33 && Base64.decodeStrict(field.dropFirst(5))?.count == 20
        case .des:
            return field.count == 13 && field.allSatisfy(MD5Crypt.isCryptBase64)
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// The result of hashing a password under this hash's settings.
    enum Check: Equatable {
        case match
        case mismatch
        /// libcrypt is missing or refused the setting (or the password: a NUL byte, more than 511 bytes).
        case failed
    }

    /// Hashes `password` with this hash's scheme and salt and compares the result with the stored text in
    /// constant time. Blocking: bcrypt at htpasswd's default cost takes a few milliseconds.
    func check(_ password: [UInt8]) -> Check {
        let computed: [UInt8]?
        switch scheme {
        case .apr1:
            computed = MD5Crypt.hash(password: password, magic: Array("$apr1$".utf8), salt: text.dropFirst(6))
        case .md5Crypt:
            computed = MD5Crypt.hash(password: password, magic: Array("$1$".utf8), salt: text.dropFirst(3))
        case .sha1:
            computed = Array("{SHA}".utf8) + Base64.encode(SHA1.hash(password))
        case .bcrypt, .sha256Crypt, .sha512Crypt, .yescrypt, .des:
            computed = LibCrypt.hash(password: password, setting: text)
        }
        guard let computed else { return .failed }
        return constantTimeEqual(computed, text) ? .match : .mismatch
    }
}
