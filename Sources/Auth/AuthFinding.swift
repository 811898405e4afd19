// What loading a password file has to say: an error (the line's user cannot log in) or a warning
// (a weak hash, a duplicate), with its line number, for the caller to log or print.

/// A message about one line of a password file, or about the whole file when `line` is 0.
public struct AuthFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: Sendable, Equatable {
        /// The line is refused: its user cannot log in (or the file cannot be read).
        case error
        /// The line loads, but should be fixed: a weak hash, or a duplicate user ignored.
        case warning
    }

    public var severity: Severity
    /// 1-based line number; 0 for the whole file.
    public var line: Int
    /// The message without the line number.
    public var message: String

    public init(_ severity: Severity, line: Int, _ message: String) {
        self.severity = severity
        self.line = line
        self.message = message
    }

    /// `line N: message`, or the message alone for the whole file.
    public var description: String { line > 0 ? "line \(line): \(message)" : message }
}

/// A user name for a message: printable ASCII as it is (`'` and `\` escaped), other bytes as `\xHH`.
func quotedUser(_ user: [UInt8]) -> String {
    var text = "'"
    for byte in user {
        switch byte {
        case UInt8(ascii: "'"), UInt8(ascii: "\\"): text += "\\" + String(UnicodeScalar(byte))
        case 0x20..<0x7f: text.append(Character(UnicodeScalar(byte)))
        default:
            let hex = Array("0123456789abcdef".unicodeScalars)
            text += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
        }
    }
    return text + "'"
}
