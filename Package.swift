// swift-tools-version: 6.0
// httpd: a small stand-alone HTTP/1.1 daemon on libevent (see README.md).
import PackageDescription

let package = Package(
    name: "httpd",
    products: [
        .executable(name: "httpd", targets: ["httpd"])
    ],
    targets: [
        // The only C: libevent's core library (no evhttp), through a module map and a shim header.
        .systemLibrary(
            name: "CLibevent",
            pkgConfig: "libevent_core",
            providers: [.apt(["libevent-dev"])]
        ),
        // Everything the daemon does; only Sources/HTTPDaemon/IO imports CLibevent.
        .target(
            name: "HTTPDaemon",
            dependencies: ["CLibevent"]
        ),
        // Thin entry point: arguments, configuration, mode, exit status.
        .executableTarget(name: "httpd", dependencies: ["HTTPDaemon"]),
        .testTarget(name: "HTTPDaemonTests", dependencies: ["HTTPDaemon"]),
    ],
    swiftLanguageModes: [.v6]
)
