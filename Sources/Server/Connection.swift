// One client connection as an explicit state machine: reading a head → (discarding a body) →
// waiting for the file → writing → keep-alive idle → …, or lingering → closed.
// Decisions are made by pure units (parser, Request, Router, StaticResponder, ConnectionPolicy); this
// file sequences them and does the I/O, through a Transport, a ConnectionHost and its clock only.

import Auth
import Config
import Files
import HTTPCore
import IO
import Support

/// What a connection is doing, as status pages count it (like nginx's stub_status).
enum ConnectionActivity {
    case reading, writing, waiting, closing
}

/// A client connection, owned by its host and used only on the loop thread.
final class Connection: TransportDelegate, DeadlineOwner {
    enum State {
        /// Waiting for (the rest of) a request head; the head deadline runs.
        case readingHead
        /// Reading and discarding a request body; the body deadline runs.
        case readingBody
        /// A worker is looking the file up; reading is paused.
        case waitingForFile
        /// The response is being sent; reading is paused; the send deadline runs while output is pending.
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
        /// One of `TryFiles`' paths for the request's `path` (those left wait in `tries`).
        case tryFile(path: String)
        /// `FallbackFile` for the request's `path`, which named no file.
        case fallback(path: String)
        /// Serve an ErrorDocument in place of this default error response.
        case errorDocument(Response)
        /// A password check for the request's `path` (the answer comes through `passwordChecked`).
        case authenticate(path: String, realm: String)
    }

    /// A response queued on the transport and not yet finished.
    struct InFlight {
        var code: Int
        var bodyBytes: Int
        var totalBytes: Int
        var logEntry: AccessLogEntry?
        /// The open file whose regions are queued, kept open until the response ends.
        var file: FileResource?
        /// The site it answered for (0: the main server, and the monitoring endpoints).
        var site: Int
    }

    /// How long a lingering close waits for the client to close (nginx's lingering_time is 30 s; 2 s
    /// is enough for the response in flight to be read).
    static let lingerSeconds = 2.0

    let id: UInt64
    /// The host, held strongly: the host keeps the connection only while it is open, so the cycle ends at close
    /// (an unowned reference would cost a check on every use).
    let host: any ConnectionHost
    let clock: any ConnectionClock
    let transport: any Transport
    let deadline: LazyDeadline
    private(set) var state = State.readingHead
    /// The settings of the request in progress, taken from the host when its first bytes are parsed.
    var active: ActiveSettings
    /// The parser, request, route, body discarder, lookup purpose, response in flight and refused head of
    /// the request in progress, borrowed from the host's pool while there is one (the properties below
    /// reach them): an idle keep-alive connection holds none of it. Read on every use of those properties,
    /// on the loop thread only and never across a call: no dynamic exclusivity check.
    @exclusivity(unchecked) var exchange: UnsafeMutablePointer<Exchange>?
    /// The host's pool of exchanges (the host owns it, and outlives the connection).
    unowned(unsafe) let exchanges: ExchangePool
    var keepAliveAfterWrite = false
    /// The close after this response may skip lingering when no input is left unread (`linger`).
    var mayCloseAtOnce = false
    var peerClosed = false
    var requestsServed = 0
    var inReadHeads = false
    /// Close after the current response whatever else says (a request body was left unread).
    var mustClose = false
    var requestStart = 0.0
    var skipAccessLog = false
    /// The client's address, read once when the connection was accepted.
    let peer: PeerAddress
    /// The `Listen` address it came in on (nil: an inherited socket): which sites answer on it.
    let listenAddress: ListenAddress?
    /// The local port it came in on (the listener's real port, also when `Listen` asked for 0): `%p` in
    /// vhost_combined lines.
    let localPort: Int
    /// The sites of this connection's listener, and the generation they were found under.
    var siteGroup: SiteGroup?
    var siteGroupSettings: ActiveSettings?
    /// The wait before a 401 after repeated failures from this address (made when first needed).
    var authDelay: (any DeadlineTimer)?
    /// When the head now being read began (its deadline counts from here), on the clock's scale.
    private(set) var headStarted = 0.0
    /// Its neighbours in the host's HeadQueue (heads begun just before and just after its own); not
    /// counted references: the host takes a connection out of the queue when it closes.
    unowned(unsafe) var headOlder: Connection?
    unowned(unsafe) var headNewer: Connection?
    var inHeadQueue = false
    /// The `headStarted` of the head the host was last told about (`queueHead`).
    var queuedHead = -1.0
    /// When the head deadline now scheduled falls due.
    private(set) var headDue = 0.0
    var config: Configuration { active.settings.config }

    /// A connection over `transport`; nil when the clock has no deadline queue (the caller closes the transport).
    init?(
        id: UInt64, host: any ConnectionHost, clock: any ConnectionClock, transport: any Transport, peer: PeerAddress,
        listenAddress: ListenAddress? = nil, localPort: Int? = nil
    ) {
        self.id = id
        self.peer = peer
        self.listenAddress = listenAddress
        self.localPort = localPort ?? Int(listenAddress?.port ?? 0)
        self.host = host
        self.clock = clock
        self.transport = transport
        active = host.active
        exchanges = host.exchanges
        guard let deadline = LazyDeadline(clock: clock) else { return nil }
        self.deadline = deadline
        transport.delegate = self
        deadline.owner = self
    }

    deinit { releaseExchange() }

    // MARK: The exchange

    /// The exchange of the request in progress, borrowed from the host's pool when there is none. The
    /// properties below are addressors of its fields: no copy, no coroutine frame, no exclusivity check.
    var current: UnsafeMutablePointer<Exchange> {
        if let exchange { return exchange }
        let e = exchanges.take(limits: active.settings.limits)
        exchange = e
        return e
    }

    /// Gives the exchange back to the host's pool (between requests with nothing buffered, or at close).
    func releaseExchange() {
        guard let e = exchange else { return }
        exchange = nil
        exchanges.give(e)
    }

    /// True when no head is partly parsed (also when the connection holds no exchange).
    var parserIsIdle: Bool { exchange?.pointee.parser.isIdle ?? true }

    var parser: RequestParser {
        unsafeAddress { UnsafePointer(current).pointer(to: \.parser)! }
        unsafeMutableAddress { current.pointer(to: \.parser)! }
    }

    var request: Request? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.request)! }
        unsafeMutableAddress { current.pointer(to: \.request)! }
    }

    var inFlight: InFlight? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.inFlight)! }
        unsafeMutableAddress { current.pointer(to: \.inFlight)! }
    }

    var pendingRoute: Route? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.pendingRoute)! }
        unsafeMutableAddress { current.pointer(to: \.pendingRoute)! }
    }

    var discarder: BodyDiscarder? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.discarder)! }
        unsafeMutableAddress { current.pointer(to: \.discarder)! }
    }

    var purpose: Purpose? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.purpose)! }
        unsafeMutableAddress { current.pointer(to: \.purpose)! }
    }

    var failedHead: RequestHead? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.failedHead)! }
        unsafeMutableAddress { current.pointer(to: \.failedHead)! }
    }

    var site: SiteSettings? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.site)! }
        unsafeMutableAddress { current.pointer(to: \.site)! }
    }

    var scope: ScopeSettings? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.scope)! }
        unsafeMutableAddress { current.pointer(to: \.scope)! }
    }

    var user: String? {
        unsafeAddress { UnsafePointer(current).pointer(to: \.user)! }
        unsafeMutableAddress { current.pointer(to: \.user)! }
    }

    var tries: ArraySlice<String> {
        unsafeAddress { UnsafePointer(current).pointer(to: \.tries)! }
        unsafeMutableAddress { current.pointer(to: \.tries)! }
    }

    /// Begins reading the first request under the head deadline (and the settings in force now).
    func start() {
        state = .readingHead
        active = host.active
        startHeadDeadline()
        queueHead()
        transport.enableReading()
    }

    /// Tells the host that this connection waits for the rest of its current head (once per head): a
    /// head read whole in one go never enters the eviction order.
    func queueHead() {
        guard queuedHead != headStarted else { return }
        queuedHead = headStarted
        host.headStarted(self)
    }

    /// Starts the deadline for a request head: `RequestHeaderTimeout`, or less while the host is under
    /// pressure (too many connections), so that clients dribbling incomplete heads give their slots up first.
    func startHeadDeadline() {
        headStarted = clock.now()
        var seconds = config.requestHeaderTimeout
        if host.underPressure { seconds = min(seconds, Admission.pressureHeadSeconds) }
        headDue = headStarted + seconds
        deadline.schedule(after: seconds)
    }

    /// The host came under pressure: a head still incomplete must now be complete within
    /// `Admission.pressureHeadSeconds` of its start (at once if that has passed).
    func pressureBegan() {
        guard state == .readingHead else { return }
        let due = headStarted + Admission.pressureHeadSeconds
        if due < headDue {
            headDue = due
            deadline.schedule(after: max(0, due - clock.now()))
        }
    }

    /// True while the connection holds a slot for a head that is not complete (a new connection, or
    /// bytes of a next request): what eviction at MaxConnections may take back.
    var isReadingHead: Bool { state == .readingHead }

    // MARK: Reading

    func transportReadable() {
        switch state {
        case .readingHead, .idle: readHeads()
        case .readingBody: readBody()
        case .lingering: transport.consumeInput(transport.inputCount)
        case .waitingForFile, .writing, .closed: break
        }
    }

    /// Parses buffered bytes into requests, one at a time, until a request is in progress or bytes run out.
    func readHeads() {
        inReadHeads = true
        defer { inReadHeads = false }
        while state == .readingHead || state == .idle {
            if transport.inputCount == 0 { return }
            if parser.isIdle {
                // A new request begins: it runs under the settings in force now.
                let current = host.active
                if current !== active {
                    active = current
                    parser = RequestParser(limits: current.settings.limits)
                }
            }
            if state == .idle {
                state = .readingHead
                startHeadDeadline()
            }
            // The parser never needs more than its head-size limit (and one byte to see it passed).
            switch transport.withInput(upTo: parser.limits.headSize + 1, { parser.parse($0) }) {
            case .needMore:
                if peerClosed {
                    close()
                } else {
                    queueHead()
                }
                return
            case .invalid(let error):
                parser.reset()
                request = nil
                fail(error, forceClose: true)
                return
            case .complete(let head, let consumed):
                transport.consumeInput(consumed)
                parser.reset()
                begin(head)
            }
        }
    }

    /// Interprets and routes a complete head; starts body discarding when there is a body.
    func begin(_ head: RequestHead) {
        deadline.cancel()
        requestStart = clock.now()
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
        #if DEBUG
            TestTrap.check(request.path)
        #endif
        if transport.spokePlainHTTP {
            host.log(.info, "[client \(peer)] 400 \(requestLine(head)): plain HTTP request sent to a TLS port")
            send(Router.plainHTTPOnTLSPort(request, isHead: request.method == .head))
            return
        }
        let (chosen, misdirected) = chooseSite(request)
        var route = Router.route(request, hideDotfiles: chosen.config.hideDotfiles, monitoring: active.settings.monitoring)
        switch route {
        case .health, .ready, .status:
            // Monitoring endpoints are the server's, whatever the Host: a load balancer names none of the sites.
            break
        default:
            site = chosen
            if let misdirected {
                route = .error(misdirected)
            } else if case .file(let path) = route {
                route = siteRoute(chosen, request, path)
            }
        }
        if let port = active.settings.httpsRedirectPort, transport.security == nil,
            let redirect = Router.httpsRedirect(request, route: route, httpsPort: port)
        {
            route = redirect
        }
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
            transport.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            if case .failed = transport.flush() {
                close()
                return
            }
        }
        discarder = BodyDiscarder(request.body, limit: config.limitRequestBody)
        pendingRoute = route
        state = .readingBody
        deadline.schedule(after: config.requestBodyTimeout)
        readBody()
    }

    /// Discards body bytes; once the body has ended, acts on the request.
    func readBody() {
        guard var d = discarder else { return }
        let (consumed, progress) = transport.withInput(upTo: .max) { d.consume($0) }
        discarder = d
        transport.consumeInput(consumed)
        switch progress {
        case .needMore:
            return
        case .invalid(let error):
            fail(error, forceClose: true)
        case .done:
            deadline.cancel()
            discarder = nil
            let route = pendingRoute!
            pendingRoute = nil
            perform(route)
            resume()
        }
    }

    // MARK: Deciding

    /// The site for `request` on this connection's listener: by its Host (exact names, then wildcards), else
    /// the listener's first site, or 421 with `StrictHostCheck on`; 421 too when the Host names another site
    /// than the TLS server name (RFC 9110 §7.4). The site returned with an error still answers it. On a
    /// listener no `<VirtualHost>` names, the main server answers every Host (StrictHostCheck is about the
    /// names of `<VirtualHost>` sites, as Apache's).
    func chooseSite(_ request: Request) -> (SiteSettings, RequestError?) {
        let active = self.active
        let sites = active.sites
        if sites.count == 1 { return (sites[0], nil) }
        let group = listenerGroup(active)
        if group.fallback == 0 { return (sites[0], nil) }
        let byHost = request.host.isEmpty ? nil : group.site(named: request.host)
        if let sni = transport.security?.serverName {
            let bySNI = group.site(named: sni) ?? group.fallback
            let index = byHost ?? (request.host.isEmpty ? bySNI : (active.strictHostCheck ? nil : group.fallback))
            guard index == bySNI else {
                return (
                    sites[bySNI],
                    RequestError(.misdirectedRequest, "Host \(request.host) is not the site of the TLS server name \(sni)")
                )
            }
            return (sites[bySNI], nil)
        }
        if let byHost { return (sites[byHost], nil) }
        guard !active.strictHostCheck else {
            let name = request.host.isEmpty ? "no Host" : "Host \(request.host)"
            return (sites[group.fallback], RequestError(.misdirectedRequest, "\(name) names no site (StrictHostCheck)"))
        }
        return (sites[group.fallback], nil)
    }

    /// The sites answering on this connection's listener under `active`, found once per generation.
    func listenerGroup(_ active: ActiveSettings) -> SiteGroup {
        if let group = siteGroup, siteGroupSettings === active { return group }
        let group = active.settings.group(for: listenAddress)
        siteGroup = group
        siteGroupSettings = active
        return group
    }

    /// A file route within `site`: its scope (the longest `<Location>`), then its `Redirect` rules, before
    /// any file-system work.
    func siteRoute(_ site: SiteSettings, _ request: Request, _ path: String) -> Route {
        scope = site.scope(for: path)
        if !site.redirects.isEmpty, let (status, location) = Redirects.match(site.redirects, path: path, query: request.query) {
            return .respond(Redirects.response(status: status, location: location, isHead: request.method == .head))
        }
        return .file(path)
    }

    /// Serves `path` once it may be: `TryFiles`' paths in order when the site has them, else the path itself.
    func serveFile(_ path: String) {
        if let site, !site.tryFiles.isEmpty {
            var candidates = TryFiles.candidates(site.tryFiles, path: path)[...]
            if let first = candidates.popFirst() {
                tries = candidates
                lookup(first, .tryFile(path: path))
                return
            }
        }
        lookup(path, .serve(path: path))
    }

    func perform(_ route: Route) {
        switch route {
        case .error(let error):
            fail(error)
        case .respond(let response):
            send(response)
        case .file(let path):
            if let auth = scope?.auth, user == nil {
                authenticate(auth, path: path)
                return
            }
            serveFile(path)
        case .health:
            skipAccessLog = !config.logHealth
            send(plain(.ok, "ok\n"))
        case .ready:
            skipAccessLog = !config.logHealth
            send(host.draining ? plain(.serviceUnavailable, "draining\n") : plain(.ok, "ready\n"))
        case .status(let format):
            guard config.statusAllowed(peer) else {
                fail(RequestError(.forbidden, "status not allowed for \(peer) (StatusAllow)"))
                return
            }
            state = .writing  // the status request counts itself as writing, as Apache's does
            let (type, body) = StatusPages.render(host.statusSnapshot(), format)
            send(
                Response(
                    status: .ok, headers: [("Content-Type", type), ("Cache-Control", "no-store")],
                    body: [.bytes(Array(body.utf8))], sendsBody: request?.method != .head))
        }
    }

    // MARK: Basic authentication

    /// Checks the request's credentials for `auth` (RFC 7617): none or another scheme gets 401 with the
    /// challenge, malformed ones 400; a password is checked by the host (its cache of recent successes, or a
    /// worker: hashing is slow on purpose), and the answer arrives through `passwordChecked`.
    func authenticate(_ auth: AuthSettings, path: String) {
        guard let value = request?.head.field("authorization") else {
            challenge(auth.realm, "no credentials for \(auth.realm)", logged: false)
            return
        }
        switch BasicCredentials(fieldValue: value.utf8) {
        case .otherScheme:
            challenge(auth.realm, "Authorization is not Basic", logged: false)
        case .malformed(let reason):
            fail(RequestError(.badRequest, "Authorization: \(reason)"))
        case .credentials(let name, let password):
            purpose = .authenticate(path: path, realm: auth.realm)
            switch host.checkPassword(user: name, password: password, auth: auth, peer: peer, for: id) {
            case .now(let check):
                passwordChecked(check)
            case .pending:
                state = .waitingForFile
                transport.disableReading()
            case .busy(let queued):
                purpose = nil
                fail(
                    RequestError(
                        .serviceUnavailable, "worker queue full (\(queued) jobs waiting)", headers: [("Retry-After", "1")]))
            }
        }
    }

    /// The verdict on the credentials: the file is served, or 401 (after the delay the host asks for).
    func passwordChecked(_ check: PasswordCheck) {
        guard state != .closed, case .authenticate(let path, let realm) = purpose else { return }
        purpose = nil
        if check.fileUnreadable {
            fail(RequestError(.internalServerError, check.reason))
            resume()
            return
        }
        if check.passed {
            user = check.user
            serveFile(path)
            resume()
            return
        }
        // The error log escapes the name's bytes (once).
        let why = "user \(check.user): \(check.reason)"
        guard check.delay > 0 else {
            challenge(realm, why, logged: true)
            resume()
            return
        }
        if authDelay == nil { authDelay = clock.makeTimer { [unowned self] in self.delayedChallenge() } }
        purpose = .authenticate(path: "", realm: realm)
        pendingChallenge = why
        state = .waitingForFile
        transport.disableReading()
        authDelay?.schedule(after: check.delay)
    }

    /// The reason of a 401 held back by `authDelay`.
    var pendingChallenge = ""

    func delayedChallenge() {
        guard state != .closed, case .authenticate(_, let realm) = purpose else { return }
        purpose = nil
        challenge(realm, pendingChallenge + " (answered after a delay: repeated failures)", logged: true)
        resume()
    }

    /// 401 with `WWW-Authenticate` for `realm` (through ErrorDocument 401 when there is one). A failed password
    /// is logged at warn, a request that brought none only as its 401 at info.
    func challenge(_ realm: String, _ why: String, logged: Bool) {
        if logged { host.log(.warn, site: site?.index ?? 0, "[client \(peer)] authentication failed: \(why)") }
        fail(RequestError(.unauthorized, why, headers: [("WWW-Authenticate", Challenge.basic(realm: realm))]))
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
        case .readingHead: parserIsIdle && transport.inputCount == 0 && requestsServed > 0 ? .waiting : .reading
        case .readingBody: .reading
        case .waitingForFile, .writing: .writing
        case .idle: .waiting
        case .lingering, .closed: .closing
        }
    }

    /// Looks a path up: answered at once by the host (open-file cache, inline lookup) or later by a worker.
    func lookup(_ path: String, _ purpose: Purpose) {
        self.purpose = purpose
        let site = self.site ?? active.sites[0]
        var scope = self.scope ?? site.scope
        if case .errorDocument = purpose { scope = site.scope }
        switch host.lookup(path, under: active, scope: scope, site: site.index, for: id) {
        case .now(let result):
            lookupFinished(result)
        case .pending:
            state = .waitingForFile
            transport.disableReading()
        case .busy(let queued):
            self.purpose = nil
            // An ErrorDocument that cannot be looked up now: the built-in page answers instead.
            if case .errorDocument(let response) = purpose {
                send(response)
                return
            }
            fail(
                RequestError(
                    .serviceUnavailable, "worker queue full (\(queued) lookups waiting)", headers: [("Retry-After", "1")]))
        }
    }

    /// Turns a lookup result into a response (ignored once the connection has closed).
    func lookupFinished(_ result: LookupResult) {
        guard state != .closed, let purpose else { return }
        self.purpose = nil
        switch purpose {
        case .serve(let path):
            if case .failure(let status, let why) = result, status == .notFound {
                notFound(path, why)
            } else {
                answer(result, path: path)
            }
        case .tryFile(let path):
            switch result {
            case .failure(let status, _) where status == .notFound:
                tryNext(path, result)
                return
            case .directoryRedirect:
                // `$uri` names a folder: a later `$uri/` serves its index without a redirect.
                if !tries.isEmpty {
                    tryNext(path, result)
                    return
                }
                answer(result, path: path)
            default:
                answer(result, path: path)
            }
        case .fallback(let path):
            if case .file = result {
                answer(result, path: path)
            } else {
                fail(RequestError(.notFound, "\(path) not found, nor FallbackFile \(site?.fallbackFile ?? "")"))
            }
        case .errorDocument(var response):
            if case .file(let resource) = result {
                let file = resource.file
                response.headers =
                    response.headers.filter { $0.0 != "Content-Type" } + [("Content-Type", file.info.contentType)]
                response.body = [.file(FileRegion(.original, offset: 0, length: file.size))]
                response.contentLength = file.size
                send(response, file: resource)
            } else {
                send(response)
            }
        case .authenticate:
            return
        }
        resume()
    }

    /// The next of `TryFiles`' paths, or once none is left its `=CODE` (else the last answer, a 404 or the
    /// folder's redirect), then `FallbackFile`.
    func tryNext(_ path: String, _ last: LookupResult) {
        if let next = tries.popFirst() {
            lookup(next, .tryFile(path: path))
            return
        }
        let final = site.flatMap { TryFiles.finalStatus($0.tryFiles) }
        if case .directoryRedirect = last, final == nil {
            answer(last, path: path)
        } else if let final, final != 404 {
            fail(RequestError(HTTPStatus(final), "TryFiles: nothing found for \(path)"))
        } else {
            notFound(path, "TryFiles: nothing found for \(path)")
        }
        resume()
    }

    /// No file for `path`: `FallbackFile` when it applies (GET or HEAD accepting HTML, no extension), else 404.
    func notFound(_ path: String, _ why: String) {
        if let fallback = site?.fallbackFile, let request,
            TryFiles.fallbackApplies(method: request.method, path: path, accept: request.head.field("accept"))
        {
            lookup(fallback, .fallback(path: path))
            return
        }
        fail(RequestError(.notFound, why))
    }

    /// The response for what a lookup found for the request's `path`.
    func answer(_ result: LookupResult, path: String) {
        guard let request else { return }
        switch result {
        case .file(let resource):
            let settings = (scope ?? site?.scope ?? active.sites[0].scope).staticSettings
            if StaticResponder.isPlain(request, resource.metadata, settings) {
                send(StaticResponder.plain(request, resource.metadata, renderedFields: plainFields(resource)), file: resource)
                break
            }
            switch StaticResponder.respond(request, resource.metadata, settings) {
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
    }

    /// Answers with an error status (through its ErrorDocument when one is configured).
    func fail(_ error: RequestError, head: RequestHead? = nil, forceClose: Bool = false) {
        host.log(
            ConnectionPolicy.logLevel(for: error.status), site: exchange?.pointee.site?.index ?? 0,
            "[client \(peer)] \(error.status.code) \(requestLine(head)): \(error.reason)")
        let isHead = (request?.method ?? head.map { HTTPMethod($0.method) }) == .head
        let response = Response.rendering(error, isHead: isHead, forceClose: forceClose)
        let documents = (exchange?.pointee.scope ?? exchange?.pointee.site?.scope)?.errorDocuments ?? config.errorDocuments
        if let document = ConnectionPolicy.errorDocument(for: error.status, in: documents) {
            lookup(document, .errorDocument(response))
            return
        }
        send(response)
    }

    func requestLine(_ head: RequestHead?) -> String {
        guard let h = head ?? request?.head else { return "(no request line)" }
        return "\"\(h.method) \(h.target.prefix(200)) HTTP/\(h.version.major).\(h.version.minor)\""
    }

    /// The Server line, fields and Content-Length of `resource`'s plain 200 under the settings in force,
    /// rendered on first use and kept with the open file.
    func plainFields(_ resource: FileResource) -> [UInt8] {
        let scope = self.scope ?? site?.scope ?? active.sites[0].scope
        if let rendered = resource.renderedFields, rendered.settings === scope { return rendered.bytes }
        let info = resource.metadata.info
        var fields = StaticResponder.fields(info, scope.staticSettings, vary: false)
        HeaderRules.apply(scope.headers, to: &fields, status: 200)
        let bytes = Response.renderFields(server: active.settings.serverHeader, headers: fields, contentLength: info.size)
        resource.renderedFields = (scope, bytes)
        return bytes
    }

    // MARK: Writing

    /// Queues the head and body (file regions read from `file`) and waits for them to drain.
    func send(_ response: Response, file: FileResource? = nil) {
        var response = response
        // An answer that needs no file (OPTIONS, 405, 421) has no <Location> scope: the site's rules apply; an
        // error before any site was chosen (a malformed request) gets the main server's. The monitoring
        // endpoints' own answers get none (a site's Cache-Control must not make a health check cacheable).
        let fallback = response.status.code >= 400 ? active.sites[0].scope : nil
        if response.renderedFields == nil, let rules = (scope ?? site?.scope ?? fallback)?.headers, !rules.isEmpty {
            HeaderRules.apply(rules, to: &response.headers, status: response.status.code)
        }
        requestsServed += 1
        let keepAlive = ConnectionPolicy.keepAlive(
            enabled: config.keepAlive, requestWants: request?.wantsKeepAlive ?? false,
            responseForcesClose: response.forceClose, bodyLeftUnread: mustClose, draining: host.draining,
            requestsServed: requestsServed, maxRequests: config.maxKeepAliveRequests)
        keepAliveAfterWrite = keepAlive
        mayCloseAtOnce = ConnectionPolicy.mayCloseAtOnce(
            requestWants: request?.wantsKeepAlive, responseForcesClose: response.forceClose, bodyLeftUnread: mustClose)
        if request == nil && failedHead == nil { requestStart = clock.now() }
        let bodyBytes = response.sendsBody ? response.contentLength ?? 0 : 0
        var logEntry: AccessLogEntry?
        if host.logsAccess && !skipAccessLog {
            let h = request?.head ?? failedHead
            logEntry = AccessLogEntry(
                client: peer.text,
                requestLine: h.map { "\($0.method) \($0.target) HTTP/\($0.version.major).\($0.version.minor)" },
                status: response.status.code, bodyBytes: bodyBytes, referer: h?.field("referer"),
                userAgent: h?.field("user-agent"), tlsProtocol: transport.security?.version,
                tlsCipher: transport.security?.cipher, user: user)
            logEntry?.site = (site ?? active.sites[0]).name
            logEntry?.port = localPort
        }
        // A body that is one region of a file held in memory leaves with the head, in one write.
        let inMemory = response.sendsBody ? Self.memoryRegion(response.body, of: file) : nil
        let headCount = response.withHead(
            date: host.dateHeader(), server: active.settings.serverHeader, keepAlive: keepAlive,
            http11: request?.isHTTP11 ?? true, keepAliveTimeout: Int(config.keepAliveTimeout),
            extraLines: transport.security == nil ? "" : active.settings.hstsLine
        ) { head in
            if let inMemory {
                inMemory.withUnsafeBytes { transport.write(head, $0) }
            } else {
                transport.write(head)
            }
            return head.count
        }
        inFlight = InFlight(
            code: response.status.code, bodyBytes: bodyBytes, totalBytes: headCount + bodyBytes, logEntry: logEntry,
            file: file, site: site?.index ?? 0)
        if response.sendsBody && inMemory == nil && !queueBody(response.body, from: file) {
            host.log(.error, "[client \(peer)] cannot queue a file for sending")
            close()
            return
        }
        state = .writing
        transport.disableReading()
        switch transport.flush() {
        case .drained:
            finishResponse()
        case .pending:
            deadline.schedule(after: config.sendTimeout)
        case .failed(let code):
            host.log(.debug, "[client \(peer)] write failed: \(errnoText(code))")
            close()
        }
    }

    /// The bytes of a body that is a single region of a file whose content is in memory, else nil.
    static func memoryRegion(_ parts: [BodyPart], of resource: FileResource?) -> ArraySlice<UInt8>? {
        guard parts.count == 1, case .file(let region) = parts[0],
            let content = resource?.entry(region.representation).content,
            region.offset >= 0, region.length >= 0, region.offset + region.length <= content.count
        else { return nil }
        return content[region.offset..<region.offset + region.length]
    }

    /// Queues the body parts: bytes as they are, file regions from memory (small files) or as a
    /// sendfile segment shared by every response for that open file. False when a region cannot be queued.
    func queueBody(_ parts: [BodyPart], from resource: FileResource?) -> Bool {
        for part in parts {
            switch part {
            case .bytes(let bytes):
                transport.write(bytes)
            case .file(let region):
                guard let file = resource?.entry(region.representation) else { return false }
                if let content = file.content {
                    content.withUnsafeBytes {
                        transport.write(UnsafeRawBufferPointer(rebasing: $0[region.offset..<region.offset + region.length]))
                    }
                } else {
                    guard let segment = file.segment, transport.write(segment, offset: region.offset, length: region.length)
                    else { return false }
                }
            }
        }
        return true
    }

    func transportProgressed() {
        // SendTimeout bounds a send that makes no progress, not the whole response.
        if state == .writing { deadline.schedule(after: config.sendTimeout) }
    }

    func transportDrained() {
        guard state == .writing else { return }
        finishResponse()
        resume()
    }

    /// The response is in the kernel: close, or go back to keep-alive idle (without parsing yet:
    /// the caller's loop or `resume()` picks up pipelined bytes, so pipelining never recurses).
    func finishResponse() {
        deadline.cancel()
        endResponse(unsent: 0)
        skipAccessLog = false
        request = nil
        failedHead = nil
        // A pipelined request chooses its own site, scope and user (and brings its own credentials).
        site = nil
        scope = nil
        user = nil
        if peerClosed && (!keepAliveAfterWrite || transport.inputCount == 0) {
            close()
            return
        }
        // A graceful stop began while this response was going out: close after it.
        if !keepAliveAfterWrite || host.draining {
            linger()
            return
        }
        state = .idle
        deadline.schedule(after: config.keepAliveTimeout)
        if transport.inputCount == 0 {
            releaseExchange()
            transport.releaseIdleBuffers()
        }
        transport.enableReading()
    }

    /// Reports the response in flight to the host, less `unsent` bytes that never reached the kernel
    /// (as Apache's %b counts what was sent), and lets go of its file.
    func endResponse(unsent: Int) {
        guard var f = inFlight.take() else { return }
        let bodyBytes = max(0, f.bodyBytes - unsent)
        f.logEntry?.bodyBytes = bodyBytes
        let now = clock.now()
        host.responseFinished(
            ResponseOutcome(
                code: f.code, bodyBytes: bodyBytes, totalBytes: max(0, f.totalBytes - unsent),
                seconds: now - requestStart, logEntry: f.logEntry.take(), site: f.site, end: now))
    }

    /// Continues with buffered requests after an asynchronous step, unless `readHeads` is already running.
    func resume() {
        if state == .idle && !inReadHeads { readHeads() }
    }

    /// Half-closes and reads until the client closes (at most `lingerSeconds`), so unread input cannot
    /// turn our close into a reset that destroys the response in flight (nginx's lingering close). A client
    /// that asked to close and left nothing unread (buffered or in the kernel) is closed at once.
    func linger() {
        state = .lingering
        if mayCloseAtOnce && !transport.inputPending() {
            close()
            return
        }
        transport.shutdownWrite()
        transport.consumeInput(transport.inputCount)
        if peerClosed {
            close()
            return
        }
        deadline.schedule(after: Self.lingerSeconds)
        transport.enableReading()
    }

    // MARK: Ending

    func transportFailed(_ event: TransportEvent) {
        switch event {
        case .eof:
            // The client may half-close after pipelining requests: answer those already buffered, then close.
            peerClosed = true
            switch state {
            case .waitingForFile, .writing: break
            default: close()
            }
        case .error(let code):
            if let why = transport.failure {
                host.log(.info, "[client \(peer)] \(why)")
            } else {
                host.log(.debug, "[client \(peer)] connection error: \(errnoText(code))")
            }
            close()
        }
    }

    /// A head, body, send, keep-alive or lingering deadline passed.
    func deadlinePassed() {
        switch state {
        case .readingHead:
            let seconds = headDue - headStarted
            if parserIsIdle && transport.inputCount == 0 {
                // A TLS handshake begun and not completed in time gets a line, as a partial head's 408 does
                // (a connection that sent nothing does not).
                if transport.handshakeInProgress {
                    host.log(.info, "[client \(peer)] TLS handshake not completed within \(seconds) s")
                }
                close()
            } else if seconds < config.requestHeaderTimeout {
                // Under pressure a dribbling head gives its slot back at once: no answer, no lingering.
                host.log(.info, "[client \(peer)] request head not complete within \(seconds) s under pressure: dropped")
                host.connectionDropped()
                close()
            } else {
                fail(RequestError(.requestTimeout, "request head not received within \(seconds) s"), forceClose: true)
            }
        case .readingBody:
            fail(
                RequestError(.requestTimeout, "request body not received within \(config.requestBodyTimeout) s"),
                forceClose: true)
        case .writing:
            host.log(.info, "[client \(peer)] send timeout: the client stopped reading")
            close()
        case .idle, .lingering:
            close()
        case .waitingForFile, .closed:
            break
        }
    }

    /// Graceful stop: closes the connection now if it is between requests; otherwise the request in
    /// progress finishes and, as the server is stopping, the connection closes after it.
    func closeIfIdle() {
        switch state {
        case .idle: close()
        case .readingHead where parserIsIdle && transport.inputCount == 0: close()
        default: break
        }
    }

    /// Closes the transport and tells the host; safe to call twice.
    func close() {
        guard state != .closed else { return }
        state = .closed
        deadline.cancel()
        authDelay?.cancel()
        // The transport drops its queued output (and file segments) before the response lets go of its file.
        let unsent = transport.outputCount
        transport.close()
        // A response cut short: count and log what reached the kernel.
        endResponse(unsent: unsent)
        releaseExchange()
        host.connectionClosed(id)
    }
}

extension FileEntry {
    /// The file's sendfile segment, made on first use and shared by every response that sends the file;
    /// nil when libevent cannot make one. Loop thread only.
    var segment: FileSegment? {
        if let segment = sendHandle as? FileSegment { return segment }
        guard let segment = FileSegment(fd: fd, length: size) else { return nil }
        sendHandle = segment
        return segment
    }
}
