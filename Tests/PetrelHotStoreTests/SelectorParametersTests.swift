import Testing
import PetrelHotStore

/// Selector parameters, with the cases of Zenoh's `Parameters` tests.
@Suite struct SelectorParametersTests {
    @Test func zenohParameterCases() {
        #expect(selectorParameters("").isEmpty)
        #expect(selectorParameters("p1") == ["p1": ""])
        #expect(selectorParameters("p1=v1") == ["p1": "v1"])
        #expect(selectorParameters("p1=v1;p2=v2;") == ["p1": "v1", "p2": "v2"])
        #expect(selectorParameters("p1=v1;p2=v2;|=") == ["p1": "v1", "p2": "v2"])
        #expect(selectorParameters("p1=v1;p2;p3=v3") == ["p1": "v1", "p2": "", "p3": "v3"])
        #expect(selectorParameters("p1=v 1;p 2=v2") == ["p1": "v 1", "p 2": "v2"])
        #expect(selectorParameters("p1=x=y;p2=a==b") == ["p1": "x=y", "p2": "a==b"])
        #expect(selectorParameters("a=1;;b=2") == ["a": "1", "b": "2"])
        #expect(selectorParameters("c=3|4|5;d=6") == ["c": "3|4|5", "d": "6"])
    }

    @Test func firstValueOfADuplicateWins() {
        #expect(selectorParameters("a=1;a=2") == ["a": "1"])
        #expect(selectorParameterList("a=1;a=2").map { $0.value } == ["1", "2"])
    }

    @Test func timeParameter() throws {
        for s in ["_timetrick;_time=[..]", "_timetrick;_time=[..];_filter", "_time=[..];_time=[now()..]"] {
            #expect(selectorParameters(s)["_time"] == "[..]")
            #expect(try TimeRange.fromSelectorParameters(s) == TimeRange(start: .unbounded, end: .unbounded))
        }
        #expect(selectorParameters("_timetrick;_time")["_timetrick"] == "")
        #expect(try TimeRange.fromSelectorParameters("a=1") == nil)
        #expect(try TimeRange.fromSelectorParameters("a=1;_time=[now(-5m)..]")
            == TimeRange(start: .inclusive(.now(offsetSeconds: -300)), end: .unbounded))
        #expect(throws: TimeRangeError.self) { try TimeRange.fromSelectorParameters("_time=yesterday") }
        // ';' separates parameters, so the [t;duration] form cannot travel in a selector.
        #expect(selectorParameters("_time=[now();1h]")["_time"] == "[now()")
    }
}
