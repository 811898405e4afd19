// Reads Apache-style httpd.conf text ("Directive value ...", '#' comments, "quoted values", `<Block>` lines)
// into a Configuration, collecting every error as `file:line: message`; each directive comes from Directives.swift.

/// One configuration error, printed as `file:line: message` like a compiler's.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }

    /// An error at `location` as the reader records it (`httpd.conf:12`; the file may hold colons, the line
    /// never does).
    init(at location: String, message: String) {
        if let colon = location.lastIndex(of: ":"), let line = Int(location[location.index(after: colon)...]) {
            self.init(file: String(location[..<colon]), line: line, message: message)
        } else {
            self.init(file: location, line: 0, message: message)
        }
    }
}

/// Turns configuration text into a `Configuration`; pure apart from the base folder it is given.
public struct ConfigReader {
    /// Folder that relative paths in the text are relative to (the config file's folder).
    public let baseDirectory: String
    /// The file and line being applied, for directives that remember where they were written.
    var file = ""
    var line = 0

    public init(baseDirectory: String) {
        self.baseDirectory = baseDirectory
    }

    /// Where the directive being applied was written: `httpd.conf:12`.
    var location: String { "\(file):\(line)" }

    /// Splits one line into words: whitespace separates, double quotes group (with `\"` and `\\`),
    /// and an unquoted word starting with `#` ends the line. Returns nil on an unterminated quote.
    static func words(of line: Substring) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var inQuotes = false
        var escaped = false
        for ch in line {
            if inQuotes {
                if escaped {
                    current.append(ch)
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == "\"" {
                    inQuotes = false
                } else {
                    current.append(ch)
                }
            } else if ch == " " || ch == "\t" || ch == "\r" {
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            } else if ch == "\"" {
                inQuotes = true
                inWord = true
            } else if ch == "#" && !inWord {
                break
            } else {
                current.append(ch)
                inWord = true
            }
        }
        if inQuotes { return nil }
        if inWord { words.append(current) }
        return words
    }

    /// Applies every directive in `text` to `config`, resolves its blocks, then checks the whole configuration
    /// (what one directive needs from others, `ConfigurationCheck`); returns all errors found (empty on success).
    /// Block lines (`<Name args>` … `</Name>`) must nest and close by name; `<VirtualHost>` and `<Location>`
    /// are read when the whole text is (`resolveBlocks`), so that they inherit every server-level directive.
    public func apply(_ text: String, file: String, to config: inout Configuration) -> [ConfigError] {
        var errors = read(text, file: file, to: &config)
        errors += resolveBlocks(&config)
        return errors + check(config)
    }

    /// Applies every directive in `text` to `config` without resolving blocks or the whole-configuration
    /// checks (the loader reads the file and each `-c` this way, then resolves and checks once); its first
    /// line is numbered `firstLine`. A `<VirtualHost>` or `<Location>` is kept, lines and all, in
    /// `config.pendingBlocks`.
    func read(_ text: String, file: String, firstLine: Int = 1, to config: inout Configuration) -> [ConfigError] {
        var lines: [NumberedLine] = []
        var errors: [ConfigError] = []
        var lineNumber = firstLine - 1
        // "\r\n" is one Character in Swift, so CRLF files need it named as a separator too.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            guard let words = Self.words(of: rawLine) else {
                errors.append(ConfigError(file: file, line: lineNumber, message: "unterminated quoted value"))
                continue
            }
            if let line = ConfigLine(words) { lines.append(NumberedLine(file: file, number: lineNumber, line: line)) }
        }
        // In line order: a quoting error among the errors of the lines around it.
        return (errors + applyLines(lines, context: .server, to: &config)).enumerated()
            .sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }

    /// Applies lines read in `context` to `config`: directives at once, deferred blocks kept with their lines
    /// (the error of a line is reported where it is applied); returns the errors, in line order.
    func applyLines(_ lines: [NumberedLine], context: DirectiveContext, to config: inout Configuration) -> [ConfigError] {
        var errors: [ConfigError] = []
        var blocks: [OpenBlock] = []
        var recording: PendingBlock?
        // Blocks opened inside the one being recorded, innermost last.
        var nested: [(name: String, line: Int)] = []
        var reader = self
        for numbered in lines {
            reader.file = numbered.file
            reader.line = numbered.number
            let error = { (message: String) in
                errors.append(ConfigError(file: numbered.file, line: numbered.number, message: message))
            }
            if var block = recording {
                switch numbered.line {
                case .open(let name, _):
                    nested.append((name, numbered.number))
                case .close(let name) where nested.isEmpty:
                    guard block.name.asciiLowercased == name.asciiLowercased else {
                        error("</\(name)> does not close <\(block.name)> opened on line \(block.line)")
                        continue
                    }
                    recording = nil
                    blocks.removeLast()
                    if !block.refused { config.pendingBlocks.append(block) }
                    continue
                case .close(let name):
                    // Nested blocks are read later, but must close here for this block's end to be found.
                    guard let inner = nested.last, inner.name.asciiLowercased == name.asciiLowercased else {
                        error("</\(name)> does not close <\(nested.last!.name)> opened on line \(nested.last!.line)")
                        continue
                    }
                    nested.removeLast()
                default: break
                }
                block.lines.append(numbered)
                recording = block
                continue
            }
            let message: String?
            switch numbered.line {
            case .directive(let name, let args):
                // Inside an unknown block nothing applies: the block itself is the error.
                if blocks.contains(where: { $0.block == nil }) { continue }
                message = reader.applyDirective(name, args, in: blocks.last, context: context, to: &config)
            case .open(let name, let args):
                message = open(name, args, in: blocks.last, context: context, line: numbered.number, onto: &blocks)
                if let declared = blocks.last?.block, !blocks.dropLast().contains(where: { $0.block == nil }) {
                    recording = PendingBlock(
                        name: declared.name, args: args, file: numbered.file, line: numbered.number, lines: [],
                        refused: message != nil)
                    nested = []
                }
            case .close(let name):
                message = close(name, blocks: &blocks)
            case .malformed(let text):
                message = text
            }
            if let message { error(message) }
        }
        if let recording {
            blocks.removeLast()
            for open in [(recording.name, recording.line)] + nested {
                errors.append(ConfigError(file: recording.file, line: open.1, message: "<\(open.0)> is not closed"))
            }
        }
        for block in blocks {
            errors.append(
                ConfigError(file: lines.first?.file ?? file, line: block.line, message: "<\(block.name)> is not closed"))
        }
        return errors
    }

    /// The whole-configuration checks (`ConfigurationCheck.all`), made once every line is applied; each
    /// error names the line of the directive at fault, once (a top-level `<Location>` is in every site, and a
    /// block's settings are in the blocks inside its prefix).
    func check(_ config: Configuration) -> [ConfigError] {
        var errors: [ConfigError] = []
        for check in ConfigurationCheck.all {
            for problem in check.problems(config) {
                let error = ConfigError(at: problem.location, message: problem.message)
                if !errors.contains(error) { errors.append(error) }
            }
        }
        return errors
    }

    /// Applies one directive read inside `block` (nil: directly in `context`); returns an error message, or
    /// nil when applied.
    func applyDirective(
        _ name: String, _ args: [String], in block: OpenBlock?, context: DirectiveContext = .server,
        to config: inout Configuration
    ) -> String? {
        guard let directive = Directive.named(name) else { return "unknown directive '\(name)'" }
        guard directive.arity.allows(args.count) else {
            return "\(directive.name) takes \(directive.arity.phrase), got \(args.count)"
        }
        let inside = block?.block?.inner ?? context
        guard directive.contexts.contains(inside) else {
            return
                "\(directive.name) is not allowed in \(block.map { "<\($0.name)>" } ?? (inside == .server ? "the server config" : inside.description))"
        }
        do {
            try directive.apply(&config, args, self)
        } catch DirectiveError.value(let message) {
            return "\(directive.name): \(message)"
        } catch DirectiveError.sentence(let message) {
            return message
        } catch {
            return "\(directive.name): \(error)"
        }
        return nil
    }

    /// Opens the block `<name args>` on `line` inside `outer`; it is pushed even when unknown, so that
    /// its closing line still matches. Returns an error message, or nil.
    func open(
        _ name: String, _ args: [String], in outer: OpenBlock?, context: DirectiveContext = .server, line: Int,
        onto blocks: inout [OpenBlock]
    ) -> String? {
        let block = BlockDirective.named(name)
        blocks.append(OpenBlock(name: block?.name ?? name, line: line, block: block))
        guard let block else { return "unknown block <\(name)>" }
        guard block.arity.allows(args.count) else { return "<\(block.name)> takes \(block.arity.phrase), got \(args.count)" }
        let inside = outer?.block?.inner ?? context
        guard block.contexts.contains(inside) else {
            return
                "<\(block.name)> is not allowed in \(outer.map { "<\($0.name)>" } ?? (inside == .server ? "the server config" : inside.description))"
        }
        do {
            try block.check(args, self)
        } catch DirectiveError.value(let message) {
            return "<\(block.name)>: \(message)"
        } catch DirectiveError.sentence(let message) {
            return message
        } catch {
            return "<\(block.name)>: \(error)"
        }
        return nil
    }

    /// Closes the innermost block, which must be called `name`; returns an error message, or nil.
    func close(_ name: String, blocks: inout [OpenBlock]) -> String? {
        guard let innermost = blocks.last else { return "</\(name)> without an open <\(name)>" }
        guard innermost.name.asciiLowercased == name.asciiLowercased else {
            return "</\(name)> does not close <\(innermost.name)> opened on line \(innermost.line)"
        }
        blocks.removeLast()
        return nil
    }

    /// A path made absolute against `baseDirectory`.
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (baseDirectory.hasSuffix("/") ? baseDirectory + path : baseDirectory + "/" + path)
    }

    /// `Configuration()` with its relative default paths (`DocumentRoot www`) resolved against `baseDirectory`.
    public var defaults: Configuration {
        var config = Configuration()
        config.documentRoot = resolve(config.documentRoot)
        return config
    }

    /// `httpd -L`: every directive with its arguments, arity, default, where it may appear and what it does.
    public static var directiveListing: String {
        Directive.all.map { d in
            let contexts = d.contexts.map(\.description).joined(separator: ", ")
            return
                "\(d.name) \(d.syntax)\n    \(d.help)\n    takes \(d.arity.phrase); default: \(d.defaultValue.text); in: \(contexts)"
        }.joined(separator: "\n")
    }
}

/// One non-empty line of a file or `-c`, with where it was written.
struct NumberedLine: Sendable {
    var file: String
    var number: Int
    var line: ConfigLine
}

/// A `<VirtualHost>` or `<Location>` read but not yet applied: its arguments and lines (nested blocks included).
struct PendingBlock: Sendable {
    var name: String
    var args: [String]
    var file: String
    var line: Int
    var lines: [NumberedLine]
    /// Its opening line was refused (the error is reported): its lines are skipped.
    var refused: Bool
    var location: String { "\(file):\(line)" }
}

/// A block open on the way through the text: its name as written (or declared), where it opened,
/// and its declaration (nil when unknown).
struct OpenBlock {
    var name: String
    var line: Int
    var block: BlockDirective?
}

/// What one non-empty line says, from its words.
enum ConfigLine: Equatable, Sendable {
    /// `Name args...`
    case directive(String, [String])
    /// `<Name args...>`
    case open(String, [String])
    /// `</Name>`
    case close(String)
    /// A block line that is not well formed; the error message.
    case malformed(String)

    /// Classifies `words` (nil when there are none). A lone `>` ends a block line too: `<Name arg >`.
    init?(_ words: [String]) {
        guard let first = words.first else { return nil }
        guard first.utf8.first == UInt8(ascii: "<") else {
            self = .directive(first, Array(words.dropFirst()))
            return
        }
        var words = words
        if words.count > 1 && words.last == ">" {
            words.removeLast()
            words[words.count - 1] += ">"
        }
        let isClose = first.utf8.dropFirst().first == UInt8(ascii: "/")
        var name = Substring(words[0]).utf8.dropFirst(isClose ? 2 : 1)
        let closed = words[words.count - 1].utf8.last == UInt8(ascii: ">")
        if name.last == UInt8(ascii: ">") && (words.count == 1 || isClose) { name = name.dropLast() }
        let written = String(Substring(name))
        if isClose && words.count > 1 {
            self = .malformed("</\(written)> takes no arguments")
        } else if name.isEmpty || name.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) {
            self = .malformed("'\(words[0])' is not a block name")
        } else if !closed {
            self = .malformed("\(isClose ? "</" : "<")\(written) lacks its closing '>'")
        } else if isClose {
            self = .close(written)
        } else {
            var args = Array(words.dropFirst())
            if let last = args.last { args[args.count - 1] = String(Substring(last.utf8.dropLast())) }
            self = .open(written, args)
        }
    }
}
