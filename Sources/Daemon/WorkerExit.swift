// Why a worker process ended, from its waitpid status: `exited with status 3`, `killed by signal SIGSEGV (core dumped)`.

#if canImport(Glibc)
    import Glibc
#endif

/// How a child process ended, decoded from a `waitpid` status (pure: no system call).
public enum WorkerExit: Equatable, Sendable {
    /// `exit(code)` or a return from main.
    case exited(Int32)
    /// Ended by `signal`; `coreDumped` when the kernel wrote a core file.
    case killed(signal: Int32, coreDumped: Bool)

    /// Decodes a raw `waitpid` status (the WIFEXITED / WTERMSIG / WCOREDUMP macros, which Swift does not import).
    public init(status: Int32) {
        let signal = status & 0x7f
        if signal == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .killed(signal: signal, coreDumped: status & 0x80 != 0)
        }
    }

    /// Whether the process ended by itself with status 0.
    public var isClean: Bool { self == .exited(0) }

    /// `exited with status 3`, `killed by signal SIGSEGV (core dumped)`.
    public var description: String {
        switch self {
        case .exited(let code):
            return "exited with status \(code)"
        case .killed(let signal, let core):
            return "killed by signal \(Self.signalName(signal))" + (core ? " (core dumped)" : "")
        }
    }

    /// The signal's name (`SIGSEGV`), or `signal N` for one without a name here.
    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
            SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
