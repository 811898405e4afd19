// Numeric IP address checks and CIDR matching, shared by `Listen` and (later) access lists.
#if canImport(Glibc)
import Glibc
#endif

/// Numeric IPv4/IPv6 address helpers built on `inet_pton`.
public enum IPAddress {
    /// True when `text` is a dotted-quad IPv4 address.
    public static func isIPv4(_ text: String) -> Bool {
        var addr = in_addr()
        return inet_pton(AF_INET, text, &addr) == 1
    }

    /// True when `text` is an IPv6 address (without brackets).
    public static func isIPv6(_ text: String) -> Bool {
        var addr = in6_addr()
        return inet_pton(AF_INET6, text, &addr) == 1
    }
}
