// swift-tools-version: 6.0
// libFuzzer targets for httpd's pure units (README: Tests, Fuzzing). A package of its own, so that the main
// package's `swift build` never builds them: a fuzz target has no `main` and links only with
// `-sanitize=fuzzer`. Build and run them with `make fuzz` or `scripts/fuzz.sh` (which pass
// `-sanitize=fuzzer,address -parse-as-library`); each executable is one target with its corpus in
// `corpus/<target>/`.
import PackageDescription

/// The fuzz targets, each `Sources/<name>/` with one `LLVMFuzzerTestOneInput`, and the layers it reaches.
let fuzzTargets: [(name: String, uses: [String])] = [
    ("fuzz-head", ["HTTPCore"]),
    ("fuzz-request", ["HTTPCore"]),
    ("fuzz-path", ["HTTPCore"]),
    ("fuzz-ranges", ["HTTPCore"]),
    ("fuzz-conditionals", ["HTTPCore"]),
    ("fuzz-config", ["Config"]),
    ("fuzz-mime", ["HTTPCore"]),
    ("fuzz-accesslog", ["Server", "Config"]),
    ("fuzz-tls", ["TLS", "Config"]),
    ("fuzz-auth", ["Auth"]),
]

let package = Package(
    name: "httpd-fuzz",
    dependencies: [
        // The root package; its library products (HTTPCore, Config, Server, TLS, Auth) exist for this package only.
        .package(name: "httpd", path: "../..")
    ],
    targets: [
        // What every target shares: the input reader, split points, and `require`.
        .target(name: "FuzzKit")
    ]
        + fuzzTargets.map { target in
            .executableTarget(
                name: target.name,
                dependencies: ["FuzzKit"] + target.uses.map { .product(name: $0, package: "httpd") },
                swiftSettings: [.enableUpcomingFeature("InternalImportsByDefault")]
            )
        },
    swiftLanguageModes: [.v6]
)
