// What site owners configure per site and per path: `<VirtualHost>` and `<Location>` blocks, and the
// values of `Header`, `Redirect`, `TryFiles`, and Basic authentication, as the reader leaves them.

/// A `Header` line (mod_headers subset): what it does to a response's fields, and when.
public struct HeaderRule: Sendable, Equatable {
    public enum Action: String, Sendable, Equatable {
        /// Replace every field of this name with one line.
        case set
        /// Add `, value` to the existing field (or set it when there is none).
        case append
        /// Add one more field line of this name.
        case add
        /// Remove every field of this name.
        case unset
    }

    public var action: Action
    /// `Header always …`: also on error responses (status 400 and above); otherwise only on 1xx-3xx.
    public var always: Bool
    /// The field name as written (a token; compared without regard to ASCII case).
    public var name: String
    /// The value (no CR, LF or NUL); empty for `unset`.
    public var value: String

    public init(action: Action, always: Bool, name: String, value: String) {
        self.action = action
        self.always = always
        self.name = name
        self.value = value
    }
}

/// A `Redirect [status] /old-prefix target` line (mod_alias): a request path equal to `prefix` or under it
/// (`prefix/…`) is redirected to `target` followed by the rest of the path and the query.
public struct RedirectRule: Sendable, Equatable {
    /// 301, 302, 303, 307 or 308 (302 when not written, as Apache).
    public var status: Int
    /// A decoded, normalized path starting with `/` (no trailing slash unless it is `/`).
    public var prefix: String
    /// An absolute URL (`https://example.org/new`) or a path starting with `/`.
    public var target: String

    public init(status: Int, prefix: String, target: String) {
        self.status = status
        self.prefix = prefix
        self.target = target
    }
}

/// One argument of `TryFiles` (nginx's try_files): a path template tried in order, or the final status.
public enum TryFilesEntry: Sendable, Equatable {
    /// A path where `$uri` stands for the request's decoded path: `$uri`, `$uri.html`, `$uri/`, `/index.html`.
    case file(String)
    /// `=404`: the answer when nothing before matched (only last).
    case status(Int)
}

/// `Require valid-user` or `Require user name…`.
public enum Requirement: Sendable, Equatable {
    case validUser
    case users([String])
}

/// Basic authentication for a site or a `<Location>` (`AuthType Basic`, `AuthName`, `AuthUserFile`, `Require`).
public struct AuthSettings: Sendable, Equatable {
    /// `AuthName`: the realm shown by browsers.
    public var realm: String
    /// `AuthUserFile`: an htpasswd file, absolute.
    public var userFile: String
    public var requirement: Requirement

    public init(realm: String, userFile: String, requirement: Requirement) {
        self.realm = realm
        self.userFile = userFile
        self.requirement = requirement
    }
}

/// An address a `<VirtualHost>` applies to: `*`, `*:PORT`, `ADDR:PORT` (`[v6]:PORT`), or `ADDR`.
public struct VirtualHostAddress: Sendable, Equatable, CustomStringConvertible {
    /// A numeric address; nil for `*` (any address).
    public var host: String?
    /// nil when no port is written (any port).
    public var port: UInt16?

    public init(host: String?, port: UInt16?) {
        self.host = host
        self.port = port
    }

    /// Whether a listener bound to `address` is named by this.
    public func matches(_ address: ListenAddress) -> Bool {
        if let port, port != address.port { return false }
        guard let host else { return true }
        return host == address.host
    }

    public var description: String {
        let h = host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "*"
        return port.map { "\(h):\($0)" } ?? h
    }
}

/// A `<VirtualHost addr…>` block, resolved: the server-level settings with the block's lines applied.
public struct VirtualHost: Sendable {
    /// What the block applies to.
    public var addresses: [VirtualHostAddress]
    /// Where the block was opened: `httpd.conf:12`.
    public var location: String
    /// The site's settings. Its `serverName`, `serverAliases`, document root, logs, headers, locations, …
    /// are the site's own; server-wide fields (limits, Listen, timeouts) are the main server's.
    public var config: Configuration

    public init(addresses: [VirtualHostAddress], location: String, config: Configuration) {
        self.addresses = addresses
        self.location = location
        self.config = config
    }
}

/// A `<Location /prefix>` block, resolved for one site: that site's settings with the block's lines applied.
public struct LocationBlock: Sendable {
    /// A decoded, normalized path starting with `/`; it covers itself and every path under it (`prefix/…`).
    public var prefix: String
    /// Where the block was opened.
    public var location: String
    /// The settings in force under the prefix (`Header`, `CacheControl`, `Autoindex`, auth, `ErrorDocument`
    /// differ from the site's; the rest is the site's).
    public var config: Configuration

    public init(prefix: String, location: String, config: Configuration) {
        self.prefix = prefix
        self.location = location
        self.config = config
    }
}
