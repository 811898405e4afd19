// Admission: per-client slots (IPv4, IPv6, local peers) and the pressure threshold.

import Testing

@testable import Server
@testable import Support

/// `a.admit(peer, limit:)` outside the expectation macro (which cannot call a mutating method).
private func admit(_ a: inout Admission, _ peer: PeerAddress, _ limit: Int) -> Bool {
    a.admit(peer, limit: limit) != nil
}

@Suite struct AdmissionTests {
    @Test func eachAddressGetsItsLimit() {
        var a = Admission()
        let one = PeerAddress(numeric: "192.0.2.1")
        let two = PeerAddress(numeric: "2001:db8::2")
        for _ in 0..<3 { #expect(admit(&a, one, 3) == true) }
        #expect(admit(&a, one, 3) == false)
        #expect(admit(&a, two, 3) == true)
        a.release(one)
        #expect(admit(&a, one, 3) == true)
        #expect(admit(&a, one, 3) == false)
    }

    @Test func aClientsConnectionsShareOneCopyOfItsAddress() throws {
        var a = Admission()
        let admitted = (0..<2).compactMap { _ in a.admit(PeerAddress(numeric: "192.0.2.1"), limit: 0) }
        let first = try #require(admitted.first)
        let second = try #require(admitted.last)
        #expect(admitted.count == 2 && first == second && second.text == "192.0.2.1")
        guard case .ip(let one) = first.kind, case .ip(let two) = second.kind else { throw AdmissionTestError.notIP }
        #expect(one.withUnsafeBufferPointer { $0.baseAddress } == two.withUnsafeBufferPointer { $0.baseAddress })
    }

    @Test func keysTellAddressesApart() {
        let v4 = Admission.ClientKey(NumericAddress.bytes("192.0.2.1")!)
        #expect(v4 == Admission.ClientKey(NumericAddress.bytes("::ffff:192.0.2.1")!))
        #expect(v4 != Admission.ClientKey(NumericAddress.bytes("::192.0.2.1")!))
        #expect(v4 != Admission.ClientKey(NumericAddress.bytes("192.0.2.2")!))
        let v6 = Admission.ClientKey(NumericAddress.bytes("2001:db8::1")!)
        #expect(v6 != Admission.ClientKey(NumericAddress.bytes("2001:db8::2")!))
        #expect(v6 != Admission.ClientKey(NumericAddress.bytes("2001:db9::1")!))
    }

    @Test func mappedIPv4CountsAsThatAddress() {
        var a = Admission()
        #expect(admit(&a, PeerAddress(numeric: "192.0.2.1"), 1) == true)
        #expect(admit(&a, PeerAddress(numeric: "::ffff:192.0.2.1"), 1) == false)
    }

    @Test func releasedSlotsLeaveNoEntry() {
        var a = Admission()
        let p = PeerAddress(numeric: "192.0.2.9")
        #expect(admit(&a, p, 0) == true)
        #expect(admit(&a, p, 0) == true)
        a.release(p)
        a.release(p)
        a.release(p)
        #expect(a.perClient.isEmpty)
    }

    @Test func localPeersAndZeroAreUnlimited() {
        var a = Admission()
        for _ in 0..<100 { #expect(admit(&a, .local, 1) == true) }
        for _ in 0..<100 { #expect(admit(&a, PeerAddress(numeric: "192.0.2.3"), 0) == true) }
        #expect(a.perClient.count == 1)
    }

    @Test func pressureStartsAtEightyPercent() {
        #expect(!Admission.underPressure(open: 819, maxConnections: 1024))
        #expect(Admission.underPressure(open: 820, maxConnections: 1024))
        #expect(Admission.underPressure(open: 8, maxConnections: 10))
        #expect(!Admission.underPressure(open: 7, maxConnections: 10))
    }
}

private enum AdmissionTestError: Error { case notIP }
