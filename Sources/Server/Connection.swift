// One client connection as an explicit state machine: reading a head → (discarding a body) →
// waiting for the file → writing → keep-alive idle → …, or lingering → closed.
// Decisions are made by pure units (parser, Request, Router, StaticResponder); this file does the I/O.
import IO
import Files
import HTTPCore
import Config
import Support

/// What a connection is doing, as status pages count it (like nginx's stub_status).
enum ConnectionActivity {
    case reading, writing, waiting, closing
}

/// A client connection, owned by the Server and used only on the loop thread.
final class Connection: BufferedSocketDelegate {
    enum State {
        /// Waiting for (the rest of) a request head; the head deadline runs.
        case readingHead
        /// Reading and discarding a request body; the body deadline runs.
        case readingBody
        /// A worker is looking the file up; reading is paused.
        case waitingForFile
        /// The response is being sent; reading is paused.
        case writing
        /// Keep-alive: between requests, waiting for the next one.
        case idle
        /// Response sent and write side shut; reading and discarding until the client closes.
        case lingering
        case closed
    }

    /// Why a lookup was started.
    enum Purpose {
        case serve(path: String)
        /// Serve an ErrorDocument in place of this default error response.
        case errorDocument(Response)
    }

    let id: UInt64
    unowned let server: Server
    let socket: BufferedSocket
    var state = State.readingHead
    var parser: RequestParser
    var request: Request?
    var pendingRoute: Route?
    var discarder: BodyDiscarder?
    var purpose: Purpose?
    var keepAliveAfterWrite = false
    var peerClosed = false
    var requestsServed = 0
    var inReadHeads = false
    /// Close after the current response whatever else says (a request body was left unread).
    var mustClose = false
    /// What the access log and the statistics need about the response being sent.
    var logEntry: AccessLogEntry?
    var inFlight: (code: Int, bodyBytes: Int, totalBytes: Int)?
    var requestStart = 0.0
    var skipAccessLog = false
    /// The head of a request refused by `Request.interpret`, for the logs.
    var failedHead: RequestHead?
    lazy var peer: String = socket.peerAddress()
    var timer: Timer!
    var config: Configuration { server.settings.config }

    init(id: UInt64, server: Server, socket: BufferedSocket) {
        self.id = id
        self.server = server
        self.socket = socket
        parser = RequestParser(limits: server.settings.limits)
        socket.delegate = self
        timer = Timer(server.loop) { [unowned self] in self.deadlinePassed() }
    }

    /// Begins reading the first request under the head deadline.
    func start() {
        state = .readingHead
        timer.schedule(after: config.requestHeaderTimeout)
        socket.enableReading()
    }

    // MARK: Reading

    func socketReadable() {
        switch state {
        case .readingHead, .idle: readHeads()
        case .readingBody: readBody()
        case .lingering: socket.consumeInput(socket.inputCount)
        case .waitingForFile, .writing, .closed: break
        }
    }

    /// Parses buffered bytes into requests, one at a time, until a request is in progress or bytes run out.
    func readHeads() {
        inReadHeads = true
        defer { inReadHeads = false }
        while state == .readingHead || state == .idle {
            if socket.inputCount == 0 { return }
            if state == .idle {
                state = .readingHead
                timer.schedule(after: config.requestHeaderTimeout)
            }
            switch socket.withInput({ parser.parse($0) }) {
            case .needMore:
                if peerClosed { close() }
                return
            case .invalid(let error):
                parser.reset()
                request = nil
                fail(error, forceClose: true)
                return
            case .complete(let head, let consumed):
                socket.consumeInput(consumed)
                parser = RequestParser(limits: server.settings.limits)
                begin(head)
            }
        }
    }

    /// Interprets and routes a complete head; starts body discarding when there is a body.
    func begin(_ head: RequestHead) {
        timer.cancel()
        requestStart = EventLoop.monotonicSeconds()
        let request: Request
        switch Request.interpret(head) {
        case .failure(let error):
            self.request = nil
            failedHead = head
            fail(error, head: head, forceClose: true)
            return
        case .success(let r):
            request = r
        }
        self.request = request
        let route = Router.route(request, hideDotfiles: config.hideDotfiles, monitoring: server.settings.monitoring)
        guard request.body != .none else {
            perform(route)
            return
        }
        if case .length(let n) = request.body, n > config.limitRequestBody {
            fail(RequestError(.contentTooLarge, "Content-Length \(n) above LimitRequestBody"), forceClose: true)
            return
        }
        if request.expectsContinue {
            // RFC 9110 §10.1.1: ask for the body only when it will be read; otherwise answer and close.
            guard case .file = route else {
                // The body stays unread, so nothing after it on this connection can be trusted.
                mustClose = true
                perform(route)
                return
            }
            socket.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            if case .failed = socket.flush() {
                close()
                return
            }
        }
        discarder = BodyDiscarder(request.body, limit: config.limitRequestBody)
        pendingRoute = route
        state = .readingBody
        timer.schedule(after: config.requestBodyTimeout)
        readBody()
    }

    /// Discards body bytes; once the body has ended, acts on the request.
    func readBody() {
        guard var d = discarder else { return }
        let (consumed, progress) = socket.withInput { d.consume($0) }
        discarder = d
        socket.consumeInput(consumed)
        switch progress {
        case .needMore:
            return
        case .invalid(let error):
            fail(error, forceClose: true)
        case .done:
            timer.cancel()
            discarder = nil
            let route = pendingRoute!
            pendingRoute = nil
            perform(route)
            resume()
        }
    }

    // MARK: Deciding

    func perform(_ route: Route) {
        switch route {
        case .error(let error):
            fail(error)
        case .respond(let response):
            send(response)
        case .file(let path):
            lookup(path, .serve(path: path))
        case .health:
            skipAccessLog = !config.logHealth
            send(plain(.ok, "ok\n"))
        case .ready:
            skipAccessLog = !config.logHealth
            send(server.draining ? plain(.serviceUnavailable, "draining\n") : plain(.ok, "ready\n"))
        case .status(let format):
            guard config.statusAllowed(peer) else {
                fail(RequestError(.forbidden, "status not allowed for \(peer) (StatusAllow)"))
                return
            }
            state = .writing  // the status request counts itself as writing, as Apache's does
            let (type, body) = StatusPages.render(server.snapshot(), format)
            send(
                Response(
                    status: .ok, headers: [("Content-Type", type), ("Cache-Control", "no-store")],
                    body: [.bytes(Array(body.utf8))], sendsBody: request?.method != .head))
        }
    }

    /// A small text/plain answer that must never be cached (health and readiness).
    func plain(_ status: HTTPStatus, _ text: String) -> Response {
        Response(
            status: status, headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")],
            body: [.bytes(Array(text.utf8))], sendsBody: request?.method != .head)
    }

    /// The state shown by status pages: reading, writing, waiting (keep-alive) or closing.
    var monitorState: ConnectionActivity {
        switch state {
        case .readingHead: parser.isIdle && socket.inputCount == 0 && requestsServed > 0 ? .waiting : .reading
        case .readingBody: .reading
        case .waitingForFile, .writing: .writing
        case .idle: .waiting
        case .lingering, .closed: .closing
        }
    }

    /// Looks a path up: from the open-file cache at once, or on a worker.
    func lookup(_ path: String, _ purpose: Purpose) {
        self.purpose = purpose
        if let cached = server.cachedFile(path) {
            lookupFinished(.file(cached))
            return
        }
        state = .waitingForFile
        socket.disableReading()
        server.submitLookup(self, path)
    }

    /// Turns a lookup result into a response.
    func lookupFinished(_ result: LookupResult) {
        guard let purpose, state != .closed else { return }
        self.purpose = nil
        switch purpose {
        case .serve(let path):
            guard let request else { return }
            switch result {
            case .file(let resource):
                server.remember(path, resource)
                switch StaticResponder.respond(request, resource.metadata, server.settings.staticSettings) {
                case .success(let response): send(response, file: resource)
                case .failure(let error): fail(error)
                }
            case .directoryRedirect:
                send(StaticResponder.directoryRedirect(request, decodedPath: path))
            case .listing(let html):
                send(StaticResponder.listing(request, html))
            case .failure(let status, let why):
                fail(RequestError(status, why))
            }
        case .errorDocument(var response):
            if case .file(let resource) = result {
                server.remember(resource.servedPath, resource)
                let file = resource.file
                response.headers = response.headers.filter { $0.0 != "Content-Type" } + [("Content-Type", file.info.contentType)]
                response.body = [.file(FileRegion(.original, offset: 0, length: file.size))]
                response.contentLength = file.size
                send(response, file: resource)
            } else {
                send(response)
            }
        }
        resume()
    }

    /// Answers with an error status (through its ErrorDocument when one is configured).
    func fail(_ error: RequestError, head: RequestHead? = nil, forceClose: Bool = false) {
        // Server faults at error; refused requests at info; a plain missing file only at debug (the access log has it).
        let level: LogLevel =
            error.status.code >= 500 && error.status != .notImplemented && error.status != .httpVersionNotSupported
            ? .error : (error.status == .notFound ? .debug : .info)
        server.log.log(level, "[client \(peer)] \(error.status.code) \(requestLine(head)): \(error.reason)")
        let isHead = (request?.method ?? head.map { HTTPMethod($0.method) }) == .head
        var response = Response.error(error.status, sendsBody: !isHead, extraHeaders: error.headers)
        response.forceClose = response.forceClose || forceClose
        if let document = config.errorDocuments[error.status.code],
            case .success(let normalized) = PathNormalizer.normalize(document)
        {
            lookup(normalized.path, .errorDocument(response))
            return
        }
        send(response)
    }

    func requestLine(_ head: RequestHead?) -> String {
        guard let h = head ?? request?.head else { return "(no request line)" }
        return "\"\(h.method) \(h.target.prefix(200)) HTTP/\(h.version.major).\(h.version.minor)\""
    }

    // MARK: Writing

    /// Queues the head and body (file regions read from `file`) and waits for them to drain.
    func send(_ response: Response, file resource: FileResource? = nil) {
        requestsServed += 1
        var keepAlive =
            config.keepAlive && (request?.wantsKeepAlive ?? false) && !response.forceClose && !mustClose && !server.draining
        if config.maxKeepAliveRequests > 0 && requestsServed >= config.maxKeepAliveRequests { keepAlive = false }
        keepAliveAfterWrite = keepAlive
        if request == nil && failedHead == nil { requestStart = EventLoop.monotonicSeconds() }
        if server.accessLog != nil && !skipAccessLog {
            let h = request?.head ?? failedHead
            logEntry = AccessLogEntry(
                client: peer, requestLine: h.map { "\($0.method) \($0.target) HTTP/\($0.version.major).\($0.version.minor)" },
                status: response.status.code, bodyBytes: response.sendsBody ? response.contentLength ?? 0 : 0,
                referer: h?.field("referer"), userAgent: h?.field("user-agent"))
        }
        let head = response.head(
            date: server.httpDate(), server: server.settings.serverHeader, keepAlive: keepAlive,
            http11: request?.isHTTP11 ?? true, keepAliveTimeout: Int(config.keepAliveTimeout))
        socket.write(head)
        let bodyBytes = response.sendsBody ? response.contentLength ?? 0 : 0
        inFlight = (response.status.code, bodyBytes, head.count + bodyBytes)
        if response.sendsBody {
            for part in response.body {
                switch part {
                case .bytes(let bytes):
                    socket.write(bytes)
                case .file(let region):
                    guard let file = resource?.entry(region.representation) else { continue }
                    let offset = region.offset
                    let length = region.length
                    if let content = file.content {
                        content.withUnsafeBytes { socket.write(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + length])) }
                    } else {
                        if let error = socket.writeFile(sharing: file.fd, offset: offset, length: length) {
                            server.log.log(.error, "cannot queue file for sending: \(error)")
                            close()
                            return
                        }
                    }
                }
            }
        }
        state = .writing
        socket.disableReading()
        socket.setSendTimeout(config.sendTimeout)
        switch socket.flush() {
        case .drained:
            finishResponse()
        case .pending:
            break
        case .failed(let code):
            server.log.log(.debug, "[client \(peer)] write failed: \(errnoText(code))")
            close()
        }
    }

    func socketDrained() {
        guard state == .writing else { return }
        finishResponse()
        resume()
    }

    /// The response is in the kernel: close, or go back to keep-alive idle (without parsing yet:
    /// the caller's loop or `resume()` picks up pipelined bytes, so pipelining never recurses).
    func finishResponse() {
        if let entry = logEntry {
            server.logAccess(entry)
            logEntry = nil
        }
        if let f = inFlight {
            server.stats.recordResponse(
                code: f.code, bodyBytes: f.bodyBytes, totalBytes: f.totalBytes,
                seconds: EventLoop.monotonicSeconds() - requestStart)
            inFlight = nil
        }
        skipAccessLog = false
        request = nil
        failedHead = nil
        if peerClosed && (!keepAliveAfterWrite || socket.inputCount == 0) {
            close()
            return
        }
        // A graceful stop began while this response was going out: close after it.
        if !keepAliveAfterWrite || server.draining {
            linger()
            return
        }
        state = .idle
        timer.schedule(after: config.keepAliveTimeout)
        socket.enableReading()
    }

    /// Continues with buffered requests after an asynchronous step, unless `readHeads` is already running.
    func resume() {
        if state == .idle && !inReadHeads { readHeads() }
    }

    /// Half-closes and reads until the client closes (at most 2 s), so unread input cannot turn our
    /// close into a reset that destroys the response in flight (what nginx calls lingering close).
    func linger() {
        state = .lingering
        socket.shutdownWrite()
        socket.consumeInput(socket.inputCount)
        if peerClosed {
            close()
            return
        }
        timer.schedule(after: 2)
        socket.enableReading()
    }

    // MARK: Ending

    func socketFailed(_ event: SocketEvent) {
        switch event {
        case .eof:
            // The client may half-close after pipelining requests: answer those already buffered, then close.
            peerClosed = true
            switch state {
            case .waitingForFile, .writing: break
            default: close()
            }
        case .sendTimeout:
            server.log.log(.info, "[client \(peer)] send timeout: the client stopped reading")
            close()
        case .error(let code):
            server.log.log(.debug, "[client \(peer)] connection error: \(errnoText(code))")
            close()
        }
    }

    /// A head, body, keep-alive or lingering deadline passed.
    func deadlinePassed() {
        switch state {
        case .readingHead:
            if parser.isIdle && socket.inputCount == 0 {
                close()
            } else {
                fail(
                    RequestError(.requestTimeout, "request head not received within \(config.requestHeaderTimeout) s"),
                    forceClose: true)
            }
        case .readingBody:
            fail(
                RequestError(.requestTimeout, "request body not received within \(config.requestBodyTimeout) s"), forceClose: true
            )
        case .idle, .lingering:
            close()
        case .waitingForFile, .writing, .closed:
            break
        }
    }

    /// Graceful stop: closes the connection now if it is between requests; otherwise the request in
    /// progress finishes and, as the server is stopping, the connection closes after it.
    func closeIfIdle() {
        switch state {
        case .idle: close()
        case .readingHead where parser.isIdle && socket.inputCount == 0: close()
        default: break
        }
    }

    /// Closes the socket and leaves the server's table; safe to call twice.
    func close() {
        guard state != .closed else { return }
        if var entry = logEntry {
            // The response did not complete: log what reached the kernel, as Apache's %b does.
            entry.bodyBytes = max(0, min(entry.bodyBytes, entry.bodyBytes - socket.outputCount))
            server.logAccess(entry)
            logEntry = nil
        }
        if let f = inFlight {
            let unsent = socket.outputCount
            server.stats.recordResponse(
                code: f.code, bodyBytes: max(0, f.bodyBytes - unsent),
                totalBytes: max(0, f.totalBytes - unsent), seconds: EventLoop.monotonicSeconds() - requestStart)
            inFlight = nil
        }
        state = .closed
        timer.cancel()
        socket.close()
        server.remove(self)
    }
}
