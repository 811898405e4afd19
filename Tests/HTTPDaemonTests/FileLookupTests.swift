// FileLookup's containment check: the resolved path compared with the real root as bytes, at a `/` boundary.

import Testing

@testable import Files

@Suite struct FileLookupTests {
    @Test(
        arguments: [
            ("/srv/www", "/srv/www", ""),
            ("/srv/www", "/srv/www/a.txt", "/a.txt"),
            ("/srv/www", "/srv/www/.git/config", "/.git/config"),
            ("/", "/etc/passwd", "etc/passwd"),
            ("/", "/", ""),
        ] as [(String, String, String)])
    func inside(root: String, real: String, relative: String) {
        #expect(FileLookup.relativeInsideRoot(Array(real.utf8), Array(root.utf8)).map(Array.init) == Array(relative.utf8))
    }

    @Test(
        arguments: [
            ("/srv/www", "/srv/wwwx/a"),
            ("/srv/www", "/srv/ww"),
            ("/srv/www", "/srv"),
            // Canonically equal to the root, but another folder.
            ("/srv/caf\u{E9}", "/srv/cafe\u{301}/secret"),
            ("/srv/cafe\u{301}", "/srv/caf\u{E9}"),
            ("/srv/\u{212A}", "/srv/K/x"),
            // A combining mark glued to the boundary slash is still a different name.
            ("/srv/www", "/srv/www\u{301}/x"),
        ] as [(String, String)])
    func outside(root: String, real: String) {
        #expect(FileLookup.relativeInsideRoot(Array(real.utf8), Array(root.utf8)) == nil)
    }
}
