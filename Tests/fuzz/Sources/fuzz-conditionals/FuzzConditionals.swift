// Fuzz target: conditional requests (RFC 9110 §13) and HTTP dates. The input is lines `<selector><value>`
// making a head's conditional fields, and the validators. Properties: entity-tag lists split into quoted
// tags, a strong match is also a weak one, `*` always matches, and a parsed date formats back to itself.

import FuzzKit
import HTTPCore

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzConditionals`.
@_cdecl("fuzz_conditionals_main")
func fuzzConditionalsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzConditionals)
}

let conditionalFields = ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "range"]

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzConditionals(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var reader = FuzzReader(UnsafeRawBufferPointer(start: data, count: size))
    let lastModified = reader.int() & 0x3_FFFF_FFFF
    let etag = latin1(reader.field(separator: 0x0A))
    let validators = Validators(etag: etag, lastModified: lastModified)
    var fields: [(name: String, value: String)] = []
    while reader.remaining > 0 {
        let selector = Int(reader.byte())
        let value = latin1(reader.field(separator: 0x0A))
        fields.append((conditionalFields[selector % conditionalFields.count], value))
    }
    let head = RequestHead(method: "GET", target: "/", version: (1, 1), fields: fields)
    let outcome = Conditionals.evaluate(head, isGetOrHead: true, validators: validators)
    _ = Conditionals.evaluate(head, isGetOrHead: false, validators: validators)
    _ = Conditionals.rangeAllowed(head, validators: validators)
    if head.field("if-match") == nil && head.field("if-unmodified-since") == nil,
        head.fieldValues("if-none-match") == ["*"]
    {
        require(outcome == .notModified, "If-None-Match: * gave \(outcome)")
    }
    for (_, value) in fields {
        if let tags = Conditionals.parseTags(value) {
            for tag in tags {
                let opaque = tag.hasPrefix("W/") ? tag.dropFirst(2) : Substring(tag)
                require(opaque.count >= 2 && opaque.first == "\"" && opaque.last == "\"", "tag \(tag)")
                require(!opaque.dropFirst().dropLast().contains("\""), "tag \(tag) holds a quote")
                require(Conditionals.weakMatch(tag, tag), "a tag does not match itself")
                if Conditionals.strongMatch(tag, etag) { require(Conditionals.weakMatch(tag, etag), "strong but not weak") }
            }
        }
        if let t = HTTPDate.parse(value), t < 253_402_300_800 {
            let text = HTTPDate.format(t)
            require(HTTPDate.parse(text) == t, "\(value) → \(t) → \(text) → \(String(describing: HTTPDate.parse(text)))")
        }
    }
    return 0
}
