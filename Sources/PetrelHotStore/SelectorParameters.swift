/// The parameters of a Zenoh selector (the text after `?`, as QUERY carries
/// it), as a dictionary, read as Zenoh 1.x's `Parameters` reads them:
///
/// - trailing `;`, `=` and `|` are dropped first;
/// - `;` separates parameters, and empty ones (`a=1;;b=2`) are skipped;
/// - the first `=` separates name and value (`p=x=y` has value `x=y`); a
///   parameter without `=` has the empty value (`_anyke`);
/// - nothing is trimmed or percent-decoded (`p 1=v 1` keeps its spaces);
/// - a name given twice keeps its *first* value, which is the one Zenoh's
///   `Parameters::get` (and so `time_range()`) returns.
///
/// A whole selector (`key/expr?a=1`) is not split here: pass the part after `?`.
public func selectorParameters(_ s: String) -> [String: String] {
    var result: [String: String] = [:]
    for (name, value) in selectorParameterList(s) where result[name] == nil {
        result[name] = value
    }
    return result
}

/// The parameters of a selector in order, duplicates included (see
/// `selectorParameters` for the syntax).
public func selectorParameterList(_ s: String) -> [(name: String, value: String)] {
    var text = Substring(s)
    while let last = text.last, last == ";" || last == "=" || last == "|" { text.removeLast() }
    var out: [(name: String, value: String)] = []
    for part in text.split(separator: ";", omittingEmptySubsequences: true) {
        if let eq = part.firstIndex(of: "=") {
            out.append((String(part[..<eq]), String(part[part.index(after: eq)...])))
        } else {
            out.append((String(part), ""))
        }
    }
    return out
}

/// The name of Zenoh's standard time-range selector parameter.
public let timeRangeParameterName = "_time"

extension TimeRange {
    /// The `_time` range of selector parameters, as Zenoh's `time_range()`:
    /// nil when there is no `_time` parameter.
    ///
    /// - Throws: `TimeRangeError` when `_time` is present but not a valid range
    ///   (Zenoh storages then answer the query with an error).
    public static func fromSelectorParameters(_ parameters: String) throws(TimeRangeError) -> TimeRange? {
        guard let value = selectorParameters(parameters)[timeRangeParameterName] else { return nil }
        return try parse(value)
    }
}
