// The directive table against what depends on it: Configuration()'s defaults, httpd -L,
// the README's directive table and the demo site's configuration reference (www/docs/index.html).

import Foundation
import Testing

@testable import Config

/// The repository's root folder, three levels above this file.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The text of `path` under the repository root.
private func repositoryFile(_ path: String) throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
}

/// One documented directive: its name, the arguments shown after it (when documented), its default.
private struct Documented: Equatable, CustomStringConvertible {
    var name: String
    var syntax: String?
    var defaultText: String
    var description: String { "\(name) \(syntax ?? "")| \(defaultText)" }
}

/// The rows of the README's directive table (in `## Configuration`): `| \`Name syntax\` | default | meaning |`.
private func readmeDirectives() throws -> [Documented] {
    let readme = try repositoryFile("README.md")
    let section = try #require(readme.components(separatedBy: "\n## ").first { $0.hasPrefix("Configuration") })
    return try section.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { row in
        // `\|` is a literal bar inside a cell.
        let cells = row.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|").map {
            $0.replacingOccurrences(of: "\u{1}", with: "|").replacingOccurrences(of: "`", with: "")
                .trimmingCharacters(in: .whitespaces)
        }
        try #require(cells.count == 3, "\(row)")
        let nameAndSyntax = cells[0].split(separator: " ", maxSplits: 1).map(String.init)
        return Documented(name: nameAndSyntax[0], syntax: nameAndSyntax.count > 1 ? nameAndSyntax[1] : "", defaultText: cells[1])
    }
}

/// The rows of the docs page's tables: `<tr><td><code>Name</code></td><td>default</td>…`.
private func docsPageDirectives() throws -> [Documented] {
    let page = try repositoryFile("www/docs/index.html")
    return page.components(separatedBy: "<tr><td><code>").dropFirst().map { row in
        let name = row.components(separatedBy: "</code>")[0]
        let defaultCell = row.components(separatedBy: "</td><td>")[1]
        let defaultText = defaultCell.replacingOccurrences(of: "<code>", with: "").replacingOccurrences(of: "</code>", with: "")
        return Documented(name: name, syntax: nil, defaultText: defaultText)
    }
}

/// Every directive as the table declares it, shaped like `documented`'s rows.
private func declared(like documented: [Documented]) -> [Documented] {
    let withSyntax = documented.first?.syntax != nil
    return Directive.all.map {
        Documented(name: $0.name, syntax: withSyntax ? $0.syntax : nil, defaultText: $0.defaultValue.text)
    }
}

/// Checks `documented` against the table both ways: same directives, same arguments and defaults.
private func expectMatchesTheTable(_ documented: [Documented], _ source: String) {
    let table = declared(like: documented)
    let documentedNames = Set(documented.map(\.name))
    let tableNames = Set(table.map(\.name))
    #expect(documented.count == documentedNames.count, "\(source) documents a directive twice")
    #expect(tableNames.subtracting(documentedNames).sorted() == [], "in the table, not in \(source)")
    #expect(documentedNames.subtracting(tableNames).sorted() == [], "in \(source), not in the table")
    for row in documented {
        if let entry = table.first(where: { $0.name == row.name }) {
            #expect(row == entry, "\(source)")
        }
    }
}

@Suite struct DirectiveTableTests {
    @Test func readmeTableMatchesTheDirectiveTable() throws {
        let rows = try readmeDirectives()
        #expect(rows.count > 40)
        expectMatchesTheTable(rows, "README.md")
    }

    @Test func docsPageMatchesTheDirectiveTable() throws {
        let rows = try docsPageDirectives()
        #expect(rows.count > 40)
        expectMatchesTheTable(rows, "www/docs/index.html")
    }

    /// `Configuration()` keeps the defaults; the table shows them: a value default applied to the
    /// defaults changes nothing, and an unset default leaves its field nil or empty.
    @Test func configurationDefaultsMatchTheTable() throws {
        let reader = ConfigReader(baseDirectory: "/etc/httpd")
        let defaults = reader.defaults
        /// The value of the property named `name`, through a Mirror.
        func property(_ c: Configuration, _ name: String) -> Any? {
            Mirror(reflecting: c).children.first { $0.label == name }?.value
        }
        for d in Directive.all {
            let value = try #require(property(defaults, d.field), "\(d.name): Configuration has no property \(d.field)")
            let field = Mirror(reflecting: value)
            switch d.defaultValue {
            case .value(let text):
                let words = try #require(ConfigReader.words(of: Substring(text)))
                #expect(d.arity.allows(words.count), "\(d.name) \(text)")
                var applied = defaults
                try d.apply(&applied, words, reader)
                // Where a directive was written (kept for error messages) is not part of what it means.
                applied.origins = defaults.origins
                #expect(String(describing: applied) == String(describing: defaults), "\(d.name) \(text)")
                #expect(
                    String(describing: property(applied, d.field)) == String(describing: property(defaults, d.field)),
                    "\(d.name) \(text)")
            case .unset(let text):
                #expect(field.children.isEmpty, "\(d.name) is set by default, not \(text)")
                #expect([.optional, .collection, .dictionary].contains(field.displayStyle), "\(d.name)")
            }
        }
    }

    @Test func eachDirectiveIsDeclaredOnce() {
        let names = Directive.all.map { $0.name.lowercased() }
        #expect(Set(names).count == names.count)
        for d in Directive.all {
            #expect(d.contexts.first == .server || d.contexts == [.virtualHost], "\(d.name)")
            #expect(!d.help.isEmpty && !d.help.contains("\n"), "\(d.name)")
            #expect(!d.syntax.isEmpty, "\(d.name)")
        }
    }

    @Test func namesMatchOnlyByASCIICase() {
        #expect(Directive.named("KEEPALIVE")?.name == "KeepAlive")
        #expect(Directive.named("keepalive")?.name == "KeepAlive")
        // U+212A KELVIN SIGN lowercases to "k" in Unicode, but is not a directive's letter.
        #expect(Directive.named("\u{212A}eepAlive") == nil)
        #expect(Directive.named("KeepAlive ") == nil)
        // Directive.named compares lengths first: exact only while names are printable ASCII without `;` and
        // `` ` `` (the only ASCII characters another text is canonically equivalent to, besides `K`).
        for d in Directive.all {
            #expect(d.name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x3B && $0 != 0x60 }, "\(d.name)")
        }
    }

    @Test func arityPhrases() {
        #expect(Arity.one.phrase == "1 argument")
        #expect(Arity.exactly(2).phrase == "2 arguments")
        #expect(Arity.atLeast(1).phrase == "at least 1 argument")
        #expect(Arity.atLeast(2).phrase == "at least 2 arguments")
        #expect(Arity.range(1...2).phrase == "1 to 2 arguments")
        #expect(Arity.range(1...2).allows(2) && !Arity.range(1...2).allows(0) && !Arity.range(1...2).allows(3))
    }

    @Test func listingShowsEveryDirective() {
        let listing = ConfigReader.directiveListing
        let lines = listing.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 3 * Directive.all.count)
        for (i, d) in Directive.all.enumerated() {
            #expect(lines[3 * i] == "\(d.name) \(d.syntax)")
            #expect(lines[3 * i + 1] == "    \(d.help)")
            let contexts = d.contexts.map(\.description).joined(separator: ", ")
            #expect(lines[3 * i + 2] == "    takes \(d.arity.phrase); default: \(d.defaultValue.text); in: \(contexts)")
        }
        #expect(listing.contains("\nErrorDocument code /path\n"))
        #expect(listing.contains("    takes 1 to 2 arguments; default: off; in: server config, <VirtualHost>"))
        #expect(listing.contains("\nServerAlias name|*.name ...\n"))
        #expect(listing.contains("    takes 2 to 4 arguments; default: none; in: server config, <VirtualHost>, <Location>"))
    }
}
