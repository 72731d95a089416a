import PetrelKeyExpr

/// The key expression two aligners both cover, when one includes the other
/// (`site/pi7/**` ∩ `site/**` = `site/pi7/**`). Fingerprints are kept per
/// scope, so both sides must name the same set; a general intersection of two
/// wildcard expressions (`a/*/c` ∩ `a/b/*`) has no single key expression in
/// general and is not aligned (the aligner logs it).
public func alignmentIntersection(_ a: KeyExpr, _ b: KeyExpr) -> KeyExpr? {
    if a == b { return a }
    if a.includes(b) { return b }
    if b.includes(a) { return a }
    return nil
}
