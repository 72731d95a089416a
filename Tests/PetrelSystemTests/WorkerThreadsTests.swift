#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import PetrelSystem

@Suite("system layer: worker threads for blocking calls")
struct WorkerThreadsTests {
    struct Failure: Error, Equatable { var code: Int }

    @Test("run returns the body's value, and throws its typed error")
    func valuesAndErrors() async throws {
        let workers = try WorkerThreads(count: 2, name: "test-workers")
        #expect(workers.threadCount == 2)
        #expect(await workers.run { 6 * 7 } == 42)
        await #expect(throws: Failure(code: 3)) {
            try await workers.run { () throws(Failure) -> Int in throw Failure(code: 3) }
        }
    }

    @Test("many concurrent runs all complete")
    func manyRuns() async throws {
        let workers = try WorkerThreads(count: 3, name: "test-workers")
        let sum = await withTaskGroup(of: Int.self) { group in
            for i in 1...500 { group.addTask { await workers.run { i } } }
            return await group.reduce(0, +)
        }
        #expect(sum == 500 * 501 / 2)
    }

    /// More bodies block than the cooperative pool has threads; only a task
    /// on that pool can release them. Were they blocking pool threads, the
    /// releasing task would never run (and the bodies would time out).
    @Test("bodies that block do not hold the cooperative pool: another task still runs and releases them")
    func blockingBodiesLeaveThePoolFree() async throws {
        let poolWidth = max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
        let workers = try WorkerThreads(count: poolWidth + 2, name: "test-workers")
        let gate = ConditionLock((waiting: 0, open: false))
        let count = poolWidth + 2
        let released = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    await workers.run {
                        let deadline = monotonicNanoseconds() + 10_000_000_000
                        return gate.withLock { locked -> Bool in
                            locked.value.waiting += 1
                            while !locked.value.open && monotonicNanoseconds() < deadline {
                                locked.wait(untilMonotonicNanoseconds: deadline)
                            }
                            return locked.value.open
                        }
                    }
                }
            }
            // Waits on the pool (suspending, never blocking) until every body blocks.
            while gate.withLock({ $0.value.waiting }) < count { try? await Task.sleep(for: .milliseconds(1)) }
            gate.withLock { locked in
                locked.value.open = true
                locked.broadcast()
            }
            return await group.allSatisfy { $0 }
        }
        #expect(released)
    }
}
