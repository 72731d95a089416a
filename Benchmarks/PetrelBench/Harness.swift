import CAllocCounter

/// Keeps `value` alive as far as the optimizer knows, so the work that made
/// it cannot be deleted.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// Returns `value` through a call the optimizer cannot see into, so inputs
/// are not constant-folded into the measured loop.
@inline(never)
func opaque<T>(_ value: T) -> T { value }

/// How long and how often each benchmark runs.
struct BenchSettings {
    /// Each timed run lasts at least this long.
    var minRunNanoseconds: Double = 200_000_000
    /// Timed runs per benchmark; the median is reported.
    var runs = 5
    /// Only benchmarks whose name contains this text run (all when nil).
    var filter: String?
    /// False where the allocation counter cannot work (not glibc).
    var countsAllocations = true

    /// `--quick`: short runs for a smoke test; the numbers are rougher.
    static let quick = BenchSettings(minRunNanoseconds: 20_000_000, runs: 3)
}

/// One line of the results table.
struct BenchResult {
    var name: String
    /// Median over the timed runs.
    var nanosecondsPerOp: Double
    var minNanosecondsPerOp: Double
    var maxNanosecondsPerOp: Double
    /// Heap allocations per operation over all timed runs (warm-up excluded);
    /// nil when they could not be counted.
    var allocationsPerOp: Double?
    /// What one operation carries (e.g. 5460 messages per batch) and its unit,
    /// for the throughput column; 1 and "op" for plain operations.
    var itemsPerOp: Double
    var itemUnit: String
    var operationsTimed: Int
}

extension Duration {
    var nanoseconds: Double {
        let (s, atto) = components
        return Double(s) * 1e9 + Double(atto) / 1e9
    }
}

/// Runs benchmarks and collects their results.
struct BenchRunner {
    var settings: BenchSettings
    private(set) var results: [BenchResult] = []
    /// Facts found on the way (sizes, sample bytes), printed after the table.
    private(set) var notes: [String] = []

    init(settings: BenchSettings) {
        self.settings = settings
    }

    mutating func note(_ text: String) {
        notes.append(text)
    }

    /// Measures `body`, which must perform exactly `n * opsPerIteration`
    /// operations when given `n` (a loop of `opsPerIteration` tiny operations
    /// per iteration keeps the harness out of nanosecond timings).
    ///
    /// A warm-up run comes first (it may allocate: caches, first-use
    /// buffers); then `settings.runs` timed runs of enough operations to last
    /// `settings.minRunNanoseconds` each. Allocations are counted over the
    /// timed runs only, so 0 means not one in millions of operations.
    mutating func measure(_ name: String, opsPerIteration: Int = 1, itemsPerOp: Double = 1,
                          itemUnit: String = "op", _ body: (Int) -> Void) {
        if let filter = settings.filter, !name.contains(filter) { return }
        let clock = ContinuousClock()

        // Warm up and calibrate: grow n until a run takes a tenth of the target.
        var n = 1
        while true {
            let t = clock.measure { body(n) }.nanoseconds
            if t >= settings.minRunNanoseconds / 10 || n >= 1 << 40 {
                let perIteration = max(t / Double(n), 0.01)
                n = max(1, Int((settings.minRunNanoseconds * 1.1 / perIteration).rounded(.up)))
                break
            }
            n *= t < settings.minRunNanoseconds / 1000 ? 16 : 4
        }

        var perOp: [Double] = []
        var allocations: UInt64 = 0
        for _ in 0..<settings.runs {
            let before = petrel_alloc_count()
            let t = clock.measure { body(n) }.nanoseconds
            allocations += petrel_alloc_count() &- before
            perOp.append(t / Double(n * opsPerIteration))
        }
        perOp.sort()
        let ops = n * opsPerIteration * settings.runs
        let result = BenchResult(
            name: name,
            nanosecondsPerOp: perOp[perOp.count / 2],
            minNanosecondsPerOp: perOp.first!,
            maxNanosecondsPerOp: perOp.last!,
            allocationsPerOp: settings.countsAllocations ? Double(allocations) / Double(ops) : nil,
            itemsPerOp: itemsPerOp,
            itemUnit: itemUnit,
            operationsTimed: ops
        )
        results.append(result)
        print(Table.row(result))
    }
}

/// Fixed-width text output without Foundation.
enum Table {
    static let header = pad("benchmark", 56, left: true) + pad("ns/op", 12) + pad("spread", 9)
        + pad("throughput", 20) + pad("allocs/op", 11)

    static func row(_ r: BenchResult) -> String {
        let spread = r.nanosecondsPerOp > 0
            ? (r.maxNanosecondsPerOp - r.minNanosecondsPerOp) / r.nanosecondsPerOp * 100 : 0
        let perSecond = r.itemsPerOp * 1e9 / r.nanosecondsPerOp
        return pad(r.name, 56, left: true)
            + pad(fixed(r.nanosecondsPerOp, r.nanosecondsPerOp < 100 ? 2 : 1), 12)
            + pad("±" + fixed(spread / 2, 1) + "%", 9)
            + pad(si(perSecond) + " " + r.itemUnit + "/s", 20)
            + pad(r.allocationsPerOp.map { fixed($0, $0 == 0 ? 0 : 3) } ?? "n/a", 11)
    }

    static func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let n = s.count
        if n >= width { return s + " " }
        let fill = String(repeating: " ", count: width - n)
        return left ? s + fill : fill + s
    }

    /// `x` with `digits` decimals.
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        let whole = Int(scaled / scale)
        let frac = Int(scaled - Double(whole) * scale)
        var s = (x < 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let f = String(frac)
            s += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return s
    }

    /// `x` with an SI suffix: 12.3 M, 456 k.
    static func si(_ x: Double) -> String {
        if x >= 1e9 { return fixed(x / 1e9, 2) + " G" }
        if x >= 1e6 { return fixed(x / 1e6, 2) + " M" }
        if x >= 1e3 { return fixed(x / 1e3, 1) + " k" }
        return fixed(x, 1)
    }
}
