// Who a serving process is among its master's workers: slot, PID, the master's PID, start time, and how many
// workers the master had replaced before forking it (the master counts before it forks, so the child has it).

public import Support

/// A serving process's identity, fixed when it starts.
public struct WorkerIdentity: Sendable, Equatable {
    /// Its place among the master's workers, 0 … WorkerProcesses − 1 (0 when it serves alone).
    public var slot: Int
    public var pid: Int32
    /// The master's PID; nil when no master runs (inetd mode, socket activation: the process serves alone).
    public var master: Int32?
    /// Unix seconds (wall clock) when it started serving.
    public var started: Int
    /// Workers the master had replaced (a worker died, a new one was forked) before it forked this one; 0
    /// without a master.
    public var restarts: Int

    public init(slot: Int = 0, pid: Int32, master: Int32?, started: Int, restarts: Int) {
        self.slot = slot
        self.pid = pid
        self.master = master
        self.started = started
        self.restarts = restarts
    }
}

/// One worker process as the status pages show it: its identity and its start in local time.
public struct WorkerProcessStatus: Sendable, Equatable {
    public var identity: WorkerIdentity
    /// `identity.started` in local time, as the HTML page prints it.
    public var localStarted: LocalTime

    public init(_ identity: WorkerIdentity, localStarted: LocalTime) {
        self.identity = identity
        self.localStarted = localStarted
    }
}

extension StatusSnapshot {
    /// The master's PID, nil when the process serves alone (inetd mode, socket activation).
    public var masterPID: Int32? { workerProcesses.lazy.compactMap(\.identity.master).first }

    /// Workers the master has replaced since it started: each worker knows the count when it was forked and
    /// every replacement is a fork, so the most any worker knows is the total (0 without a master).
    public var workerRestarts: Int { workerProcesses.map(\.identity.restarts).max() ?? 0 }
}
