// swift-tools-version: 6.0
// httpd: a small stand-alone HTTP/1.1 daemon on libevent (see README.md).
// The targets are layers; a dependency may only point down this list (README: Architecture):
//   httpd → Daemon → Server → TLS → IO, Files, Auth → Config → HTTPCore → Support;  IO → CLibevent, TLS → COpenSSL
//   (the only C users, each of one C library). Auth reaches libcrypt through dlopen, not as a C target.
import PackageDescription

/// Every Swift target: Swift 6 mode, and imports are internal unless written `public import`,
/// so one layer's types (libevent's above all) cannot leak through another's public API.
/// Release builds optimize across the targets (inlining and specializing generics between layers), so
/// that splitting the code into layers costs no speed against the single module it was before.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
    // A section per function, so that the release link can place the functions serving uses side by side.
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(configuration: .release)),
]

/// How the release binary is linked, for a short start-up (inetd mode starts a process per connection) and
/// few resident pages. With lld (shipped with the Swift toolchain):
/// - libevent, the C++ library and libgcc linked statically (link/libevent_core.so and link/libstdc++.so are
///   linker scripts naming the archives): no libevent, libstdc++ and libgcc_s to map and relocate at each start;
/// - relative relocations packed (RELR): a 4 KiB table instead of 500 KiB read at each start;
/// - no symbols exported from the executable (the static runtime adds -export-dynamic, which only lengthens
///   every symbol lookup of the shared libraries);
/// - the functions a request runs through placed first, in the order link/hot-functions.txt gives
///   (scripts/hot-functions.sh writes it), so that serving touches a few hundred KiB of code, not most of
///   the binary's 4 MiB (functions it does not name stay where they were: the list only helps).
let releaseLink: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld", "-Xclang-linker", "-static-libgcc", "-L", "\(Context.packageDirectory)/link",
            "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/link/hot-functions.txt",
            "-Xlinker", "--no-warn-symbol-ordering",
        ], .when(configuration: .release))
]

let package = Package(
    name: "httpd",
    products: [
        .executable(name: "httpd", targets: ["httpd"]),
        // Libraries only so that the fuzz package (Tests/fuzz) can depend on these layers; nothing else uses them.
        .library(name: "HTTPCore", targets: ["HTTPCore"]),
        .library(name: "Config", targets: ["Config"]),
        .library(name: "Server", targets: ["Server"]),
        .library(name: "TLS", targets: ["TLS"]),
        .library(name: "Auth", targets: ["Auth"]),
    ],
    targets: [
        // The only C: libevent's core library (no evhttp), through a module map and a shim header.
        // No pkg-config: its -L/usr/lib/x86_64-linux-gnu would come before link/ on the release link's
        // library path, where link/libevent_core.so makes libevent static (Debian's headers need no -I).
        .systemLibrary(
            name: "CLibevent",
            providers: [.apt(["libevent-dev"])]
        ),
        // Helpers every layer shares, each once: errno text, syscall retry, ASCII and number syntax,
        // time formatting, C strings, the start-up error type.
        .target(name: "Support", swiftSettings: strict),
        // Pure HTTP: parser, request semantics, body framing, ranges, conditionals, dates, status,
        // responses, path normalization, MIME table, the static-response decision. No I/O.
        .target(name: "HTTPCore", dependencies: ["Support"], swiftSettings: strict),
        // Configuration values, the directive table and the httpd.conf reader; the command line.
        .target(name: "Config", dependencies: ["HTTPCore", "Support"], swiftSettings: strict),
        // Blocking file-system work: O_PATH resolution, open files and their metadata, the open-file cache.
        .target(name: "Files", dependencies: ["HTTPCore", "Config", "Support"], swiftSettings: strict),
        // HTTP Basic authentication: credentials, htpasswd files and their hashes, the credential cache, the
        // failure tracker. libcrypt (bcrypt, SHA-crypt, yescrypt, DES) is opened with dlopen on first use, not linked.
        .target(name: "Auth", dependencies: ["Support"], swiftSettings: strict),
        // OpenSSL 3 (Debian's libssl-dev headers), through a shim header; imported only by TLS. Not linked:
        // a stub per function jumps through a table filled by dlopen when TLS is first configured, so a
        // server without TLS never maps OpenSSL (README: Architecture).
        .target(name: "COpenSSL"),
        // The event loop and sockets: the only target that imports CLibevent.
        .target(name: "IO", dependencies: ["CLibevent", "Support"], swiftSettings: strict),
        // HTTPS: OpenSSL's contexts (certificates, SNI, protocols, tickets), certificate checks, and the TLS
        // transport. The only target that imports COpenSSL.
        .target(name: "TLS", dependencies: ["COpenSSL", "IO", "Config", "Support"], swiftSettings: strict),
        // Connections (over a Transport), routing, the worker pool, logs, statistics, status pages.
        .target(
            name: "Server", dependencies: ["IO", "TLS", "Files", "Auth", "HTTPCore", "Config", "Support"], swiftSettings: strict),
        // The process: start-up order, daemonizing, PID file, privileges, signals, inetd mode.
        .target(
            name: "Daemon", dependencies: ["Server", "TLS", "IO", "Files", "HTTPCore", "Config", "Support"], swiftSettings: strict
        ),
        // Thin entry point: arguments, configuration, mode, exit status.
        .executableTarget(
            name: "httpd", dependencies: ["Daemon", "Config", "Support"], swiftSettings: strict, linkerSettings: releaseLink),
        .testTarget(
            name: "HTTPDaemonTests",
            dependencies: ["Support", "HTTPCore", "Config", "Files", "Auth", "IO", "TLS", "Server", "Daemon"],
            // Test-only certificates and keys (Fixtures/tls/make.sh makes them) and htpasswd files
            // (Fixtures/auth/README.md), read from their path.
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
