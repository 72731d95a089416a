/// Why a string is not a key expression (or not one in canonical form).
///
/// Validation stops at the first problem; `offset` is the UTF-8 byte offset in
/// `input` where it was found, so a message can point at it.
public struct KeyExprError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// The string is empty: a key expression has at least one chunk.
        case empty
        /// A leading `/`, a trailing `/`, or `//`: chunks may not be empty.
        case emptyChunk
        /// `#` and `?` are reserved (selectors, parameters) and never part of a key.
        case forbiddenCharacter
        /// A `*` that is neither a whole `*` / `**` chunk nor the `*` of `$*`,
        /// e.g. `a*b`, `***`, `*$*`.
        case starInChunk
        /// A `$` not followed by `*`: `$` only appears as the sub-chunk wildcard `$*`.
        case unboundDollar
        /// `$*` followed by `$` (e.g. `a$*$*b`): canonical form writes one `$*`.
        case dollarAfterDollarStar
        /// A chunk that is only `$*`: canonical form writes it `*`.
        case loneDollarStar
        /// `**/*`: canonical form writes it `*/**`.
        case singleStarAfterDoubleStar
        /// `**/**`: canonical form writes it `**`.
        case doubleStarAfterDoubleStar
    }

    public var reason: Reason
    /// The string that was checked (after canonization, for `autocanonize`).
    public var input: String
    /// UTF-8 byte offset of the problem in `input`.
    public var offset: Int

    public init(_ reason: Reason, in input: String, at offset: Int) {
        self.reason = reason
        self.input = input
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .empty:
            return "empty key expression: a key expression has at least one chunk"
        case .emptyChunk:
            what = "empty chunk (no leading '/', trailing '/' or '//' allowed)"
        case .forbiddenCharacter:
            what = "forbidden character '\(character(at: offset))' ('#' and '?' are reserved)"
        case .starInChunk:
            what = "'*' must be a whole chunk ('*' or '**') or follow '$' ('$*')"
        case .unboundDollar:
            what = "'$' must be followed by '*'"
        case .dollarAfterDollarStar:
            what = "'$' after '$*' (write a single '$*')"
        case .loneDollarStar:
            what = "a chunk that is just '$*' (canonical form is '*')"
        case .singleStarAfterDoubleStar:
            what = "'**/*' (canonical form is '*/**')"
        case .doubleStarAfterDoubleStar:
            what = "'**/**' (canonical form is '**')"
        }
        return "\(what) at offset \(offset) in '\(input)'"
    }

    private func character(at offset: Int) -> String {
        let utf8 = input.utf8
        guard offset >= 0, offset < utf8.count else { return "" }
        return String(decoding: utf8[utf8.index(utf8.startIndex, offsetBy: offset)...].prefix(1), as: UTF8.self)
    }
}
