// Fuzz target: the access-log formatter (Apache's Common and Combined formats). Properties: one line
// ending in a newline, only printable ASCII in the escaped fields, the expected number of unescaped quotes,
// and every escaped field decodes back to the bytes received.

import Config
import FuzzKit
import Server

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzAccessLog`.
@_cdecl("fuzz_accesslog_main")
func fuzzAccessLogMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzAccessLog)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzAccessLog(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var reader = FuzzReader(UnsafeRawBufferPointer(start: data, count: size))
    let flags = reader.byte()
    // Request text is ISO-8859-1 from the parser; UTF-8 decoding adds characters above U+00FF.
    func text(_ bytes: [UInt8]) -> String { flags & 1 == 0 ? latin1(bytes) : String(decoding: bytes, as: UTF8.self) }
    let status = Int(reader.byte()) + 100 * Int(reader.byte() % 6)
    let bodyBytes = reader.int()
    let requestLine = flags & 2 == 0 ? text(reader.field()) : nil
    let referer = flags & 4 == 0 ? text(reader.field()) : nil
    let userAgent = flags & 8 == 0 ? text(reader.rest()) : nil
    let entry = AccessLogEntry(
        client: flags & 16 == 0 ? "192.0.2.7" : "2001:db8::1", requestLine: requestLine, status: status, bodyBytes: bodyBytes,
        referer: referer, userAgent: userAgent)
    let format: AccessLogFormat = flags & 32 == 0 ? .combined : .common
    let line = Array(format.line(entry, time: "28/Nov/2026:21:00:00 +0000").utf8)
    require(line.last == 0x0A && line.dropLast().allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "not one printable line")
    var quotes = 0
    var k = 0
    while k < line.count {
        if line[k] == 0x5C { k += 1 } else if line[k] == 0x22 { quotes += 1 }
        k += 1
    }
    require(quotes == (format == .combined ? 6 : 2), "\(quotes) unescaped quotes")
    for value in [requestLine, referer, userAgent].compactMap({ $0 }) {
        let escaped = AccessLogFormat.escape(value)
        require(unescape(Array(escaped.utf8)) == received(value), "escape does not round-trip: \(escaped)")
    }
    return 0
}

/// The bytes a field stands for: one byte per character up to U+00FF, UTF-8 above.
func received(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    for scalar in text.unicodeScalars {
        if scalar.value <= 0xFF { out.append(UInt8(scalar.value)) } else { out += Array(String(scalar).utf8) }
    }
    return out
}

/// Undoes Apache's log escaping: `\"`, `\\`, `\b \n \r \t \v`, `\xhh`.
func unescape(_ bytes: [UInt8]) -> [UInt8]? {
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
        guard bytes[i] == 0x5C else {
            out.append(bytes[i])
            i += 1
            continue
        }
        guard i + 1 < bytes.count else { return nil }
        switch bytes[i + 1] {
        case 0x22, 0x5C: out.append(bytes[i + 1])
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "v"): out.append(0x0B)
        case UInt8(ascii: "x"):
            guard i + 3 < bytes.count, let v = UInt8(String(decoding: bytes[i + 2...i + 3], as: UTF8.self), radix: 16) else {
                return nil
            }
            out.append(v)
            i += 2
        default: return nil
        }
        i += 2
    }
    return out
}
