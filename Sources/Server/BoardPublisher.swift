// A worker's side of the status board: it publishes its counters in its slot a second after they change (never
// while idle), when a status page is asked for and as it exits, and answers status pages with every worker's totals.

import IO
public import Support

/// What a server attached to a status board keeps (loop thread only).
final class BoardPublisher {
    let board: StatusBoard
    let slot: Int
    let timer: Timer
    var scheduled = false
    /// The last view read, used when the board's locks cannot be taken in time (a stopped process holds one).
    var lastView = BoardView()
    var warnedTruncated = false

    init(board: StatusBoard, slot: Int, timer: Timer) {
        self.board = board
        self.slot = slot
        self.timer = timer
    }
}

extension Server {
    /// Makes this worker publish its counters on `board` in `slot` (which the master reserved for it) and answer
    /// status pages with the totals of every worker on the board. Call before `run()`; without it the server shows
    /// its own counters only (inetd mode, socket activation).
    public func publishStatus(on board: StatusBoard, slot: Int) throws(StartupError) {
        let timer = try Timer.make(loop, for: "status board") { [unowned self] in
            self.boardPublisher?.scheduled = false
            self.publishOnBoard()
        }
        boardPublisher = BoardPublisher(board: board, slot: slot, timer: timer)
        publishOnBoard()
    }

    /// Counters changed: they are published within a second (one timer for any number of changes).
    func boardChanged() {
        guard let p = boardPublisher, !p.scheduled else { return }
        p.scheduled = true
        p.timer.schedule(after: 1)
    }

    /// Who this worker is, as its board record says.
    var boardIdentity: BoardIdentity { BoardIdentity(identity, generation: generation, draining: draining) }

    /// Publishes `own` (this worker's snapshot, made now when nil) in its slot; warns once when sites had to be left out.
    func publishOnBoard(_ own: StatusSnapshot? = nil) {
        guard let p = boardPublisher else { return }
        let record = BoardRecord(own ?? ownSnapshot(), identity: boardIdentity)
        switch p.board.publish(record, slot: p.slot) {
        case .published: break
        case .truncated:
            if !p.warnedTruncated {
                p.warnedTruncated = true
                log.log(
                    .warn,
                    "status board: this worker's counters exceed its slot (\(p.board.slotBytes) bytes): "
                        + "the last sites are left out of other workers' totals")
            }
        case .busy: boardChanged()
        case .refused: log.log(.debug, "status board: slot \(p.slot) is not this worker's; not published")
        }
    }

    /// The counters as they are now, for the status endpoints: this worker's own, or, on a status board, every
    /// worker's totals (this one's live counters, published first, so that whichever worker answers next counts
    /// them too: a counter never goes back from one answer to the next) and every live worker in slot order.
    func statusSnapshot() -> StatusSnapshot {
        let own = ownSnapshot()
        guard let p = boardPublisher else { return own }
        publishOnBoard(own)
        if let view = p.board.read(excluding: p.slot) { p.lastView = view }
        var (totals, workers) = own.aggregated(own: boardIdentity, with: p.lastView)
        totals.countersSince = p.board.created
        totals.workerProcesses = workers.map(\.worker).sorted { ($0.slot, $0.started) < ($1.slot, $1.started) }.map {
            WorkerProcessStatus($0, localStarted: LocalTime($0.started))
        }
        return totals
    }
}
