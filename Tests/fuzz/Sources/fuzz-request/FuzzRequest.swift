// Fuzz target: request interpretation (RFC 9112 §3, §6; RFC 9110 §7.2, §10.1.1) of every head the
// parser accepts. Properties: an accepted request has a path without query or fragment, exactly one Host in
// HTTP/1.1, a body framing backed by exactly the fields that imply it, and 100-continue only with a body.

import FuzzKit
import HTTPCore

/// The entry point SwiftPM names for this executable: libFuzzer's driver on `fuzzRequest`.
@_cdecl("fuzz_request_main")
func fuzzRequestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzRequest)
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var parser = RequestParser()
    guard case .complete(let head, _) = parser.parse(input) else { return 0 }
    let result = Request.interpret(head)
    guard case .success(let request) = result else { return 0 }
    let path = request.path.utf8
    require(!path.contains(UInt8(ascii: "?")) && !path.contains(UInt8(ascii: "#")), "path keeps a query or fragment")
    if request.isAsterisk {
        require(request.path == "*" && head.target == "*" && request.method == .options, "asterisk-form accepted")
    } else {
        require(path.first == UInt8(ascii: "/") || request.method == .connect, "path does not start with /")
    }
    if request.isHTTP11 {
        require(head.fieldValues("host").count == 1, "HTTP/1.1 request without exactly one Host")
        require(head.version.major == 1 && head.version.minor >= 1, "isHTTP11 for HTTP/\(head.version)")
    }
    let lengths = head.fieldValues("content-length")
    let codings = head.fieldValues("transfer-encoding")
    switch request.body {
    case .none:
        require(codings.isEmpty, "Transfer-Encoding without a body")
        require(lengths.isEmpty || lengths.count == 1 && lengths[0].utf8.allSatisfy { $0 == 0x30 }, "Content-Length ignored")
    case .length(let n):
        require(n > 0 && codings.isEmpty && lengths.count == 1 && Int(lengths[0]) == n, "length \(n) from \(lengths)")
    case .chunked:
        require(request.isHTTP11 && lengths.isEmpty && !codings.isEmpty, "chunked without HTTP/1.1 Transfer-Encoding")
    }
    require(!request.expectsContinue || request.isHTTP11 && request.body != .none, "100-continue without a body")
    require(!request.wantsKeepAlive || request.isHTTP11 || head.fieldValues("connection").count > 0, "keep-alive in 1.0")
    return 0
}
