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
        config.locations = topLocations.map { resolveLocation($0, in: base, errors: &errors) }
        for block in pending where block.name == "VirtualHost" {
            var site = base
            // A site's names are its own: the main server's ServerName is not one of them.
            site.serverName = nil
            site.serverAliases = []
            errors += applyLines(block.lines, context: .virtualHost, to: &site)
            let own = site.pendingBlocks.filter { $0.name == "Location" }
            site.pendingBlocks = []
            site.locations = (topLocations + own).map { resolveLocation($0, in: site, errors: &errors) }
            for pair in site.tlsCertificates where !config.tlsCertificates.contains(where: { $0.certificateFile == pair.certificateFile }) {
                config.tlsCertificates.append(pair)
            }
            let addresses = (try? block.args.map(BlockDirective.virtualHostAddress)) ?? []
            config.virtualHosts.append(VirtualHost(addresses: addresses, location: block.location, config: site))
        }
        var seen: [ConfigError] = []
        for e in errors where !seen.contains(e) { seen.append(e) }
        return seen
    }

    /// One `<Location>` read against `outer` (its site's settings).
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
