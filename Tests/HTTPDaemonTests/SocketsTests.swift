// Sockets: the peer named by the sockaddr accept(2) returns, as getpeername would name it.

import Testing

@testable import IO
@testable import Support

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SocketsTests {
    /// The peer of an IPv4 sockaddr as `Sockets.peerAddress(_:length:)` names it.
    private func peer(ipv4 bytes: [UInt8]) -> PeerAddress {
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = UInt16(8080).bigEndian
        withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Sockets.peerAddress($0, length: Int32(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    @Test func ipv4TextIsInetNtopsForEveryByteValue() {
        for b in 0...255 {
            let bytes: [UInt8] = [UInt8(b), UInt8(255 - b), 0, UInt8(b)]
            let p = peer(ipv4: bytes)
            var addr = in_addr()
            withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: 32)
            inet_ntop(AF_INET, &addr, &buffer, 32)
            #expect(p == PeerAddress(kind: .ip(bytes), text: String(nulTerminated: buffer)))
        }
    }

    @Test func ipv4MappedIPv6IsTheIPv4Peer() {
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        inet_pton(AF_INET6, "::ffff:192.0.2.7", &sin6.sin6_addr)
        let p = withUnsafePointer(to: &sin6) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Sockets.peerAddress($0, length: Int32(MemoryLayout<sockaddr_in6>.size))
            }
        }
        #expect(p == PeerAddress(numeric: "192.0.2.7"))
    }

    @Test func unixAndMissingAddresses() {
        var sun = sockaddr_un()
        sun.sun_family = sa_family_t(AF_UNIX)
        let p = withUnsafePointer(to: &sun) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Sockets.peerAddress($0, length: 2) }
        }
        #expect(p == .local)
        #expect(Sockets.peerAddress(nil, length: 0) == .unknown)
    }
}
