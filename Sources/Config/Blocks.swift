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
        all.first { $0.name.asciiLowercased == word.asciiLowercased }
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

    /// `*`, `*:port`, `addr`, `addr:port`, `[v6]`, `[v6]:port`.
    static func virtualHostAddress(_ word: String) throws -> VirtualHostAddress {
        var host = word
        var port: UInt16?
        if word.hasPrefix("[") {
            guard let close = word.firstIndex(of: "]") else {
                throw DirectiveError.value("wants [address]:port for IPv6, got '\(word)'")
            }
            host = String(word[word.index(after: word.startIndex)..<close])
            let rest = word[word.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = UInt16(rest.dropFirst()) else {
                    throw DirectiveError.value("'\(word)' is not [address]:port")
                }
                port = p
            }
            guard IPAddress.isIPv6(host) else { throw DirectiveError.value("'\(host)' is not a numeric IPv6 address") }
            return VirtualHostAddress(host: host, port: port)
        }
        if let colon = word.lastIndex(of: ":") {
            host = String(word[..<colon])
            guard let p = UInt16(word[word.index(after: colon)...]) else {
                throw DirectiveError.value("'\(word[word.index(after: colon)...])' is not a port number from 0 to 65535")
            }
            port = p
        }
        if host == "*" || host == "_default_" { return VirtualHostAddress(host: nil, port: port) }
        guard IPAddress.isIPv4(host) else {
            throw DirectiveError.value("wants *, *:port or a numeric address with a port, got '\(word)'")
        }
        return VirtualHostAddress(host: host, port: port)
    }

    /// A `<Location>` prefix: a path starting with `/`, decoded and normalized as request paths are (so that
    /// `/a/%2e%2e/b` and `/b` are the same prefix), without a trailing slash (`/` stays `/`).
    static func locationPrefix(_ word: String) throws -> String {
        guard word.utf8.first == UInt8(ascii: "/") else {
            throw DirectiveError.value("wants a path starting with /, got '\(word)'")
        }
        guard case .success(let normalized) = PathNormalizer.normalize(word) else {
            throw DirectiveError.value("'\(word)' is not a valid path")
        }
        var path = normalized.path
        while path.utf8.count > 1 && path.utf8.last == UInt8(ascii: "/") { path.removeLast() }
        return path
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
