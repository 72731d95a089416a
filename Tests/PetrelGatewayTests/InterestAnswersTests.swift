@testable import PetrelGateway
import PetrelKeyExpr
import PetrelWire
import Testing

/// A device's subscriber and queryable interests, answered as a Zenoh router
/// answers a client's (zenoh's broker hat): what zenoh-pico's write filter and
/// Rust's matching status need to see.
@Suite("interest answers to a device")
struct InterestAnswersTests {
    func key(_ s: String) -> KeyExpr { try! KeyExpr(s) }

    func subscribers(_ keys: String...) -> Reachable {
        Reachable(subscribers: keys.map { try! KeyExpr($0) })
    }

    /// zenoh-pico's publisher asks CurrentFuture, K+S+R+A on its own key.
    func picoPublisher(_ k: String) -> DeviceInterest {
        DeviceInterest(subscribers: true, queryables: false, key: key(k), aggregate: true)
    }

    @Test("a zenoh-pico publisher hears of a subscriber under its own key, since its filter compares keys for equality")
    func aggregateAnswerIsTheInterestKey() {
        var answers = InterestAnswers()
        let out = answers.answer(picoPublisher("demo/example/pub"), id: 2, mode: .currentFuture,
                                 in: subscribers("demo/**", "demo/example/*", "other/x"))
        #expect(out.count == 1)
        guard case (.subscriber(let id, let w), 2?) = out[0] else {
            Issue.record("expected one D_SUBSCRIBER answering interest 2, got \(out)")
            return
        }
        #expect(w == WireExpr("demo/example/pub"))
        #expect(id != 0, "a CurrentFuture answer needs an id the later undeclaration can name")
    }

    @Test("no matching subscriber: no declaration; one appearing later is announced, and its leaving undeclares")
    func futureChangesFollowTheNetwork() {
        var answers = InterestAnswers()
        #expect(answers.answer(picoPublisher("demo/a"), id: 7, mode: .currentFuture, in: subscribers("other/**")).isEmpty)
        let appeared = answers.reconcile(with: subscribers("other/**", "demo/*"))
        guard appeared.count == 1, case .subscriber(let id, let w) = appeared[0] else {
            Issue.record("expected one declaration, got \(appeared)")
            return
        }
        #expect(w == WireExpr("demo/a"))
        // A second matching subscriber changes nothing for an aggregate.
        #expect(answers.reconcile(with: subscribers("other/**", "demo/*", "demo/a")).isEmpty)
        #expect(answers.reconcile(with: subscribers("demo/a")).isEmpty)
        #expect(answers.reconcile(with: subscribers("other/**")) == [.undeclareSubscriber(id: id, wireExpr: nil)])
    }

    @Test("without option A (Rust's publishers) each matching subscriber is declared under its own key")
    func simpleAnswersListEachKey() {
        var answers = InterestAnswers()
        let interest = DeviceInterest(subscribers: true, queryables: false, key: key("demo/**"), aggregate: false)
        let out = answers.answer(interest, id: 3, mode: .currentFuture, in: subscribers("demo/a", "demo/b/**", "x/y"))
        let keys = out.compactMap { d, iid -> String? in
            guard iid == 3, case .subscriber(_, let w) = d else { return nil }
            return w.suffix
        }
        #expect(keys == ["demo/a", "demo/b/**"])
        #expect(answers.reconcile(with: subscribers("demo/b/**", "x/y")).count == 1, "demo/a left: one undeclaration")
    }

    @Test("an unrestricted interest matches every key")
    func unrestricted() {
        var answers = InterestAnswers()
        let interest = DeviceInterest(subscribers: true, queryables: false, key: nil, aggregate: false)
        #expect(answers.answer(interest, id: 1, mode: .current, in: subscribers("a", "b/c")).count == 2)
        #expect(answers.interests.isEmpty, "mode Current keeps nothing")
    }

    @Test("mode Current answers with id 0 and keeps nothing; mode Future announces only later changes")
    func modes() {
        var answers = InterestAnswers()
        let current = answers.answer(picoPublisher("k/1"), id: 4, mode: .current, in: subscribers("k/*"))
        #expect(current.map(\.0) == [.subscriber(id: 0, wireExpr: WireExpr("k/1"))])
        #expect(answers.reconcile(with: subscribers()).isEmpty)
        #expect(answers.answer(picoPublisher("k/2"), id: 5, mode: .future, in: subscribers("k/*")).isEmpty)
        // Already registered: a later change elsewhere announces nothing for it...
        #expect(answers.reconcile(with: subscribers("k/*", "z")).isEmpty)
        // ...but its leaving is announced.
        #expect(answers.reconcile(with: subscribers("z")).count == 1)
    }

    @Test("Final ends an interest: what only it needed is undeclared")
    func finalUndeclares() {
        var answers = InterestAnswers()
        _ = answers.answer(picoPublisher("a/b"), id: 1, mode: .currentFuture, in: subscribers("a/**"))
        let out = answers.answer(DeviceInterest(subscribers: false, queryables: false, key: nil, aggregate: false),
                                 id: 1, mode: .final, in: subscribers("a/**"))
        #expect(out.count == 1)
        if case (.undeclareSubscriber, nil)? = out.first {} else { Issue.record("expected an undeclaration, got \(out)") }
        #expect(answers.isEmpty)
    }

    @Test("queryables: an aggregate is complete only when a complete queryable includes its whole key")
    func queryableCompleteness() {
        var answers = InterestAnswers()
        let querier = DeviceInterest(subscribers: false, queryables: true, key: key("site/a/*"), aggregate: true)
        let partial = Reachable(queryables: [(key("site/a/x"), true)])
        let out = answers.answer(querier, id: 9, mode: .currentFuture, in: partial)
        #expect(out.map(\.0).compactMap { d -> Bool? in
            if case .queryable(_, _, let info) = d { return info.complete }
            return nil
        } == [false])
        // A complete queryable on site/** now covers the whole aggregate: declared again, complete.
        let whole = Reachable(queryables: [(key("site/a/x"), true), (key("site/**"), true)])
        let again = answers.reconcile(with: whole)
        #expect(again.count == 1)
        if case .queryable(_, let w, let info)? = again.first {
            #expect(w == WireExpr("site/a/*") && info.complete)
        } else {
            Issue.record("expected the aggregate declared again, got \(again)")
        }
    }

    @Test("two interests matching one key share one declaration, undeclared when neither needs it")
    func sharedDeclarations() {
        var answers = InterestAnswers()
        let a = DeviceInterest(subscribers: true, queryables: false, key: key("s/**"), aggregate: false)
        let b = DeviceInterest(subscribers: true, queryables: false, key: key("s/1"), aggregate: false)
        let first = answers.answer(a, id: 1, mode: .currentFuture, in: subscribers("s/1"))
        let second = answers.answer(b, id: 2, mode: .currentFuture, in: subscribers("s/1"))
        // Each current answer names the key with the asking interest's id, under the same declaration id.
        guard case (.subscriber(let id1, _), 1?) = first[0], case (.subscriber(let id2, _), 2?) = second[0] else {
            Issue.record("unexpected answers \(first) \(second)")
            return
        }
        #expect(id1 == id2)
        #expect(answers.reconcile(with: subscribers()) == [.undeclareSubscriber(id: id1, wireExpr: nil)])
    }
}
