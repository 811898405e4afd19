// MIMETypes: the mime.types parser, the built-in table, charsets and the default type.

import Support
import Testing

@testable import Files
@testable import HTTPCore
@testable import Server

private let builtin = MIMETypes(mimeTypesText: nil, defaultType: "application/octet-stream", charset: "utf-8")

@Suite struct MIMETypesTests {
    @Test(arguments: [
        ("index.html", "text/html; charset=utf-8"),
        ("page.htm", "text/html; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("mod.mjs", "text/javascript; charset=utf-8"),
        ("data.json", "application/json; charset=utf-8"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("feed.xml", "application/xml; charset=utf-8"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("cal.ics", "text/calendar; charset=utf-8"),
        ("photo.png", "image/png"),
        ("photo.jpg", "image/jpeg"),
        ("photo.jpeg", "image/jpeg"),
        ("anim.gif", "image/gif"),
        ("favicon.ico", "image/vnd.microsoft.icon"),
        ("font.woff2", "font/woff2"),
        ("doc.pdf", "application/pdf"),
        ("archive.tar.gz", "application/gzip"),
        ("module.wasm", "application/wasm"),
        ("site.webmanifest", "application/manifest+json"),
        ("feed.atom", "application/atom+xml"),
        ("clip.mp4", "video/mp4"),
    ])
    func builtinTable(name: String, contentType: String) {
        #expect(builtin.contentType(forFile: Substring(name)) == contentType)
    }

    @Test(arguments: [
        ("INDEX.HTML", "text/html"), ("Index.Html", "text/html"), ("PHOTO.PNG", "image/png"), ("a.Css", "text/css"),
    ])
    func extensionsAreCaseInsensitive(name: String, type: String) {
        #expect(builtin.mediaType(forFile: Substring(name)) == type)
    }

    @Test(arguments: ["README", "Makefile", ".bashrc", ".htaccess", "file.", "archive.unknownext", "a.b/c", ""])
    func defaultType(name: String) {
        #expect(builtin.mediaType(forFile: Substring(name)) == "application/octet-stream")
        #expect(builtin.contentType(forFile: Substring(name)) == "application/octet-stream")
    }

    @Test func dotfileWithAnExtension() {
        #expect(builtin.mediaType(forFile: ".config.json") == "application/json")
    }

    @Test func charsetOnlyForTextTypes() {
        #expect(builtin.withCharset("text/plain") == "text/plain; charset=utf-8")
        #expect(builtin.withCharset("text/x-anything") == "text/x-anything; charset=utf-8")
        #expect(builtin.withCharset("application/javascript") == "application/javascript; charset=utf-8")
        #expect(builtin.withCharset("application/json") == "application/json; charset=utf-8")
        #expect(builtin.withCharset("application/xml") == "application/xml; charset=utf-8")
        #expect(builtin.withCharset("image/svg+xml") == "image/svg+xml; charset=utf-8")
        #expect(builtin.withCharset("image/png") == "image/png")
        #expect(builtin.withCharset("application/octet-stream") == "application/octet-stream")
        #expect(builtin.withCharset("application/pdf") == "application/pdf")
        #expect(builtin.withCharset("font/woff2") == "font/woff2")
    }

    @Test func noCharset() {
        let types = MIMETypes(mimeTypesText: nil, defaultType: "application/octet-stream", charset: nil)
        #expect(types.contentType(forFile: "index.html") == "text/html")
        #expect(types.contentType(forFile: "a.json") == "application/json")
    }

    @Test func otherCharset() {
        let types = MIMETypes(mimeTypesText: nil, defaultType: "application/octet-stream", charset: "iso-8859-1")
        #expect(types.contentType(forFile: "index.html") == "text/html; charset=iso-8859-1")
    }

    @Test func customDefaultType() {
        let types = MIMETypes(mimeTypesText: nil, defaultType: "text/plain", charset: "utf-8")
        #expect(types.defaultType == "text/plain")
        #expect(types.mediaType(forFile: "README") == "text/plain")
        // The charset rule applies to the default type too.
        #expect(types.contentType(forFile: "README") == "text/plain; charset=utf-8")
    }

    @Test func mimeTypesFileIsParsed() {
        let text = """
            # This is a comment. text/x-never never
            #text/x-commented commented
            text/x-foo\t\tfoo fo
            application/x-bar bar # baz is in a comment
            application/x-empty

            notatype ntt
            image/png\tPNG
            application/x-custom html
            application/javascript js mjs
            application/x-crlf crlf\r
            """
        let types = MIMETypes(mimeTypesText: text, defaultType: "application/octet-stream", charset: "utf-8")
        #expect(types.mediaType(forFile: "a.foo") == "text/x-foo")
        #expect(types.mediaType(forFile: "a.fo") == "text/x-foo")
        #expect(types.contentType(forFile: "a.foo") == "text/x-foo; charset=utf-8")
        #expect(types.mediaType(forFile: "a.bar") == "application/x-bar")
        #expect(types.mediaType(forFile: "a.baz") == "application/octet-stream")
        #expect(types.mediaType(forFile: "a.never") == "application/octet-stream")
        #expect(types.mediaType(forFile: "a.commented") == "application/octet-stream")
        #expect(types.mediaType(forFile: "a.ntt") == "application/octet-stream")
        #expect(types.mediaType(forFile: "a.png") == "image/png")
        #expect(types.mediaType(forFile: "a.crlf") == "application/x-crlf")
        // The file overrides the built-in table...
        #expect(types.mediaType(forFile: "index.html") == "application/x-custom")
        // ...except for JavaScript, which keeps the web's current type.
        #expect(types.mediaType(forFile: "app.js") == "text/javascript")
        #expect(types.mediaType(forFile: "app.mjs") == "text/javascript")
        // Built-in entries the file does not mention remain.
        #expect(types.mediaType(forFile: "a.css") == "text/css")
    }

    @Test func crlfLineEndings() {
        let types = MIMETypes(
            mimeTypesText: "# comment\r\ntext/x-one one\r\napplication/x-two two\r\n",
            defaultType: "application/octet-stream", charset: nil)
        #expect(types.mediaType(forFile: "a.one") == "text/x-one")
        #expect(types.mediaType(forFile: "a.two") == "application/x-two")
    }

    @Test func uppercaseExtensionsInTheFileAreLowercased() {
        let types = MIMETypes(mimeTypesText: "image/x-upper UPPER\n", defaultType: "application/octet-stream", charset: nil)
        #expect(types.mediaType(forFile: "a.upper") == "image/x-upper")
        #expect(types.mediaType(forFile: "a.UPPER") == "image/x-upper")
    }

    @Test func emptyMimeTypesFile() {
        let types = MIMETypes(mimeTypesText: "", defaultType: "application/octet-stream", charset: nil)
        #expect(types.mediaType(forFile: "a.png") == "image/png")
        #expect(types.mediaType(forFile: "a.xyz") == "application/octet-stream")
    }

    /// Every extension a types text lists (lowercased as the parser does) plus some it does not, in both cases.
    static func keys(of bytes: [UInt8]) -> [String] {
        var keys: Set<String> = ["html", "js", "mjs", "png", "unknownext", "", "\u{FFFD}", "caf\u{E9}", ";", "k"]
        keys.formUnion(MIMETypes.builtin.keys)
        keys.formUnion(MIMETypes.table(bytes).keys)
        return keys.sorted()
    }

    /// The lazy lookup answers what the whole table built at once answers, for every extension in the text.
    static func expectLazyEqualsTable(_ bytes: [UInt8], part: Int = 0, of parts: Int = 1) {
        let table = MIMETypes.table(bytes)
        for (i, key) in keys(of: bytes).enumerated() where i % parts == part {
            // A fresh table per key: each answer comes from scanning the text, not from an earlier one.
            let lazy = MIMETypes(mimeTypesFile: bytes, defaultType: "x/default", charset: nil)
            #expect(lazy.type(forExtension: key) == table[key], "\(key)")
            if !key.isEmpty && !key.contains(".") && !key.contains("/") {
                let upper = key.uppercased()
                #expect(lazy.mediaType(forFile: Substring("f." + upper)) == table[upper.lowercased()] ?? "x/default", "\(key)")
            }
        }
    }

    /// In 8 parts, which run in parallel: each key is a scan of the whole file (slow in a debug build).
    @Test(arguments: 0..<8) func lazyLookupEqualsTheWholeTableForEveryExtensionOfTheSystemFile(part: Int) throws {
        guard let bytes = readFile("/etc/mime.types") else { return }
        #expect(MIMETypes.table(bytes).count > 500)
        Self.expectLazyEqualsTable(bytes, part: part, of: 8)
    }

    @Test(arguments: [
        "text/x-a a A\ntext/x-b a\n# text/x-c a\ntext/x-d\ta#x\n",
        "image/x-upper UPPER\nx/y \u{212A}elvin \u{37E} cafe\u{301} \u{E9}\n",
        "x/bad a\u{FF}b \u{FF}\nx/y\r\n a\r\nnotype ext\n/ slash\n",
        "application/x-custom html htm\napplication/javascript js mjs\n",
        "html x/first\nx/y\thtml#c\n#x/z html\nx/w a#html css\nnotype html\n/ htm\r\nx/v htm\thtm\nx/end\tsvg",
        "x/a b\nx/b\rb\rc\n\n\n x/c  c \nx/d\t# d\nx/e e#\nx/f f\r",
        "",
    ])
    func lazyLookupEqualsTheWholeTable(text: String) {
        // Each 0xC3 byte (\u{FF}, \u{E9}) becomes 0xFF, which is never valid UTF-8: the file is read as bytes.
        Self.expectLazyEqualsTable(Array(text.utf8).map { $0 == 0xC3 ? 0xFF : $0 })
    }

    @Test func unicodeKeysCompareAsStrings() {
        // String equality (canonical equivalence), as the table's lookup compares keys.
        let text = "x/nfd cafe\u{301}\nx/semi \u{37E}\n"
        let types = MIMETypes(mimeTypesFile: Array(text.utf8), defaultType: "x/default", charset: nil)
        #expect(types.mediaType(forFile: "a.caf\u{E9}") == "x/nfd")
        #expect(types.mediaType(forFile: "a.;") == "x/semi")
    }

    @Test func afterManyExtensionsTheWholeTableAnswers() {
        let bytes = Array("text/x-a a\ntext/x-b b\n".utf8)
        let types = MIMETypes(mimeTypesFile: bytes, defaultType: "x/default", charset: nil)
        for i in 0..<(MIMETypes.scansBeforeTable + 5) {
            #expect(types.mediaType(forFile: Substring("f.x\(i)")) == "x/default")
        }
        #expect(types.file!.state.withLock { $0.table != nil && $0.bytes == nil })
        #expect(types.mediaType(forFile: "f.a") == "text/x-a")
        #expect(types.mediaType(forFile: "f.B") == "text/x-b")
        #expect(types.mediaType(forFile: "f.css") == "text/css")
        #expect(types.mediaType(forFile: "f.js") == "text/javascript")
    }

    @Test func copiesShareWhatWasLookedUp() {
        let types = MIMETypes(mimeTypesFile: Array("text/x-a a\n".utf8), defaultType: "x/default", charset: nil)
        let copy = types
        #expect(copy.mediaType(forFile: "f.a") == "text/x-a")
        #expect(types.file!.state.withLock { $0.foundKeys == ["a"] && $0.foundTypes == ["text/x-a"] })
    }
}
