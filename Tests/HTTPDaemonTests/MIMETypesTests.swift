// MIMETypes: the mime.types parser, the built-in table, charsets and the default type.

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
}
