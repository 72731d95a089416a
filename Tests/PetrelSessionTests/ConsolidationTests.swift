import PetrelTime
import PetrelWire
import Testing
@testable import PetrelSession

@Suite("Query consolidation, as Zenoh 1.x applies it on the querier")
struct ConsolidationTests {
    let zid = ZenohID(high: 0, low: 7)!

    func reply(_ key: String, _ value: String, at t: UInt64?) -> PetrelSession.Reply {
        PetrelSession.Reply(result: .success(Sample(kind: .put, key: key, payload: Array(value.utf8)[...],
                                      timestamp: t.map { Timestamp(time: NTP64(rawValue: $0), id: zid) })))
    }

    func values(_ rs: [PetrelSession.Reply]) -> [String] { rs.compactMap { $0.sample.map { String(decoding: $0.payload, as: UTF8.self) } } }

    @Test("Auto is Latest, or None when the selector has a time range")
    func auto() {
        #expect(ReplyConsolidator.resolve(.auto, parameters: "") == .latest)
        #expect(ReplyConsolidator.resolve(.auto, parameters: "x=1;_time=[now(-5m)..]") == ConsolidationMode.none)
        #expect(ReplyConsolidator.resolve(.monotonic, parameters: "_time=[..]") == .monotonic)
    }

    @Test("None delivers everything at once")
    func none() {
        var c = ReplyConsolidator(mode: .none)
        let out = [reply("a", "1", at: 5), reply("a", "2", at: 1)].compactMap { c.accept($0) }
        #expect(values(out) == ["1", "2"])
        #expect(c.finish().isEmpty)
    }

    @Test("Monotonic delivers at once unless older than what was delivered for that key; ties pass")
    func monotonic() {
        var c = ReplyConsolidator(mode: .monotonic)
        let out = [reply("a", "1", at: 5), reply("a", "old", at: 3), reply("a", "tie", at: 5), reply("b", "x", at: nil),
                   reply("b", "unstamped again", at: nil), reply("a", "new", at: 9)].compactMap { c.accept($0) }
        #expect(values(out) == ["1", "tie", "x", "unstamped again", "new"])
    }

    @Test("Latest keeps the newest per key (the last among equals) and delivers at the end")
    func latest() {
        var c = ReplyConsolidator(mode: .latest)
        let now = [reply("a", "1", at: 5), reply("b", "b1", at: nil), reply("a", "3", at: 3), reply("b", "b2", at: nil),
                   reply("a", "9", at: 9)].compactMap { c.accept($0) }
        #expect(now.isEmpty)
        #expect(values(c.finish()) == ["9", "b2"])
    }

    @Test("error replies are never consolidated")
    func errors() {
        var c = ReplyConsolidator(mode: .latest)
        let err = PetrelSession.Reply(result: .failure(ReplyError(payload: Array("boom".utf8)[...])))
        #expect(c.accept(err) == err)
    }
}
