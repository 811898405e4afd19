// Chroot: the host path → in-chroot path mapping (pure), the directive's checks, the checks that every
// DocumentRoot and AuthUserFile lies inside (on real paths), the settings as the worker sees them inside,
// lookups that name files by path (no /proc inside a chroot), and the groups read before it (no group database
// inside). Folders are made in a temporary directory.

import Foundation
import Testing

@testable import Config
@testable import Daemon
@testable import Files
@testable import HTTPCore
@testable import Server

/// A folder tree of its own for one test, removed afterwards.
private struct Tree: ~Copyable {
    /// The folder's real path (the temporary folder may be reached through a symbolic link).
    let path: String

    init() throws {
        let made = NSTemporaryDirectory() + "httpd-chroot-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true)
        path = try #require(FileLookup.realPath(made))
    }

    /// Makes the folders `names` (and their parents) inside.
    func folders(_ names: String...) throws {
        for name in names {
            try FileManager.default.createDirectory(atPath: path + "/" + name, withIntermediateDirectories: true)
        }
    }

    /// Writes `text` to `name` inside; returns its path.
    @discardableResult
    func file(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path + "/" + name, atomically: false, encoding: .utf8)
        return path + "/" + name
    }

    /// A symbolic link `name` inside, pointing at `target` (as written).
    func link(_ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path + "/" + name, withDestinationPath: target)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The configuration read from `text` as `httpd.conf` in `dir` (relative paths resolve there), and its errors.
private func load(_ text: String, in dir: String) -> (config: Configuration, errors: [String]) {
    var config = ConfigReader(baseDirectory: dir).defaults
    let errors = ConfigReader(baseDirectory: dir).apply(text, file: "httpd.conf", to: &config)
    return (config, errors.map(\.description))
}

/// `ChrootCheck.plan` of `text`: the plan and the errors as printed.
private func plan(_ text: String, in dir: String, sourceLocation: SourceLocation = #_sourceLocation) -> (
    plan: ChrootPlan?, errors: [String]
) {
    let (config, errors) = load(text, in: dir)
    #expect(errors == [], sourceLocation: sourceLocation)
    let (plan, problems) = ChrootCheck.plan(config)
    return (plan, problems.map(\.description))
}

@Suite struct ChrootViewTests {
    @Test(
        arguments: [
            ("/srv/chroot", "/srv/chroot/www", "/www"),
            ("/srv/chroot", "/srv/chroot/www/site/a", "/www/site/a"),
            ("/srv/chroot", "/srv/chroot", "/"),
            ("/srv/chroot/", "/srv/chroot/www/", "/www"),
            ("/srv/chroot", "/srv/chroot/", "/"),
            ("/srv/chroot", "/srv/chroot/auth/users", "/auth/users"),
            ("/", "/srv/www", "/srv/www"),
        ] as [(String, String, String)])
    func inside(chroot: String, real: String, view: String) {
        #expect(ChrootPlan.view(of: real, inside: chroot) == view)
    }

    @Test(
        arguments: [
            ("/srv/chroot", "/srv/chrooted/www"),
            ("/srv/chroot", "/srv/chroot.old"),
            ("/srv/chroot", "/srv"),
            ("/srv/chroot", "/"),
            ("/srv/chroot", "/etc/passwd"),
            // Canonically equal names are other folders: bytes decide.
            ("/srv/caf\u{E9}", "/srv/cafe\u{301}/www"),
            ("/srv/cafe\u{301}", "/srv/caf\u{E9}/www"),
            ("/srv/\u{212A}", "/srv/K/www"),
            // A combining mark glued to the boundary slash is still another name.
            ("/srv/chroot", "/srv/chroot\u{301}/www"),
            // Only absolute paths have a place.
            ("srv/chroot", "srv/chroot/www"),
            ("/srv/chroot", "srv/chroot/www"),
        ] as [(String, String)])
    func outside(chroot: String, real: String) {
        #expect(ChrootPlan.view(of: real, inside: chroot) == nil)
    }

    @Test func viewOfAConfiguredPathGoesThroughItsRealPath() {
        let plan = ChrootPlan(
            configured: "/srv/jail", directory: "/data/jail", location: "httpd.conf:1",
            realPaths: ["/srv/jail/www": "/data/jail/www", "/etc/httpd/users": "/data/jail/auth/users"])
        #expect(plan.view(of: "/srv/jail/www") == "/www")
        #expect(plan.view(of: "/etc/httpd/users") == "/auth/users")
        #expect(plan.view(of: "/srv/jail/other") == nil)
        #expect(
            plan.error("Chroot needs httpd to start as root").description == "httpd.conf:1: Chroot needs httpd to start as root")
    }
}

@Suite struct ChrootDirectiveTests {
    @Test func readsAnExistingAbsoluteFolder() throws {
        let tree = try Tree()
        let (config, errors) = load("Chroot \(tree.path)\nDocumentRoot \(tree.path)", in: "/etc/httpd")
        #expect(errors == [])
        #expect(config.chroot == tree.path)
        #expect(config.origins.chroot == "httpd.conf:1")
    }

    @Test func refusesWhatIsNotAnAbsoluteExistingFolder() throws {
        let tree = try Tree()
        let file = try tree.file("plain", "x")
        #expect(
            load("Chroot jail", in: tree.path).errors == [
                "httpd.conf:1: Chroot: wants an absolute path (starting with /), got 'jail'"
            ])
        #expect(
            load("Chroot \(tree.path)/missing", in: "/").errors == [
                "httpd.conf:1: Chroot \(tree.path)/missing: No such file or directory"
            ])
        #expect(load("Chroot \(file)", in: "/").errors == ["httpd.conf:1: Chroot \(file) is not a directory"])
        #expect(load("Chroot /a /b", in: "/").errors == ["httpd.conf:1: Chroot takes 1 argument, got 2"])
    }

    @Test func isAllowedInTheServerConfigOnly() throws {
        let tree = try Tree()
        let text = "<VirtualHost *>\nChroot \(tree.path)\n</VirtualHost>\n<Location /x>\nChroot \(tree.path)\n</Location>"
        #expect(
            load(text, in: tree.path).errors == [
                "httpd.conf:5: Chroot is not allowed in <Location>", "httpd.conf:2: Chroot is not allowed in <VirtualHost>",
            ])
    }
}

@Suite struct ChrootPlanTests {
    @Test func rootsAndPasswordFilesInsideArePlaced() throws {
        let tree = try Tree()
        try tree.folders("jail/www", "jail/site", "jail/auth")
        try tree.file("jail/auth/users", "")
        let (made, errors) = plan(
            """
            Chroot \(tree.path)/jail
            DocumentRoot jail/www
            AuthType Basic
            AuthName staff
            AuthUserFile jail/auth/users
            Require valid-user
            <VirtualHost *>
                DocumentRoot jail/site/
                <Location /new>
                    AuthUserFile jail/auth/new-users
                </Location>
            </VirtualHost>
            """, in: tree.path)
        #expect(errors == [])
        let p = try #require(made)
        #expect(p.directory == tree.path + "/jail")
        #expect(p.location == "httpd.conf:1")
        #expect(p.view(of: tree.path + "/jail/www") == "/www")
        #expect(p.view(of: tree.path + "/jail/site/") == "/site")
        #expect(p.view(of: tree.path + "/jail/auth/users") == "/auth/users")
        // A password file that does not exist yet is placed by its folder.
        #expect(p.view(of: tree.path + "/jail/auth/new-users") == "/auth/new-users")
    }

    @Test func theChrootItselfMayBeTheDocumentRoot() throws {
        let tree = try Tree()
        let (made, errors) = plan("Chroot \(tree.path)\nDocumentRoot \(tree.path)/", in: "/etc/httpd")
        #expect(errors == [])
        #expect(made?.view(of: tree.path + "/") == "/")
    }

    @Test func aDocumentRootOutsideIsAnErrorAtItsLine() throws {
        let tree = try Tree()
        try tree.folders("jail", "www")
        let (_, errors) = plan("Listen 8080\nChroot \(tree.path)/jail\nDocumentRoot www", in: tree.path)
        #expect(errors == ["httpd.conf:3: DocumentRoot \(tree.path)/www is outside Chroot \(tree.path)/jail"])
    }

    @Test func aFolderWhoseNameStartsWithTheChrootsIsOutside() throws {
        let tree = try Tree()
        try tree.folders("jail", "jail2/www")
        let (_, errors) = plan("Chroot \(tree.path)/jail\nDocumentRoot jail2/www", in: tree.path)
        #expect(errors == ["httpd.conf:2: DocumentRoot \(tree.path)/jail2/www is outside Chroot \(tree.path)/jail"])
    }

    @Test func aRootReachedThroughASymlinkPointingOutsideIsRefused() throws {
        let tree = try Tree()
        try tree.folders("jail", "elsewhere")
        try tree.link("jail/www", to: tree.path + "/elsewhere")
        let (_, errors) = plan("Chroot \(tree.path)/jail\nDocumentRoot jail/www", in: tree.path)
        #expect(
            errors == [
                "httpd.conf:2: DocumentRoot \(tree.path)/jail/www is outside Chroot \(tree.path)/jail (it resolves to \(tree.path)/elsewhere)"
            ])
    }

    @Test func aRootOutsideWhoseRealPathIsInsideIsPlacedByItsRealPath() throws {
        let tree = try Tree()
        try tree.folders("jail/www")
        try tree.link("www", to: tree.path + "/jail/www")
        let (made, errors) = plan("Chroot \(tree.path)/jail\nDocumentRoot www", in: tree.path)
        #expect(errors == [])
        #expect(made?.view(of: tree.path + "/www") == "/www")
    }

    @Test func aChrootThroughASymlinkIsComparedByItsRealPath() throws {
        let tree = try Tree()
        try tree.folders("real/www")
        try tree.link("jail", to: tree.path + "/real")
        let (made, errors) = plan("Chroot \(tree.path)/jail\nDocumentRoot jail/www", in: tree.path)
        #expect(errors == [])
        #expect(made?.directory == tree.path + "/real")
        #expect(made?.configured == tree.path + "/jail")
        #expect(made?.view(of: tree.path + "/jail/www") == "/www")
    }

    @Test func theDefaultDocumentRootOutsideIsReportedAtTheChrootLine() throws {
        let tree = try Tree()
        try tree.folders("jail", "www")
        let (_, errors) = plan("Listen 8080\nChroot \(tree.path)/jail", in: tree.path)
        #expect(errors == ["httpd.conf:2: the default DocumentRoot \(tree.path)/www is outside Chroot \(tree.path)/jail"])
    }

    @Test func eachVirtualHostRootIsChecked_anInheritedOneOnce() throws {
        let tree = try Tree()
        try tree.folders("jail/www", "out")
        let (_, errors) = plan(
            """
            Chroot \(tree.path)/jail
            DocumentRoot out
            <VirtualHost *>
                ServerName a.test
            </VirtualHost>
            <VirtualHost *>
                ServerName b.test
                DocumentRoot jail/www
            </VirtualHost>
            <VirtualHost *>
                ServerName c.test
                DocumentRoot /
            </VirtualHost>
            """, in: tree.path)
        #expect(
            errors == [
                "httpd.conf:2: DocumentRoot \(tree.path)/out is outside Chroot \(tree.path)/jail",
                "httpd.conf:12: DocumentRoot / is outside Chroot \(tree.path)/jail",
            ])
    }

    @Test func aMainServerNoListenerNeedsMayLackItsRoot() throws {
        let tree = try Tree()
        try tree.folders("jail/www")
        let (made, errors) = plan(
            "Chroot \(tree.path)/jail\nDocumentRoot missing\n<VirtualHost *>\nDocumentRoot jail/www\n</VirtualHost>",
            in: tree.path)
        #expect(errors == [])
        #expect(made?.view(of: tree.path + "/missing") == nil)
    }

    @Test func aPasswordFileOutsideIsAnErrorAtItsLine() throws {
        let tree = try Tree()
        try tree.folders("jail/www")
        try tree.file("users", "")
        try tree.link("jail/users", to: tree.path + "/users")
        let (_, errors) = plan(
            """
            Chroot \(tree.path)/jail
            DocumentRoot jail/www
            <Location /a>
                AuthType Basic
                AuthName a
                AuthUserFile users
                Require valid-user
            </Location>
            <Location /b>
                AuthType Basic
                AuthName b
                AuthUserFile jail/users
                Require valid-user
            </Location>
            <Location /c>
                AuthType Basic
                AuthName c
                AuthUserFile jail/nowhere/users
                Require valid-user
            </Location>
            """, in: tree.path)
        #expect(
            errors == [
                "httpd.conf:6: AuthUserFile \(tree.path)/users is outside Chroot \(tree.path)/jail",
                "httpd.conf:12: AuthUserFile \(tree.path)/jail/users is outside Chroot \(tree.path)/jail (it resolves to \(tree.path)/users)",
                "httpd.conf:18: AuthUserFile \(tree.path)/jail/nowhere/users: No such file or directory (with Chroot, it must lie inside \(tree.path)/jail)",
            ])
    }

    @Test func aChrootThatIsTheRootOfTheFileSystemConfinesNothing() throws {
        let tree = try Tree()
        try tree.link("root", to: "/")
        let (made, errors) = plan("Chroot \(tree.path)/root\nDocumentRoot /", in: "/etc/httpd")
        #expect(made == nil)
        #expect(errors == ["httpd.conf:1: Chroot \(tree.path)/root is the root of the file system: it confines nothing"])
    }

    @Test func withoutChrootThereIsNoPlan() {
        let (made, errors) = ChrootCheck.plan(Configuration())
        #expect(made == nil && errors.isEmpty)
    }
}

@Suite struct ChrootSettingsTests {
    /// Settings made from `text` in `tree`, with their plan.
    private func settings(_ text: String, in dir: String) throws -> ServerSettings {
        let (config, errors) = load(text, in: dir)
        #expect(errors == [])
        var s = try ServerSettings.make(config)
        s.chroot = ChrootCheck.plan(config).plan
        return s
    }

    @Test func rootsAndPasswordFilesAreSeenFromInside() throws {
        let tree = try Tree()
        try tree.folders("jail/www", "jail/site", "jail/auth")
        let s = try settings(
            """
            Chroot \(tree.path)/jail
            DocumentRoot jail/www
            <VirtualHost *>
                ServerName a.test
                DocumentRoot jail/site
                <Location /private>
                    AuthType Basic
                    AuthName staff
                    AuthUserFile jail/auth/users
                    Require valid-user
                </Location>
            </VirtualHost>
            """, in: tree.path)
        let inside = s.insideChroot(try #require(s.chroot))
        #expect(inside.sites.map(\.scope.lookup.root) == ["/www", "/site"])
        #expect(inside.sites.map(\.scope.lookup.realRoot) == ["/www", "/site"])
        #expect(inside.sites.allSatisfy { $0.scope.lookup.namesByPath })
        let location = try #require(inside.sites[1].locations.first)
        #expect(location.lookup.root == "/site" && location.lookup.namesByPath)
        #expect(location.auth?.userFile == "/auth/users")
        #expect(inside.authUserFiles == ["/auth/users"])
        // What the sites show keeps the paths as configured; the original settings are unchanged.
        #expect(inside.sites[1].config.documentRoot == tree.path + "/jail/site")
        #expect(inside.sites[1].name == "a.test")
        #expect(s.sites.map(\.scope.lookup.root) == [tree.path + "/jail/www", tree.path + "/jail/site"])
        #expect(!s.sites[0].scope.lookup.namesByPath)
        #expect(s.authUserFiles == [tree.path + "/jail/auth/users"])
    }

    @Test func theChrootAsDocumentRootIsTheNewRoot() throws {
        let tree = try Tree()
        let s = try settings("Chroot \(tree.path)\nDocumentRoot \(tree.path)", in: tree.path)
        let inside = s.insideChroot(try #require(s.chroot))
        #expect(inside.lookup.root == "")
        #expect(inside.lookup.realRoot == "/")
        #expect(inside.sites[0].root == "/")
    }
}

@Suite struct FileLookupByPathTests {
    /// Lookup settings for `root` (a real path), by path or through /proc/self/fd.
    private func settings(_ root: String, byPath: Bool, symlinks: SymlinkPolicy = .inside, autoindex: Bool = false)
        -> LookupSettings
    {
        var s = LookupSettings(
            root: root, realRoot: root, directoryIndex: ["index.html"], autoindex: autoindex, hideDotfiles: true,
            symlinks: symlinks, precompressed: false,
            mimeTypes: MIMETypes(mimeTypesFile: nil, defaultType: "application/octet-stream", charset: "utf-8"))
        s.namesByPath = byPath
        return s
    }

    /// What a lookup found, as text: `file BODY`, `listing`, `redirect`, or `STATUS reason`.
    private func outcome(_ path: String, _ s: LookupSettings) -> String {
        switch FileLookup.lookup(path, s) {
        case .file(let resource): "file " + String(decoding: resource.file.content ?? [], as: UTF8.self)
        case .listing(let html):
            "listing " + (String(decoding: html, as: UTF8.self).contains("a.txt") ? "with a.txt" : "without a.txt")
        case .directoryRedirect: "redirect"
        case .failure(let status, let why): "\(status.code) \(why)"
        }
    }

    @Test(arguments: [false, true])
    func servesAndRefusesAsThroughProc(byPath: Bool) throws {
        let tree = try Tree()
        try tree.folders("www/sub", "www/.git", "outside")
        try tree.file("www/a.txt", "alpha\n")
        try tree.file("www/.git/config", "secret\n")
        try tree.file("outside/b.txt", "bravo\n")
        try tree.link("www/in", to: tree.path + "/www/a.txt")
        try tree.link("www/out", to: tree.path + "/outside/b.txt")
        try tree.link("www/docs", to: ".git")
        let root = tree.path + "/www"
        let s = settings(root, byPath: byPath)
        #expect(outcome("/a.txt", s) == "file alpha\n")
        #expect(outcome("/in", s) == "file alpha\n")
        #expect(
            outcome("/out", s)
                == "404 symlink leaves the document root or is not allowed: \(root)/out -> \(tree.path)/outside/b.txt")
        #expect(outcome("/docs/config", s) == "404 resolves to a hidden path: \(root)/docs/config -> \(root)/.git/config")
        #expect(outcome("/missing", s) == "404 \(root)/missing: No such file or directory")
        #expect(outcome("/sub", s) == "redirect")
        #expect(outcome("/out", settings(root, byPath: byPath, symlinks: .on)) == "file bravo\n")
        #expect(
            outcome("/in", settings(root, byPath: byPath, symlinks: .off))
                == "404 symlink leaves the document root or is not allowed: \(root)/in -> \(root)/a.txt")
        #expect(outcome("/", settings(root, byPath: byPath, autoindex: true)) == "listing with a.txt")
    }

    @Test func aFileReplacedAfterItWasResolvedIsNotOpenedByPath() throws {
        let tree = try Tree()
        try tree.folders("www")
        try tree.file("www/a.txt", "alpha\n")
        let s = settings(tree.path + "/www", byPath: true)
        let full = tree.path + "/www/a.txt"
        let held = open(full, pathOnly | O_CLOEXEC)
        #expect(held >= 0)
        defer { close(held) }
        // Replaced by another inode under the same name: the path no longer leads to what was resolved.
        try tree.file("www/b.txt", "bravo\n")
        #expect(rename(tree.path + "/www/b.txt", full) == 0)
        #expect(FileLookup.openAgain(held, full, s, flags: O_RDONLY | O_CLOEXEC) == -1)
        #expect(errno == ENOENT)
        #expect(FileLookup.realPath(ofDescriptor: held, full, s) == nil)
        // Through /proc/self/fd the descriptor still names the replaced file.
        let again = FileLookup.openAgain(held, full, settings(tree.path + "/www", byPath: false), flags: O_RDONLY | O_CLOEXEC)
        #expect(again >= 0)
        close(again)
    }
}

@Suite struct RunAsUserGroupsTests {
    /// The supplementary groups are read when the user is resolved (outside any chroot), as initgroups reads them.
    @Test func groupsAreReadWhenResolved() throws {
        let root = try RunAsUser.resolve(user: "root", group: nil)
        #expect(root.uid == 0 && root.gid == 0)
        #expect(root.groups.contains(0))
        var count: Int32 = 256
        var expected = [gid_t](repeating: 0, count: 256)
        #expect(getgrouplist("root", 0, &expected, &count) >= 0)
        #expect(root.groups == Array(expected.prefix(Int(count))))
    }
}
