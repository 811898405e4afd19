// The WWW-Authenticate challenge (the realm as a safe quoted-string) and the Require check, on bytes.

import Testing

@testable import Auth

@Suite struct AuthChallengeTests {
    @Test(arguments: [
        ("Restricted", #"Basic realm="Restricted", charset="UTF-8""#),
        ("", #"Basic realm="", charset="UTF-8""#),
        (#"say "hi""#, #"Basic realm="say \"hi\"", charset="UTF-8""#),
        (#"C:\dir\"#, #"Basic realm="C:\\dir\\", charset="UTF-8""#),
        ("x\r\nSet-Cookie: a=b", #"Basic realm="x??Set-Cookie: a=b", charset="UTF-8""#),
        ("tab\there\u{7f}\u{0}", #"Basic realm="tab?here??", charset="UTF-8""#),
        ("Zürich Büro", #"Basic realm="Zürich Büro", charset="UTF-8""#),
    ])
    func challenge(_ realm: String, _ value: String) {
        #expect(Array(Challenge.basic(realm: realm).utf8) == Array(value.utf8))
    }

    @Test func requirement() {
        #expect(UserRequirement.validUser.isSatisfied(by: Array("anyone".utf8)))
        let listed = UserRequirement.users([Array("alice".utf8), Array("böb".utf8)])
        #expect(listed.isSatisfied(by: Array("alice".utf8)))
        #expect(listed.isSatisfied(by: Array("böb".utf8)))
        #expect(!listed.isSatisfied(by: Array("Alice".utf8)))
        #expect(!listed.isSatisfied(by: Array("alice ".utf8)))
        #expect(!listed.isSatisfied(by: Array("ali".utf8)))
        // "böb" decomposed (o + U+0308): equal as Swift Strings, other bytes, so not the same user.
        #expect(!listed.isSatisfied(by: Array("bo\u{308}b".utf8)))
        #expect(!UserRequirement.users([]).isSatisfied(by: Array("alice".utf8)))
    }
}
