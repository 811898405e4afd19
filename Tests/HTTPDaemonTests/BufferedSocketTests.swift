// BufferedSocket's direct write of a head and a body: whole when the socket takes it, the rest queued
// in order when it does not, behind anything already queued, and an error kept for flush; its buffers
// borrowed from the loop and given back between requests.

import Testing

@testable import IO
@testable import Support

#if canImport(Glibc)
    import Glibc
#endif

/// A BufferedSocket on one end of a non-blocking socket pair, and the other end's descriptor.
private final class Pair {
    let loop: EventLoop
    let socket: BufferedSocket
    let peer: Int32
    var peerOpen = true

    init(sendBuffer: Int32? = nil) throws {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        if var size = sendBuffer {
            setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        loop = try EventLoop()
        socket = try #require(BufferedSocket(loop, fd: fds[0]))
        peer = fds[1]
    }

    deinit {
        socket.close()
        closePeer()
    }

    func closePeer() {
        if peerOpen { close(peer) }
        peerOpen = false
    }

    /// Reads what the peer has now.
    func drainPeer() -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(peer, $0.baseAddress, $0.count) }
            if n <= 0 { return out }
            out += buffer[0..<n]
        }
    }
}

private func bytes(_ n: Int, _ seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7) ^ seed } }

private func write(_ s: BufferedSocket, _ a: [UInt8], _ b: [UInt8]) {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in s.write(x, y) } }
}

@Suite struct BufferedSocketTests {
    @Test func headAndBodyGoOutInOneWriteWhenNothingIsQueued() throws {
        let p = try Pair()
        let head = Array("HTTP/1.1 200 OK\r\n\r\n".utf8)
        let body = bytes(1024, 1)
        write(p.socket, head, body)
        #expect(p.socket.outputCount == 0)
        #expect(p.socket.flush() == .drained)
        #expect(p.drainPeer() == head + body)
    }

    @Test func whatTheKernelDoesNotTakeIsQueuedInOrder() throws {
        let p = try Pair(sendBuffer: 4096)
        let head = bytes(300, 2)
        let body = bytes(1 << 20, 3)
        write(p.socket, head, body)
        #expect(p.socket.outputCount > 0)
        #expect(p.socket.outputCount < head.count + body.count)
        var received = p.drainPeer()
        var rounds = 0
        while p.socket.flush() != .drained && rounds < 100_000 {
            received += p.drainPeer()
            rounds += 1
        }
        received += p.drainPeer()
        #expect(received == head + body)
    }

    @Test func queuedOutputStaysFirst() throws {
        let p = try Pair()
        let earlier = bytes(10, 4)
        earlier.withUnsafeBytes { p.socket.write($0) }
        write(p.socket, bytes(5, 5), bytes(7, 6))
        #expect(p.socket.outputCount == 22)
        #expect(p.socket.flush() == .drained)
        #expect(p.drainPeer() == earlier + bytes(5, 5) + bytes(7, 6))
    }

    @Test func anErrorIsReportedByFlush() throws {
        let p = try Pair()
        p.closePeer()
        write(p.socket, bytes(5, 7), bytes(5, 8))
        #expect(p.socket.flush() == .failed(EPIPE))
    }

    @Test func buffersAreBorrowedFromTheLoopAndGivenBackWhenIdle() throws {
        let p = try Pair()
        #expect(p.socket.heldInput == nil && p.socket.heldOutput == nil)
        #expect(Glibc.write(p.peer, "GET", 3) == 3)
        p.socket.readReady()
        #expect(p.socket.inputCount == 3 && p.socket.heldInput != nil)
        // Not empty: kept.
        p.socket.releaseIdleBuffers()
        #expect(p.socket.heldInput != nil && p.loop.spareInputs.isEmpty)
        p.socket.consumeInput(3)
        let queued = bytes(10, 1)
        queued.withUnsafeBytes { p.socket.write($0) }
        #expect(p.socket.flush() == .drained && p.drainPeer() == queued)
        p.socket.releaseIdleBuffers()
        #expect(p.socket.heldInput == nil && p.socket.heldOutput == nil)
        #expect(p.loop.spareInputs.count == 1 && p.loop.spareOutputs.count == 1)
        // The next read borrows the spare input buffer again.
        #expect(Glibc.write(p.peer, "x", 1) == 1)
        p.socket.readReady()
        #expect(p.socket.inputCount == 1 && p.loop.spareInputs.isEmpty)
    }
}
