import Foundation
import HeadwayFuzzTargets
import HeadwayTestSupport
import Testing

/// Replays every fuzz target's seeds and its kept corpus (`Tests/Fixtures/fuzz/<target>/`, grown and minimized by
/// `scripts/fuzz.sh`): no input may break a decoder's promises, the seeds must be accepted, and the corpus must hold
/// both accepted and rejected inputs (so it reaches past the first check and into the error paths).
@Suite struct FuzzCorpusTests {
    static let names = FuzzTargets.all.map { $0.name }

    static func corpus(_ name: String) throws -> [(String, [UInt8])] {
        let dir = TestModel.fixture("fuzz/\(name)")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
        return try files.filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }.map {
            ($0.lastPathComponent, Array(try Data(contentsOf: $0)))
        }
    }

    @Test(arguments: names) func seedsAreAccepted(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = target.seeds()
        #expect(!seeds.isEmpty)
        for (i, seed) in seeds.enumerated() {
            #expect(seed.count <= target.maxInputBytes, "\(name) seed \(i): \(seed.count) bytes")
            do {
                #expect(try target.run(bytes: seed), "\(name) seed \(i) rejected")
            } catch {
                Issue.record("\(name) seed \(i): \(error)")
            }
        }
    }

    @Test(arguments: names) func corpusReplaysWithoutFailures(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let inputs = try Self.corpus(name)
        #expect(inputs.count >= 10, "\(name): corpus has \(inputs.count) inputs; run scripts/fuzz.sh \(name)")
        var accepted = 0
        for (file, bytes) in inputs {
            do {
                if try target.run(bytes: bytes) { accepted += 1 }
            } catch {
                Issue.record("\(name)/\(file): \(error)")
            }
        }
        #expect(accepted > 0 && accepted < inputs.count, "\(name): \(accepted) of \(inputs.count) accepted")
    }

    @Test func everyTargetHasACorpusFolder() throws {
        let dirs = try FileManager.default.contentsOfDirectory(atPath: TestModel.fixture("fuzz").path)
        #expect(Set(Self.names).isSubset(of: Set(dirs)), "folders: \(dirs.sorted())")
    }
}
