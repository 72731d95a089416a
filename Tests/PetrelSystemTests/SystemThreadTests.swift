#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import PetrelSystem

@Suite("system layer: threads")
struct SystemThreadTests {
    @Test("a thread runs its body on a thread of its own; join returns after it ended")
    func runsAndJoins() throws {
        let result = Mutex<(ran: Bool, current: Bool)>((false, false))
        let box = Mutex<SystemThread?>(nil)
        let thread = try SystemThread(name: "test-thread") {
            usleep(20_000)
            let current = box.withLock { $0?.isCurrent ?? false }
            result.withLock { $0 = (true, current) }
        }
        box.withLock { $0 = thread }
        #expect(!thread.isCurrent)
        thread.join()
        thread.join()  // a second join returns at once
        #expect(result.withLock { $0.ran })
    }

    @Test("a detached thread runs on its own")
    func detached() {
        let done = ConditionLock(false)
        #expect(SystemThread.detached(name: "test-detached") {
            done.withLock { locked in
                locked.value = true
                locked.broadcast()
            }
        })
        let deadline = monotonicNanoseconds() + 5_000_000_000
        let ran = done.withLock { locked -> Bool in
            while !locked.value && monotonicNanoseconds() < deadline { locked.wait(untilMonotonicNanoseconds: deadline) }
            return locked.value
        }
        #expect(ran)
    }

    @Test("a timed wait returns by its deadline on the monotonic clock")
    func timedWait() {
        let lock = ConditionLock(0)
        let start = monotonicNanoseconds()
        lock.withLock { $0.wait(untilMonotonicNanoseconds: start + 30_000_000) }
        let waited = monotonicNanoseconds() - start
        #expect(waited >= 29_000_000 && waited < 2_000_000_000)
    }
}
