// Connections waiting for a request head, oldest head first: eviction at MaxConnections takes the front.

/// An intrusive doubly linked list through the connections: a head that begins goes to the back, and a
/// connection leaves from wherever it is; all O(1), with no entry to allocate per request. A connection
/// is in the list at most once, at the place of its latest head; one whose head has since completed is
/// dropped when it reaches the front (`oldestReadingHead`) or when it closes, which the host must make
/// sure of: the links are not counted references. Loop thread only.
struct HeadQueue {
    private(set) unowned(unsafe) var oldest: Connection?
    private(set) unowned(unsafe) var newest: Connection?

    /// Puts `c` at the back: its head began now, after every other one in the list.
    mutating func append(_ c: Connection) {
        remove(c)
        c.headOlder = newest
        newest?.headNewer = c
        newest = c
        if oldest == nil { oldest = c }
        c.inHeadQueue = true
    }

    /// Takes `c` out of the list, if it is in it.
    mutating func remove(_ c: Connection) {
        guard c.inHeadQueue else { return }
        if let older = c.headOlder { older.headNewer = c.headNewer } else { oldest = c.headNewer }
        if let newer = c.headNewer { newer.headOlder = c.headOlder } else { newest = c.headOlder }
        c.headOlder = nil
        c.headNewer = nil
        c.inHeadQueue = false
    }

    /// The connection that has spent longest on its current, incomplete head, dropping those in front
    /// whose head has completed.
    mutating func oldestReadingHead() -> Connection? {
        while let c = oldest {
            if c.isReadingHead { return c }
            remove(c)
        }
        return nil
    }
}
