// petrel-bench: codec speed and heap allocations per operation.
//
// Usage: petrel-bench [--quick] [--runs N] [--min-time-ms MS] [--filter TEXT]
// Run it through scripts/bench, which builds in release mode.
import CAllocCounter
import PetrelWire
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

var settings = BenchSettings()
var arguments = CommandLine.arguments.dropFirst()
while let arg = arguments.popFirst() {
    switch arg {
    case "--quick": settings = .quick
    case "--runs": settings.runs = max(1, Int(arguments.popFirst() ?? "") ?? settings.runs)
    case "--min-time-ms":
        settings.minRunNanoseconds = (Double(arguments.popFirst() ?? "") ?? 200) * 1e6
    case "--filter": settings.filter = arguments.popFirst()
    case "--codec-only": break  // scripts/bench's option; every benchmark here is a codec one
    case "-h", "--help":
        print("usage: petrel-bench [--quick] [--runs N] [--min-time-ms MS] [--filter TEXT]")
        exit(0)
    default:
        print("petrel-bench: unknown argument \(arg)")
        exit(2)
    }
}

#if DEBUG
print("WARNING: debug build; numbers are meaningless (use scripts/bench or swift build -c release)")
#endif

print("machine: \(Machine.architecture), \(Machine.cpuModel), \(Machine.onlineCores) cores online")
print("runs: median of \(settings.runs), each ≥ \(Table.fixed(settings.minRunNanoseconds / 1e6, 0)) ms, after a warm-up run; "
    + "spread = ±half the runs' min-max range, in % of the median")

// The allocation counter must see Swift's allocations, or the allocs/op column lies.
let allocsBefore = petrel_alloc_count()
let probe = [Int](repeating: 7, count: opaque(100))
blackHole(probe)
let probeAllocations = petrel_alloc_count() &- allocsBefore
if petrel_alloc_counting_available() == 0 {
    settings.countsAllocations = false
    print("alloc counter: unavailable on this platform (needs glibc); allocs/op not measured")
} else if probeAllocations >= 1 {
    print("alloc counter self-check: [Int](repeating: 7, count: 100) made \(probeAllocations) allocation(s): OK")
} else {
    print("alloc counter self-check FAILED: a 100-element Array made no counted allocation")
    exit(1)
}
print("")

var runner = BenchRunner(settings: settings)
print(Table.header)
codecBenchmarks(&runner)
zintBenchmarks(&runner)
keyExprBenchmarks(&runner)
framingBenchmarks(&runner)

print("")
for note in runner.notes { print(note) }
print("sizes (bytes): BatchItem \(MemoryLayout<BatchItem>.size), NetworkMessage \(MemoryLayout<NetworkMessage>.size), "
    + "Push \(MemoryLayout<Push>.size), Put \(MemoryLayout<Put>.size)")
