// httpd's entry point: parse arguments, print help, version or the directive list, or hand the action to Commands.
// Exit status: 0 success, 1 configuration or start-up error, 2 usage error.

import Config
import Daemon
import Support

#if canImport(Glibc)
    import Glibc
#endif

func run() -> Int32 {
    let options: CommandLineOptions
    switch CommandLineOptions.parse(Array(CommandLine.arguments.dropFirst())) {
    case .failure(let error):
        printToStderr("httpd: \(error)\n\(CommandLineOptions.usage)")
        return 2
    case .success(var o):
        o.startDirectory = ConfigLoader.currentDirectory()
        options = o
    }
    switch options.action {
    case .help:
        print(CommandLineOptions.usage)
        return 0
    case .version:
        print("httpd \(httpdVersion)")
        return 0
    case .listDirectives:
        print(ConfigReader.directiveListing)
        return 0
    case .signal, .serve, .checkConfig, .listSites:
        return Commands.run(options)
    }
}

exit(run())
