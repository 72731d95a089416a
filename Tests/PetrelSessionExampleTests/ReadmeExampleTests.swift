// This target depends on PetrelSession alone and imports nothing else of
// Petrel: what the README shows a library user must compile as written.
import Foundation
import PetrelSession
import Testing

/// The README's "Using the library" example, verbatim between the markers.
/// Never called by the tests (it would wait on a router at 7447 and then
/// read samples forever); that it compiles here is the check.
func readmeExample() async throws {
    // README example: begin
    let session = try await Session.open(SessionConfig(connect: [try Endpoint("tcp/127.0.0.1:7447")]),
                                         waitForRouter: .seconds(5))
    let subscriber = try await session.declareSubscriber("farm/**")          // AsyncSequence of samples
    let publisher = try await session.declarePublisher("farm/pi1/air")       // key sent as a numeric id
    try await publisher.put(Array("21.5".utf8), encoding: .textPlain)
    for await reply in try await session.get("farm/**", consolidation: .latest) { print(reply) }
    for await sample in subscriber.samples { print(sample.key, sample.payload.count) }
    // README example: end
}

@Suite("the library used with `import PetrelSession` only")
struct ReadmeExampleTests {
    @Test("the README's example is the one compiled here")
    func exampleMatchesReadme() throws {
        let readme = try String(contentsOfFile: #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
                                    .prependingSlash + "/README.md", encoding: .utf8)
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let example = source.components(separatedBy: "// README example: begin\n")[1]
            .components(separatedBy: "    // README example: end")[0]
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }
            .joined(separator: "\n")
        #expect(readme.contains("```swift\nimport PetrelSession\n\n" + example + "```"),
                "README.md's library example differs from the one this target compiles")
    }

    @Test("with no router, opening a session is an error that names the endpoint")
    func noRouter() async throws {
        let endpoint = try Endpoint("tcp/127.0.0.1:9")
        await #expect(throws: (any Error).self) {
            _ = try await Session.open(SessionConfig(connect: [endpoint]), waitForRouter: .milliseconds(300))
        }
        do {
            _ = try await Session.open(SessionConfig(connect: [endpoint]), waitForRouter: .milliseconds(300))
        } catch {
            #expect("\(error)".contains("tcp/127.0.0.1:9"), "\(error)")
        }
    }
}

private extension String {
    var prependingSlash: String { "/" + self }
}
