// Fuzz target: the mime.types parser against a simple reference. Properties: every ASCII extension the
// text lists maps to the type on its last line (js and mjs stay text/javascript), others keep their built-in type.

import FuzzKit
import HTTPCore

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzMIME`.
@_cdecl("fuzz_mime_main")
func fuzzMIMEMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzMIME)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzMIME(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let types = MIMETypes(mimeTypesText: String(decoding: input, as: UTF8.self), defaultType: "x/default", charset: "utf-8")
    var expected = MIMETypes.builtin
    // The reference: lines, `#` ends the words, words split on space, tab and CR, a type has a `/`.
    for line in String(decoding: input, as: UTF8.self).utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
        let content = line.prefix { $0 != 0x23 }
        let words = content.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
        guard words.count > 1, words[0].contains(0x2F) else { continue }
        for word in words.dropFirst() {
            let lower = word.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            expected[String(decoding: lower, as: UTF8.self)] = String(decoding: words[0], as: UTF8.self)
        }
    }
    expected["js"] = "text/javascript"
    expected["mjs"] = "text/javascript"
    for (ext, type) in expected where ext.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x2E && $0 != 0x2F }) {
        let got = types.mediaType(forFile: Substring("file." + ext))
        require(got == type, "file.\(ext) is \(got), expected \(type)")
        _ = types.contentType(forFile: Substring("file." + ext))
    }
    require(types.mediaType(forFile: "README") == "x/default", "a name without extension")
    return 0
}
