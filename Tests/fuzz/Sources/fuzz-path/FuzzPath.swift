// Fuzz target: the path normalizer against a byte-level reference (RFC 3986 §5.2.4 on segments split
// at 0x2F). Properties: a normalized path starts with `/`, has no `.`, `..` or empty segment (but a
// trailing slash), no NUL or backslash, never leaves the root, and normalizes to itself once re-encoded;
// it is hidden (HideDotfiles) exactly when a segment split at 0x2F starts with a dot.

import FuzzKit
import HTTPCore

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzPath`.
@_cdecl("fuzz_path_main")
func fuzzPathMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzPath)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzPath(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = Array(UnsafeRawBufferPointer(start: data, count: size))
    // The parser refuses controls, space and DEL in a request target: only bytes it lets through.
    if raw.contains(where: { $0 <= 0x20 || $0 == 0x7F }) { return 0 }
    let result = PathNormalizer.normalize(bytes: raw)
    let expected = referenceNormalize(raw)
    switch result {
    case .failure:
        require(expected == nil, "refused a path the reference normalizes to \(String(decoding: expected ?? [], as: UTF8.self))")
    case .success(let normalized):
        let bytes = Array(normalized.path.utf8)
        require(
            bytes == expected,
            "normalized to \(normalized.path), the reference says \(String(decoding: expected ?? [], as: UTF8.self))")
        require(bytes.first == 0x2F, "does not start with /")
        require(!bytes.contains(0) && !bytes.contains(0x5C), "NUL or backslash")
        let segments = bytes.split(separator: 0x2F, omittingEmptySubsequences: false).dropFirst()
        for (i, segment) in segments.enumerated() {
            require(!segment.elementsEqual([0x2E]) && !segment.elementsEqual([0x2E, 0x2E]), "dot segment in \(normalized.path)")
            require(!segment.isEmpty || i == segments.count - 1, "empty segment in \(normalized.path)")
        }
        let again = PathNormalizer.normalize(PathNormalizer.encode(normalized.path))
        require(again == .success(normalized), "re-encoded path normalizes to \(again)")
        // HideDotfiles: a segment starting with a dot, but a leading `.well-known`, hides the path.
        var named = bytes.split(separator: 0x2F)
        if named.first?.elementsEqual(".well-known".utf8) == true { named.removeFirst() }
        let hidden = named.contains { $0.first == 0x2E }
        require(PathNormalizer.isHidden(normalized.path) == hidden, "isHidden(\(normalized.path)) is not \(hidden)")
    }
    return 0
}

/// The normalization the normalizer promises, on bytes only: decode `%XX` once (refusing NUL, `/`, a bad
/// escape, a backslash, invalid UTF-8), drop empty and `.` segments, let `..` remove one (never above the root).
func referenceNormalize(_ raw: [UInt8]) -> [UInt8]? {
    guard raw.first == 0x2F else { return nil }
    var decoded: [UInt8] = []
    var i = 0
    while i < raw.count {
        if raw[i] == 0x25 {
            guard i + 2 < raw.count, let hi = hex(raw[i + 1]), let lo = hex(raw[i + 2]) else { return nil }
            let d = hi << 4 | lo
            if d == 0 || d == 0x2F { return nil }
            decoded.append(d)
            i += 3
        } else {
            decoded.append(raw[i])
            i += 1
        }
    }
    if decoded.contains(0x5C) { return nil }
    if String(validating: decoded, as: UTF8.self) == nil { return nil }
    var kept: [ArraySlice<UInt8>] = []
    let parts = decoded.split(separator: 0x2F, omittingEmptySubsequences: false).dropFirst()
    var trailingSlash = false
    for (index, segment) in parts.enumerated() {
        let isLast = index == parts.count - 1
        if segment.isEmpty || segment.elementsEqual([0x2E]) {
            if isLast { trailingSlash = true }
        } else if segment.elementsEqual([0x2E, 0x2E]) {
            if kept.isEmpty { return nil }
            kept.removeLast()
            if isLast { trailingSlash = true }
        } else {
            kept.append(segment)
        }
    }
    var out: [UInt8] = [0x2F]
    for (k, segment) in kept.enumerated() {
        if k > 0 { out.append(0x2F) }
        out += segment
    }
    if trailingSlash && !kept.isEmpty { out.append(0x2F) }
    return out
}

func hex(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x41...0x46: c - 0x41 + 10
    case 0x61...0x66: c - 0x61 + 10
    default: nil
    }
}
