// Which site (`<VirtualHost>`) a request's host names: exact names by bytes (a short list compared in turn,
// else one hash lookup), then the longest `*.suffix` wildcard. Built once per configuration; pure. (Config's SiteSyntax checks the names.)

import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Picks a site by host name. Exact names win over wildcards; among wildcards the longest suffix wins, and
/// on equal suffixes the first site. Names are compared as lowercased ASCII bytes, never as Unicode text.
public struct SiteSelector: Sendable {
    /// Exact names (lowercased, no trailing dot, IPv6 literals in brackets) → the first site naming them.
    private let exact: [HostKey: Int]
    /// The same names as bytes, in a list, when there are at most `listLimit`: comparing a few names by length
    /// and bytes costs a tenth of hashing the host (nil: use `exact`).
    private let list: [(name: [UInt8], site: Int)]?
    static let listLimit = 16
    /// Wildcards as their suffix with its dot (`*.example.org` → `.example.org`): longest first, then site order.
    private let wildcards: [(suffix: String, site: Int)]

    /// `sites[i]` holds site i's names: its ServerName, then its ServerAlias entries (`*.example.org` wildcards).
    /// Names are made canonical as hosts are (`canonicalHost`); empty names are skipped.
    public init(sites: [[String]]) {
        var exact: [HostKey: Int] = [:]
        var wildcards: [(suffix: String, site: Int)] = []
        for (site, names) in sites.enumerated() {
            for written in names {
                guard let name = Self.canonicalHost(written) else { continue }
                if name.utf8.first == 0x2A {
                    if name.utf8.count > 2 && name.utf8.dropFirst().first == 0x2E {
                        wildcards.append((String(decoding: name.utf8.dropFirst(), as: UTF8.self), site))
                    }
                } else if exact[HostKey(name)] == nil {
                    exact[HostKey(name)] = site
                }
            }
        }
        // A stable order: by suffix length, longest first, then by site (the enumeration order).
        self.wildcards = wildcards.enumerated().sorted { a, b in
            let (x, y) = (a.element.suffix.utf8.count, b.element.suffix.utf8.count)
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
        self.exact = exact
        list =
            exact.count <= Self.listLimit
            ? exact.map { (Array($0.key.text.utf8), $0.value) }.sorted { $0.site < $1.site } : nil
    }

    /// The site whose exact name is `host`'s bytes.
    func exactSite(_ host: String) -> Int? {
        guard let list else { return exact[HostKey(host)] }
        var host = host
        return host.withUTF8 { bytes -> Int? in
            // Names of one length often share it (a.example, b.example): the first byte decides most before memcmp.
            for entry in list where entry.name.count == bytes.count && entry.name[0] == bytes[0] {
                if entry.name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
                    return entry.site
                }
            }
            return nil
        }
    }

    /// The site `host` names, or nil when none does (the caller then takes the first site, or answers 421
    /// with `StrictHostCheck on`). `host` is a Host value or an absolute-form authority, as `Request.host`
    /// gives it (lowercased, port stripped) or raw: a port is stripped, ASCII lowered, one trailing dot
    /// ignored. An empty host (HTTP/1.0 without Host) names no site.
    public func pick(host: String) -> Int? {
        // A stored name is canonical, so a host equal to one is its own canonical form: the common case
        // (`Request.host`, lowercased and without its port) costs one hash lookup.
        if !host.isEmpty, let site = exactSite(host) { return site }
        guard let name = Self.canonicalHost(host) else { return nil }
        if let site = exactSite(name) { return site }
        for wildcard in wildcards where Self.isUnder(name, suffix: wildcard.suffix) { return wildcard.site }
        return nil
    }

    /// `host` as names are stored: without port, lowered, without one trailing dot; `host` itself (no
    /// copy) when it already is (the common case, `Request.host`). Nil when nothing is left.
    static func canonicalHost(_ host: String) -> String? {
        let bytes = host.utf8
        var end = bytes.endIndex
        var needsCopy = false
        if bytes.first == 0x5B {
            // `[v6]` or `[v6]:port`: the literal with its brackets.
            if let close = bytes.firstIndex(of: 0x5D), bytes.index(after: close) != bytes.endIndex {
                end = bytes.index(after: close)
                needsCopy = true
            }
        } else if let colon = bytes.firstIndex(of: 0x3A) {
            if bytes[bytes.index(after: colon)...].contains(0x3A) {
                // More than one colon: a bare IPv6 literal, stored in brackets.
                return "[" + lowercasedASCII(host) + "]"
            }
            end = colon
            needsCopy = true
        }
        if end > bytes.startIndex && bytes[bytes.index(before: end)] == 0x2E {
            end = bytes.index(before: end)
            needsCopy = true
        }
        if end == bytes.startIndex { return nil }
        if !needsCopy && !bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return host }
        return String(decoding: bytes[..<end].lazy.map(lowerASCII), as: UTF8.self)
    }

    /// True when `name` ends with `suffix` (`.example.org`) after at least one whole label: the part before
    /// it is not empty and has no empty label (`a.example.org`, `a.b.example.org`; not `.example.org`).
    static func isUnder(_ name: String, suffix: String) -> Bool {
        let n = name.utf8
        let s = suffix.utf8
        guard n.count > s.count else { return false }
        let cut = n.index(n.endIndex, offsetBy: -s.count)
        guard n[cut...].elementsEqual(s) else { return false }
        let labels = n[..<cut]
        var previous: UInt8 = 0x2E
        for c in labels {
            if c == 0x2E && previous == 0x2E { return false }
            previous = c
        }
        return previous != 0x2E
    }
}

/// A dictionary key that is a string's bytes: equal only when the bytes are (a String key would hash
/// and compare by Unicode canonical equivalence).
struct HostKey: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (a: HostKey, b: HostKey) -> Bool { sameBytes(a.text, b.text) }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
