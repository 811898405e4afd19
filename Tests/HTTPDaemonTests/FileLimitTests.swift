// FileLimit: the open-file estimate follows what a connection and a cached file really hold.

import Testing

@testable import Config
@testable import Daemon

@Suite struct FileLimitTests {
    @Test func estimateWithoutVariants() {
        var c = Configuration()
        c.maxConnections = 1024
        c.fileCacheEntries = 1024
        #expect(FileLimit.needed(c) == 1024 * 2 + 1024 + 64)
    }

    @Test func variantsTripleTheFilesHeldOpen() {
        var c = Configuration()
        c.maxConnections = 100
        c.fileCacheEntries = 10
        c.precompressed = true
        #expect(FileLimit.needed(c) == 100 * 4 + 10 * 3 + 64)
    }
}
