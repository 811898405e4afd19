// Fuzz target: Range decisions (RFC 9110 §14). Properties: a partial answer has 1 to `maxParts` ranges,
// each inside the file, at least `mergeGap` bytes apart once sorted (they go out in the order requested),
// and never more bytes than the file.

import FuzzKit
import HTTPCore

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzRanges`.
@_cdecl("fuzz_ranges_main")
func fuzzRangesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzRanges)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzRanges(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var reader = FuzzReader(UnsafeRawBufferPointer(start: data, count: size))
    // Small files mostly (where the edges are), sometimes any size up to Int.max.
    let raw = reader.int()
    let length = raw & 1 == 0 ? (raw >> 1) & 0xFFF : Int(UInt(bitPattern: raw) >> 1)
    let field = latin1(reader.rest())
    switch ByteRanges.decide(field, length: length) {
    case .full:
        break
    case .unsatisfiable:
        break
    case .partial(let ranges):
        require(!ranges.isEmpty && ranges.count <= ByteRanges.maxParts, "\(ranges.count) parts")
        var total = 0
        let sorted = ranges.sorted { $0.first < $1.first }
        for (i, r) in sorted.enumerated() {
            require(r.first >= 0 && r.first <= r.last && r.last < length, "range \(r) outside 0..<\(length)")
            if i > 0 { require(r.first - sorted[i - 1].last - 1 >= ByteRanges.mergeGap, "ranges \(ranges) not merged") }
            total += r.count
        }
        require(total <= length, "\(total) bytes of a \(length)-byte file")
    }
    return 0
}
