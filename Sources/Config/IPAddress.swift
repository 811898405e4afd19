// Numeric IP address checks (for `Listen`) and CIDR blocks with matching (for `StatusAllow`).

import Support

#if canImport(Glibc)
    import Glibc
#endif

/// Numeric IPv4/IPv6 address helpers built on `inet_pton`.
public enum IPAddress {
    /// True when `text` is a dotted-quad IPv4 address.
    public static func isIPv4(_ text: String) -> Bool {
        var addr = in_addr()
        return isPrintableASCII(text) && inet_pton(AF_INET, text, &addr) == 1
    }

    /// True when `text` is an IPv6 address (without brackets).
    public static func isIPv6(_ text: String) -> Bool {
        var addr = in6_addr()
        return isPrintableASCII(text) && inet_pton(AF_INET6, text, &addr) == 1
    }

    /// True when every byte of `text` is printable ASCII, as every numeric address is. Checked before
    /// `inet_pton`, which reads a C string: a NUL ends it early (`127.0.0.1\0junk` was taken for 127.0.0.1).
    static func isPrintableASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

/// An address block such as `127.0.0.0/8`, `::1` or `10.1.2.3` (a single address), for `StatusAllow`.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8]
    public var prefix: Int

    /// Parses `address[/prefix]`; nil when it is not numeric or the prefix is out of range.
    public init?(_ text: String) {
        var address = Substring(text)
        var prefixText: Substring?
        if let slash = text.firstIndex(of: "/") {
            address = text[..<slash]
            prefixText = text[text.index(after: slash)...]
        }
        guard let bytes = CIDR.parse(String(address)) else { return nil }
        let maxPrefix = bytes.count * 8
        var prefix = maxPrefix
        if let p = prefixText {
            guard let n = Int(p), (0...maxPrefix).contains(n) else { return nil }
            prefix = n
        }
        self.bytes = bytes
        self.prefix = prefix
    }

    /// The bytes of a numeric address; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4.
    /// Nil for a string with a NUL or any byte that is not printable ASCII (see `IPAddress.isPrintableASCII`).
    public static func parse(_ text: String) -> [UInt8]? {
        IPAddress.isPrintableASCII(text) ? NumericAddress.bytes(text) : nil
    }

    /// True when the numeric `address` lies in this block.
    public func contains(_ address: String) -> Bool {
        guard let b = CIDR.parse(address) else { return false }
        return contains(bytes: b)
    }

    /// True when the address with these bytes (4 for IPv4, 16 for IPv6) lies in this block.
    public func contains(bytes b: [UInt8]) -> Bool {
        guard b.count == bytes.count else { return false }
        var bits = prefix
        for i in 0..<bytes.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if b[i] & mask != bytes[i] & mask { return false }
            bits -= 8
        }
        return true
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        var storage = bytes
        inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, &storage, &buffer, 64)
        return String(nulTerminated: buffer) + "/\(prefix)"
    }

    /// Loopback only: 127.0.0.0/8 and ::1.
    public static let loopback: [CIDR] = [CIDR("127.0.0.0/8")!, CIDR("::1")!]
}
