// Configuration text read as tests read it: httpd.conf in /etc/httpd, applied to the defaults, errors as
// `httpd.conf:LINE: message`.

import Testing

@testable import Config

/// Applies `text` to a default configuration; returns it and the error descriptions.
func applyConfigText(_ text: String) -> (config: Configuration, errors: [String]) {
    var c = Configuration()
    let errors = ConfigReader(baseDirectory: "/etc/httpd").apply(text, file: "httpd.conf", to: &c)
    return (c, errors.map(\.description))
}

/// The configuration from `text`, recording an issue for any error.
func configFromText(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Configuration {
    let (c, errors) = applyConfigText(text)
    #expect(errors == [], sourceLocation: sourceLocation)
    return c
}
