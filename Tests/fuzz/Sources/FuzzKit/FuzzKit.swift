// Helpers the fuzz targets share: a property check that crashes (so libFuzzer saves the input),
// split points derived from the input itself, and a reader that takes values off the front of an input.

/// Stops the run when a property does not hold: libFuzzer reports a deadly signal and writes the input.
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
    line: UInt = #line
) {
    if !condition() { fatalError("property violated: \(message())", file: file, line: line) }
}

/// A 64-bit FNV-1a hash of `bytes`: split points and choices derived from it change with the input
/// without taking any of its bytes, so a seed stays a plain request or file.
public func fnv1a(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}

/// Up to `count` cut points in `0...length`, ascending (duplicates removed), from `seed`.
public func splitPoints(length: Int, count: Int, seed: UInt64) -> [Int] {
    var s = seed
    var cuts: [Int] = []
    for _ in 0..<count {
        s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        cuts.append(Int((s >> 33) % UInt64(length + 1)))
    }
    return Array(Set(cuts)).sorted()
}

/// Reads values from the front of a fuzz input; past its end every read gives zero or empty.
public struct FuzzReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var remaining: Int { bytes.count - offset }

    /// The next byte, or 0 at the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next 8 bytes as a little-endian integer (missing bytes count as 0).
    public mutating func int() -> Int {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(byte()) << (8 * UInt64(i)) }
        return Int(bitPattern: UInt(v))
    }

    /// Bytes up to the next `separator` (consumed, not returned), or to the end.
    public mutating func field(separator: UInt8 = 0) -> [UInt8] {
        var out: [UInt8] = []
        while offset < bytes.count {
            let b = bytes[offset]
            offset += 1
            if b == separator { break }
            out.append(b)
        }
        return out
    }

    /// Everything not read yet.
    public mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}

/// Text decoded byte for byte (ISO-8859-1), as the request parser decodes heads.
public func latin1(_ bytes: some Sequence<UInt8>) -> String {
    var s = ""
    for b in bytes { s.unicodeScalars.append(Unicode.Scalar(b)) }
    return s
}

/// libFuzzer's driver (in libclang_rt.fuzzer): parses the command line and runs `callback` on every input.
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Runs libFuzzer on `callback`. SwiftPM links an executable target with `--defsym main=<module>_main`,
/// so each target defines that symbol and calls this (libFuzzer's own `main` is then never used).
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv = argv
    return llvmFuzzerRunDriver(&argc, &argv, callback)
}
