// One open file as libevent sends it: a reference-counted evbuffer_file_segment over the file's
// descriptor, made once per open file and shared by every response that sends it (no dup per response).
// Ownership: the descriptor stays its owner's (not EVBUF_FS_CLOSE_ON_FREE), and the owner keeps it open
// while any transport that queued this segment is open (transports drop queued output when they close).

import CLibevent

/// A file's descriptor wrapped for zero-copy sends.
public final class FileSegment {
    let segment: OpaquePointer
    /// The file's descriptor (not owned), for transports that read the bytes themselves.
    public let fd: Int32
    /// Bytes of the file the segment covers, from offset 0.
    public let length: Int

    /// A segment over the first `length` bytes of the open file `fd`; nil when libevent cannot make one.
    public init?(fd: Int32, length: Int) {
        guard let segment = evbuffer_file_segment_new(fd, 0, Int64(length), 0) else { return nil }
        self.segment = segment
        self.fd = fd
        self.length = length
    }

    /// Drops this wrapper's reference; libevent frees the segment once no buffer uses it.
    deinit { evbuffer_file_segment_free(segment) }
}
