// EventLoop: libevent's per-descriptor records made a block at a time leave open descriptors open and watchable;
// one non-blocking pass runs what is ready and returns.

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

/// Counts what a descriptor's events report.
private final class Watcher: SocketEventsOwner {
    var readable = 0
    var writable = 0
    func socketReadable() { readable += 1 }
    func socketWritable() { writable += 1 }
}

@Suite struct EventLoopTests {
    @Test func aNonBlockingPassRunsTheReadyEventsOnly() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        defer {
            Glibc.close(fds[0])
            Glibc.close(fds[1])
        }
        let events = try #require(SocketEvents(loop, fd: fds[0]))
        let watcher = Watcher()
        events.owner = watcher
        events.watchReading(true)
        // Nothing to read: the pass returns at once, without a callback.
        loop.runOnce(nonBlocking: true)
        #expect(watcher.readable == 0)
        #expect(write(fds[1], "hi", 2) == 2)
        loop.runOnce(nonBlocking: true)
        #expect(watcher.readable == 1)
        // A persistent event on unread input fires again on the next pass, once per pass.
        loop.runOnce(nonBlocking: true)
        #expect(watcher.readable == 2)
        events.watchWriting(true)
        loop.runOnce(nonBlocking: false)
        #expect(watcher.writable == 1 && watcher.readable == 3)
        events.stop()
        loop.runOnce(nonBlocking: true)
        #expect(watcher.writable == 1 && watcher.readable == 3)
    }

    @Test func reservingDescriptorsLeavesOpenOnesWatchable() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        defer { Glibc.close(fds[1]) }
        loop.reserveDescriptors(covering: fds[1])
        #expect(loop.reservedDescriptors > fds[1] && loop.reservedDescriptors % EventLoop.descriptorBlock == 0)
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
