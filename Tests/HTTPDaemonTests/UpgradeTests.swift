// The binary upgrade's pure parts: the hand-off's environment read back, what a stray or malformed variable
// gives (nothing), and what the new master's report pipe means.

import Testing

@testable import Daemon

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct UpgradeHandoffTests {
    @Test func theEnvironmentReadsBackInDescriptorOrder() {
        let env = UpgradeHandoff.environment(oldMaster: 4242, addresses: [("127.0.0.1", 8080), ("::1", 8443)])
        #expect(env.map(\.0) == ["HTTPD_UPGRADE", "HTTPD_UPGRADE_LISTEN"])
        #expect(env.map(\.1) == ["4242 2", "127.0.0.1 8080,::1 8443"])
        let handoff = UpgradeHandoff.parse(env[0].1, listen: env[1].1, parent: 4242)
        #expect(
            handoff
                == UpgradeHandoff(
                    oldMaster: 4242,
                    sockets: [.init(host: "127.0.0.1", port: 8080, fd: 3), .init(host: "::1", port: 8443, fd: 4)],
                    reportFD: 5))
        #expect(handoff?.descriptorCount == 3)
    }

    @Test func noListenerStillHasItsReportPipe() {
        let handoff = UpgradeHandoff.parse("77 0", listen: "", parent: 77)
        #expect(handoff == UpgradeHandoff(oldMaster: 77, sockets: [], reportFD: 3))
    }

    @Test func variablesNamingAnotherProcessThanTheParentAreIgnored() {
        #expect(UpgradeHandoff.parse("4242 1", listen: "127.0.0.1 80", parent: 1) == nil)
        #expect(UpgradeHandoff.parse("1 1", listen: "127.0.0.1 80", parent: 1) == nil)
    }

    @Test(arguments: [
        ("4242", "127.0.0.1 80"),  // no count
        ("4242 2", "127.0.0.1 80"),  // count and list disagree
        ("4242 1", "127.0.0.1"),  // no port
        ("4242 1", "127.0.0.1 99999"),  // port out of range
        ("4242 1", " 80"),  // no host
        ("4242 -1", ""),
        ("4242 1 x", "127.0.0.1 80"),
        ("x 1", "127.0.0.1 80"),
    ])
    func malformedVariablesGiveNoHandoff(value: String, listen: String) {
        #expect(UpgradeHandoff.parse(value, listen: listen, parent: 4242) == nil)
    }

    @Test func absentVariablesGiveNoHandoff() {
        #expect(UpgradeHandoff.parse(nil, listen: "127.0.0.1 80", parent: 4242) == nil)
        #expect(UpgradeHandoff.parse("4242 1", listen: nil, parent: 4242) == nil)
    }

    @Test func theSocketForAnAddressMatchesHostAndPort() {
        let handoff = UpgradeHandoff.parse("9 2", listen: "127.0.0.1 8080,127.0.0.1 8081", parent: 9)!
        #expect(handoff.socket(for: .init(host: "127.0.0.1", port: 8081, tls: true)) == 4)
        #expect(handoff.socket(for: .init(host: "127.0.0.2", port: 8081)) == nil)
    }
}

@Suite struct UpgradeOutcomeTests {
    @Test func theReadyWordAloneIsSuccess() {
        #expect(UpgradeInProgress.outcome(Array("0".utf8)) == .serving)
    }

    @Test func aFailureCarriesItsMessage() {
        #expect(
            UpgradeInProgress.outcome(Array("1DocumentRoot /x: No such file".utf8)) == .failed("DocumentRoot /x: No such file"))
    }

    @Test func silenceOrAnythingElseIsAFailureWithoutMessage() {
        #expect(UpgradeInProgress.outcome([]) == .failed(""))
        #expect(UpgradeInProgress.outcome(Array("00".utf8)) == .failed(""))
        #expect(UpgradeInProgress.outcome(Array("boom\n0".utf8)) == .failed(""))
    }

    @Test func aPipeReadUntilClosedGivesTheOutcome() {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        var upgrade = UpgradeInProgress(pid: 1, readEnd: fds[0], started: 0)
        #expect(upgrade.poll() == nil)
        var one: [UInt8] = Array("1no".utf8)
        _ = write(fds[1], &one, 2)
        #expect(upgrade.poll() == nil)
        _ = write(fds[1], &one[2], 1)
        close(fds[1])
        #expect(upgrade.poll() == .failed("no"))
        #expect(upgrade.readEnd == -1)
    }
}

@Suite struct LifelineWordTests {
    @Test func aPipeStillOpenAtTheDeadlineGivesNil() {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        var zero: [UInt8] = [UInt8(ascii: "1")]
        _ = write(fds[1], &zero, 1)
        #expect(Lifeline.word(from: fds[0], within: 0.05) == nil)
        close(fds[1])
    }

    @Test func aClosedPipeGivesItsBytesBeforeTheDeadline() {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        var word: [UInt8] = Array("0".utf8)
        _ = write(fds[1], &word, 1)
        close(fds[1])
        #expect(Lifeline.word(from: fds[0], within: 5) == Array("0".utf8))
    }
}
