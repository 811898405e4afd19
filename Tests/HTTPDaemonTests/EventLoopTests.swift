// EventLoop: libevent's per-descriptor records made up front leave open descriptors open and watchable.

import Testing

@testable import IO

#if canImport(Glibc)
    import Glibc
#endif

/// Counts what a socket reports.
private final class Reader: TransportDelegate {
    var readable = 0
    func transportReadable() { readable += 1 }
    func transportProgressed() {}
    func transportDrained() {}
    func transportFailed(_ event: TransportEvent) {}
}

@Suite struct EventLoopTests {
    @Test func reservingDescriptorsLeavesOpenOnesWatchable() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        defer { Glibc.close(fds[1]) }
        loop.reserveDescriptors(below: Int(fds[1]) + 16)
        #expect(fcntl(fds[0], F_GETFD) >= 0 && fcntl(fds[1], F_GETFD) >= 0)
        let socket = try #require(BufferedSocket(loop, fd: fds[0]))
        let reader = Reader()
        socket.delegate = reader
        socket.enableReading()
        #expect(write(fds[1], "hi", 2) == 2)
        let stop = try Timer.make(loop, for: "test") { loop.stop() }
        stop.schedule(after: 0.2)
        loop.run()
        #expect(reader.readable == 1 && socket.inputCount == 2)
        socket.close()
    }
}
