// HTTPStatus: codes, reason phrases and which statuses carry no body.

import Testing

@testable import HTTPCore
@testable import Server

@Suite struct HTTPStatusTests {
    @Test(arguments: [
        (HTTPStatus.continue, "100 Continue"),
        (.ok, "200 OK"),
        (.noContent, "204 No Content"),
        (.partialContent, "206 Partial Content"),
        (.movedPermanently, "301 Moved Permanently"),
        (.notModified, "304 Not Modified"),
        (.badRequest, "400 Bad Request"),
        (.forbidden, "403 Forbidden"),
        (.notFound, "404 Not Found"),
        (.methodNotAllowed, "405 Method Not Allowed"),
        (.requestTimeout, "408 Request Timeout"),
        (.preconditionFailed, "412 Precondition Failed"),
        (.contentTooLarge, "413 Content Too Large"),
        (.uriTooLong, "414 URI Too Long"),
        (.rangeNotSatisfiable, "416 Range Not Satisfiable"),
        (.expectationFailed, "417 Expectation Failed"),
        (.requestHeaderFieldsTooLarge, "431 Request Header Fields Too Large"),
        (.internalServerError, "500 Internal Server Error"),
        (.notImplemented, "501 Not Implemented"),
        (.serviceUnavailable, "503 Service Unavailable"),
        (.httpVersionNotSupported, "505 HTTP Version Not Supported"),
        (HTTPStatus(302), "302 Found"),
        (HTTPStatus(411), "411 Length Required"),
        (HTTPStatus(410), "410 Gone"),
        (HTTPStatus(429), "429 Too Many Requests"),
        (HTTPStatus(451), "451 Unavailable For Legal Reasons"),
        (HTTPStatus(504), "504 Gateway Timeout"),
        (HTTPStatus(299), "299 Status 299"),
    ])
    func descriptions(status: HTTPStatus, text: String) {
        #expect(status.description == text)
    }

    @Test func forbidsBody() {
        #expect(HTTPStatus.continue.forbidsBody)
        #expect(HTTPStatus(101).forbidsBody)
        #expect(HTTPStatus.noContent.forbidsBody)
        #expect(HTTPStatus.notModified.forbidsBody)
        #expect(!HTTPStatus.ok.forbidsBody)
        #expect(!HTTPStatus.partialContent.forbidsBody)
        #expect(!HTTPStatus.movedPermanently.forbidsBody)
        #expect(!HTTPStatus.notFound.forbidsBody)
    }
}
