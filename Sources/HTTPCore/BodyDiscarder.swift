// Reads a request body exactly to its end and throws it away, so the next pipelined request
// starts at the right byte (no request smuggling). Content-Length and chunked (RFC 9112 §7.1).

import Support

/// Resumable body skipper: feed it bytes, it says how many belonged to the body.
public struct BodyDiscarder {
    enum State {
        case length(remaining: Int)
        case size, sizeWS, ext, sizeLF
        case data(remaining: Int)
        case dataCR, dataLF
        case trailerStart, trailerLine, trailerLineLF, finalLF, done
    }

    /// The result of one `consume` call.
    public enum Progress: Equatable {
        /// The body ended; the bytes after `consumed` belong to the next request.
        case done
        /// More body bytes are needed.
        case needMore
        case invalid(RequestError)
    }

    var state: State
    var size = 0
    var digits = 0
    var lineLength = 0
    /// Body bytes seen so far (chunk data only).
    public private(set) var total = 0
    public let limit: Int

    /// A discarder for `framing`, refusing more than `limit` body bytes with 413.
    public init(_ framing: BodyFraming, limit: Int) {
        self.limit = limit
        switch framing {
        case .none: state = .done
        case .length(let n): state = .length(remaining: n)
        case .chunked: state = .size
        }
    }

    public var isDone: Bool { if case .done = state { true } else { false } }

    /// Consumes body bytes from the front of `buffer`; returns how many and whether the body ended.
    public mutating func consume(_ buffer: UnsafeRawBufferPointer) -> (consumed: Int, progress: Progress) {
        let bytes = buffer.bindMemory(to: UInt8.self)
        var i = 0
        func fail(_ status: HTTPStatus, _ why: String) -> (Int, Progress) { (i, .invalid(RequestError(status, why))) }
        while i < bytes.count {
            switch state {
            case .done:
                return (i, .done)
            case .length(let remaining):
                let n = min(remaining, bytes.count - i)
                i += n
                total += n
                state = remaining - n == 0 ? .done : .length(remaining: remaining - n)
                continue
            case .data(let remaining):
                let n = min(remaining, bytes.count - i)
                i += n
                state = remaining - n == 0 ? .dataCR : .data(remaining: remaining - n)
                continue
            default:
                break
            }
            let c = bytes[i]
            i += 1
            switch state {
            case .size:
                if let d = hexDigitValue(c) {
                    if digits >= 15 { return fail(.contentTooLarge, "chunk size too large") }
                    size = size << 4 | Int(d)
                    digits += 1
                } else if digits > 0 && c == 0x3B {
                    state = .ext
                } else if digits > 0 && (c == 0x20 || c == 0x09) {
                    state = .sizeWS
                } else if digits > 0 && c == 0x0D {
                    state = .sizeLF
                } else if digits > 0 && c == 0x0A {
                    if let error = endOfSize() { return (i, .invalid(error)) }
                } else {
                    return fail(.badRequest, "invalid chunk size")
                }
            case .sizeWS:
                // Only whitespace, then `;` or the line end, may follow the size (RFC 9112 §7.1.1).
                lineLength += 1
                if lineLength > 4096 { return fail(.badRequest, "chunk extension too long") }
                if c == 0x3B {
                    state = .ext
                } else if c == 0x0D {
                    state = .sizeLF
                } else if c == 0x0A {
                    if let error = endOfSize() { return (i, .invalid(error)) }
                } else if c != 0x20 && c != 0x09 {
                    return fail(.badRequest, "invalid chunk size")
                }
            case .ext:
                lineLength += 1
                if lineLength > 4096 { return fail(.badRequest, "chunk extension too long") }
                if c == 0x0D {
                    state = .sizeLF
                } else if c == 0x0A {
                    if let error = endOfSize() { return (i, .invalid(error)) }
                } else if c < 0x20 && c != 0x09 {
                    return fail(.badRequest, "invalid chunk extension")
                }
            case .sizeLF:
                guard c == 0x0A else { return fail(.badRequest, "bare CR in chunk size line") }
                if let error = endOfSize() { return (i, .invalid(error)) }
            case .dataCR:
                if c == 0x0D {
                    state = .dataLF
                } else if c == 0x0A {
                    state = .size
                } else {
                    return fail(.badRequest, "chunk data longer than its size")
                }
            case .dataLF:
                guard c == 0x0A else { return fail(.badRequest, "bare CR after chunk data") }
                state = .size
            case .trailerStart:
                lineLength = 0
                if c == 0x0D {
                    state = .finalLF
                } else if c == 0x0A {
                    state = .done
                    return (i, .done)
                } else {
                    state = .trailerLine
                }
            case .trailerLine:
                lineLength += 1
                if lineLength > 8192 { return fail(.requestHeaderFieldsTooLarge, "trailer field too long") }
                if c == 0x0D {
                    state = .trailerLineLF
                } else if c == 0x0A {
                    state = .trailerStart
                } else if c == 0 {
                    return fail(.badRequest, "NUL in trailer")
                }
            case .trailerLineLF:
                guard c == 0x0A else { return fail(.badRequest, "bare CR in trailer") }
                state = .trailerStart
            case .finalLF:
                guard c == 0x0A else { return fail(.badRequest, "bare CR at end of chunked body") }
                state = .done
                return (i, .done)
            case .length, .data, .done:
                break
            }
        }
        if case .done = state { return (i, .done) }
        return (i, .needMore)
    }

    /// After a chunk-size line: start the data, or the trailer for the last chunk.
    mutating func endOfSize() -> RequestError? {
        lineLength = 0
        if size == 0 {
            state = .trailerStart
            return nil
        }
        total += size
        if total > limit { return RequestError(.contentTooLarge, "chunked body larger than \(limit) bytes") }
        state = .data(remaining: size)
        size = 0
        digits = 0
        return nil
    }
}
