// The block directives, `<VirtualHost>` and `<Location>`, and how they are resolved once the whole
// configuration is read: each site starts from every server-level directive, each location from its site.

import HTTPCore

/// A block directive (`<Name args> … </Name>`): the lines inside are read in its own context, when the
/// whole configuration has been (`ConfigReader.resolveBlocks`).
struct BlockDirective: Sendable {
    /// The documented spelling; matched without regard to ASCII case.
    let name: String
    let syntax: String
    let arity: Arity
    /// Where the block may appear.
    let contexts: [DirectiveContext]
    /// The context of the lines inside it.
    let inner: DirectiveContext
    /// One line for `httpd -L`.
    let help: String
    /// Checks the arguments of the opening line (throws a `DirectiveError`).
    let check: @Sendable ([String], ConfigReader) throws -> Void

    /// The block called `word` (ASCII case-insensitive), if any.
    static func named(_ word: String) -> BlockDirective? {
        all.first { SiteSyntax.isKeyword(word, $0.name.asciiLowercased) }
    }

    static let all: [BlockDirective] = [
        BlockDirective(
            name: "VirtualHost", syntax: "*|*:port|addr:port ...", arity: .atLeast(1), contexts: [.server], inner: .virtualHost,
            help: "a site: ServerName, ServerAlias and its own root, logs, headers, redirects, locations, authentication",
            check: { args, _ in _ = try args.map(virtualHostAddress) }),
        BlockDirective(
            name: "Location", syntax: "/prefix", arity: .one, contexts: [.server, .virtualHost], inner: .location,
            help: "settings for a path and everything under it (longest prefix wins)",
            check: { args, _ in _ = try locationPrefix(args[0]) }),
    ]

    /// `*`, `*:port`, `addr`, `addr:port`, `[v6]`, `[v6]:port`; cut on bytes.
    static func virtualHostAddress(_ word: String) throws -> VirtualHostAddress {
        let bytes = Array(word.utf8)
        var host = bytes[...]
        var port: UInt16?
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else {
                throw DirectiveError.value("wants [address]:port for IPv6, got '\(word)'")
            }
            host = bytes[1..<close]
            let rest = bytes[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":"), let p = UInt16(String(decoding: rest.dropFirst(), as: UTF8.self)) else {
                    throw DirectiveError.value("'\(word)' is not [address]:port")
                }
                port = p
            }
            let text = String(decoding: host, as: UTF8.self)
            guard IPAddress.isIPv6(text) else { throw DirectiveError.value("'\(text)' is not a numeric IPv6 address") }
            return VirtualHostAddress(host: text, port: port)
        }
        if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            host = bytes[..<colon]
            let portText = String(decoding: bytes[(colon + 1)...], as: UTF8.self)
            guard let p = UInt16(portText) else {
                throw DirectiveError.value("'\(portText)' is not a port number from 0 to 65535")
            }
            port = p
        }
        if host.elementsEqual("*".utf8) || host.elementsEqual("_default_".utf8) {
            return VirtualHostAddress(host: nil, port: port)
        }
        let text = String(decoding: host, as: UTF8.self)
        guard IPAddress.isIPv4(text) else {
            throw DirectiveError.value("wants *, *:port or a numeric address with a port, got '\(word)'")
        }
        return VirtualHostAddress(host: text, port: port)
    }

    /// A `<Location>` (or `Redirect`) prefix as stored. It is written as a URL path: it must start with `/`;
    /// percent-escapes are decoded once (`%20`; a literal `%` is `%25`), dot segments and repeated slashes
    /// resolved as `PathNormalizer` does for requests (so that `/a/%2e%2e/b` and `/b` are the same prefix;
    /// `%2F`, `%00`, a backslash and `..` above `/` refused); control bytes are refused, written or
    /// decoded; the trailing slash is dropped (`/` stays `/`), on bytes.
    static func locationPrefix(_ word: String) throws -> String {
        guard word.utf8.first == UInt8(ascii: "/") else {
            throw DirectiveError.value("'\(word)' is not a path (it must start with /)")
        }
        let isControl = { (c: UInt8) in c < 0x20 || c == 0x7F }
        if word.utf8.contains(where: isControl) { throw DirectiveError.value("the path has a control character") }
        switch PathNormalizer.normalize(word) {
        case .failure(let error):
            throw DirectiveError.value("'\(word)': \(error.reason)")
        case .success(let normalized):
            let path = normalized.path.utf8
            if path.contains(where: isControl) { throw DirectiveError.value("the path has a control character") }
            // Normalized, the path has no `//`: at most one trailing slash. Cut on bytes (a String's
            // removeLast() takes a Character, and U+0600 with the `/` after it is one).
            guard path.count > 1, path.last == UInt8(ascii: "/") else { return normalized.path }
            return String(decoding: path.dropLast(), as: UTF8.self)
        }
    }
}

extension ConfigReader {
    /// Reads the blocks kept by `read`: the main server's `<Location>` blocks against the main server's
    /// settings, then each `<VirtualHost>` as the main server's settings plus its own lines, with the main
    /// server's locations and its own, each resolved against the site. Certificates named inside sites join
    /// the main server's list (SNI chooses among all of them). Returns the errors of the blocks' lines (once
    /// each, though a main-server location is read for every site).
    func resolveBlocks(_ config: inout Configuration) -> [ConfigError] {
        let pending = config.pendingBlocks
        config.pendingBlocks = []
        guard !pending.isEmpty else { return [] }
        var errors: [ConfigError] = []
        var base = config
        base.virtualHosts = []
        base.locations = []
        let topLocations = pending.filter { $0.name == "Location" }
        config.locations = resolveLocations(topLocations, in: base, errors: &errors)
        for block in pending where block.name == "VirtualHost" {
            var site = base
            // A site's names are its own: the main server's ServerName is not one of them.
            site.serverName = nil
            site.serverAliases = []
            errors += applyLines(block.lines, context: .virtualHost, to: &site)
            let own = site.pendingBlocks.filter { $0.name == "Location" }
            site.pendingBlocks = []
            site.locations = resolveLocations(topLocations + own, in: site, errors: &errors)
            for pair in site.tlsCertificates
            where !config.tlsCertificates.contains(where: { $0.certificateFile == pair.certificateFile }) {
                config.tlsCertificates.append(pair)
            }
            let addresses = (try? block.args.map(BlockDirective.virtualHostAddress)) ?? []
            config.virtualHosts.append(VirtualHost(addresses: addresses, location: block.location, config: site))
        }
        var seen: [ConfigError] = []
        for e in errors where !seen.contains(e) { seen.append(e) }
        return seen
    }

    /// The `<Location>` blocks of one site (`outer`: its settings), in written order, each read against its
    /// parent: the block with the longest prefix covering its own (the same prefix written earlier counts),
    /// else the site. So a block under `/private` keeps `/private`'s authentication, Header rules, error
    /// documents and the rest unless its own lines change them (`AuthType None` turns authentication off), and
    /// the longest prefix's block, which the matcher picks, holds everything that applies to a path.
    func resolveLocations(_ blocks: [PendingBlock], in outer: Configuration, errors: inout [ConfigError])
        -> [LocationBlock]
    {
        let prefixes = blocks.map { (try? BlockDirective.locationPrefix($0.args.first ?? "/")) ?? "/" }
        // Parents before their children: shorter prefixes first, in written order among equal lengths.
        let order = blocks.indices.sorted { a, b in
            let (x, y) = (prefixes[a].utf8.count, prefixes[b].utf8.count)
            return x != y ? x < y : a < b
        }
        var resolved = [LocationBlock?](repeating: nil, count: blocks.count)
        var blockErrors = [[ConfigError]](repeating: [], count: blocks.count)
        for i in order {
            // The latest resolved block covering this one has the longest prefix (the order is by length).
            let parent = order.prefix { $0 != i }.last { Self.covers(prefixes[$0], prefixes[i]) }
            resolved[i] = resolveLocation(
                blocks[i], in: parent.flatMap { resolved[$0]?.config } ?? outer, errors: &blockErrors[i])
        }
        errors += blockErrors.flatMap { $0 }
        return resolved.compactMap { $0 }
    }

    /// Whether the `<Location>` prefix `outer` covers the prefix `inner` (both normalized, without a trailing
    /// slash): the same, `/`, or a whole-segment prefix of it, compared as bytes.
    static func covers(_ outer: String, _ inner: String) -> Bool {
        let (o, i) = (Array(outer.utf8), Array(inner.utf8))
        if o == i || o == [UInt8(ascii: "/")] { return true }
        return i.count > o.count && i.starts(with: o) && i[o.count] == UInt8(ascii: "/")
    }

    /// One `<Location>` read against `outer` (its site's settings, or its parent block's).
    func resolveLocation(_ block: PendingBlock, in outer: Configuration, errors: inout [ConfigError]) -> LocationBlock {
        var settings = outer
        settings.locations = []
        settings.virtualHosts = []
        errors += applyLines(block.lines, context: .location, to: &settings)
        settings.pendingBlocks = []
        let prefix = (try? BlockDirective.locationPrefix(block.args.first ?? "/")) ?? "/"
        return LocationBlock(prefix: prefix, location: block.location, config: settings)
    }
}
