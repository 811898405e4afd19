// Fuzz target: the httpd.conf reader on any text. Properties: every error names a line of the text and
// has a message, and reading is deterministic (the same errors from fresh defaults).

import Config
import FuzzKit

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzConfig`.
@_cdecl("fuzz_config_main")
func fuzzConfigMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzConfig)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let reader = ConfigReader(baseDirectory: "/srv/site")
    var config = reader.defaults
    let errors = reader.apply(text, file: "fuzz.conf", to: &config)
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).count
    for error in errors {
        require(error.line >= 1 && error.line <= lines, "error on line \(error.line) of \(lines): \(error)")
        require(error.file == "fuzz.conf" && !error.message.isEmpty, "error without a message")
    }
    var again = reader.defaults
    require(reader.apply(text, file: "fuzz.conf", to: &again) == errors, "a second reading differs")
    return 0
}
