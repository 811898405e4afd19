// Fuzz target: what a client or a password file can put in front of Basic authentication. Properties: the
// Authorization parser never crashes and its credentials re-encode to the field's base64; the htpasswd parser
// never crashes, and every entry it keeps and finding it makes names a line of the file.

import Auth
import FuzzKit

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzAuth`.
@_cdecl("fuzz_auth_main")
func fuzzAuthMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzAuth)
}

/// RFC 4648 base64 with padding, to check what the parser decoded.
func base64(_ bytes: [UInt8]) -> [UInt8] {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
        let n = min(3, bytes.count - i)
        var v = 0
        for k in 0..<3 { v = v << 8 | (k < n ? Int(bytes[i + k]) : 0) }
        for k in 0..<4 { out.append(k <= n ? alphabet[(v >> (18 - 6 * k)) & 63] : UInt8(ascii: "=")) }
        i += 3
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzAuth(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The input as an Authorization field value.
    if case .credentials(let user, let password) = BasicCredentials(fieldValue: bytes) {
        let encoded = base64(user + [UInt8(ascii: ":")] + password)
        // The token is the last word (spaces and tabs around it are whitespace the parser skips).
        let token = bytes.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).last.map(Array.init) ?? []
        require(token == encoded, "credentials that do not re-encode to the field's token")
        require(!user.isEmpty && !user.contains(UInt8(ascii: ":")), "a user name that is empty or holds ':'")
    }
    // And as a password file.
    let file = PasswordFile(parsing: bytes)
    let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
    for finding in file.findings {
        require(finding.line >= 0 && finding.line <= lines, "a finding on line \(finding.line) of \(lines)")
        require(!finding.message.isEmpty, "a finding without a message")
    }
    return 0
}
