import PetrelKeyExpr
import PetrelWire

/// The subscribers and queryables a device reaches through the gateway: the
/// network's (as the router announced them), the agent's own, and the other
/// devices'. What the gateway declares to a device is drawn from these, as a
/// router draws its answers from every face but the asking one.
struct Reachable {
    var subscribers: [KeyExpr] = []
    var queryables: [(key: KeyExpr, complete: Bool)] = []
}

/// A device's subscriber or queryable interest with a future part (a
/// publisher's or querier's write-side filter, a matching listener).
struct DeviceInterest: Equatable {
    var subscribers: Bool
    var queryables: Bool
    /// The restricting key expression; nil: every key.
    var key: KeyExpr?
    /// Option A: one declaration on `key` itself while anything matches it,
    /// instead of one per matching key (zenoh-pico's clients ask this way).
    var aggregate: Bool

    /// The keys to declare as subscribers for this interest.
    func subscriberKeys(in reach: Reachable) -> Set<String> {
        guard subscribers else { return [] }
        let matches = reach.subscribers.filter { key?.intersects($0) ?? true }
        if aggregate, let key { return matches.isEmpty ? [] : [key.string] }
        return Set(matches.map(\.string))
    }

    /// The keys to declare as queryables for this interest, with what is
    /// known of their completeness: an aggregate is complete when a complete
    /// queryable includes all of it.
    func queryableInfos(in reach: Reachable) -> [String: QueryableInfo] {
        guard queryables else { return [:] }
        let matches = reach.queryables.filter { key?.intersects($0.key) ?? true }
        if aggregate, let key {
            guard !matches.isEmpty else { return [:] }
            let complete = matches.contains { $0.complete && $0.key.includes(key) }
            return [key.string: QueryableInfo(complete: complete, distance: 0)]
        }
        var out: [String: QueryableInfo] = [:]
        for m in matches {
            let complete = m.complete || (out[m.key.string]?.complete ?? false)
            out[m.key.string] = QueryableInfo(complete: complete, distance: 0)
        }
        return out
    }
}

/// What the gateway has declared to one device in answer to its interests,
/// kept as a router keeps it per face: each key declared once, under an id of
/// the gateway's, while some future interest of the device matches it; each
/// change to what is reachable becomes declarations and undeclarations.
struct InterestAnswers {
    /// The device's interests with a future part, by its interest id.
    var interests: [UInt32: DeviceInterest] = [:]
    private(set) var subscribers: [String: UInt32] = [:]
    private(set) var queryables: [String: (id: UInt32, info: QueryableInfo)] = [:]
    private var nextID: UInt32 = 1

    var isEmpty: Bool { interests.isEmpty && subscribers.isEmpty && queryables.isEmpty }

    /// The answer to a new interest: for mode Current, the matches under id 0
    /// (nothing kept); otherwise the interest is kept and its matches get ids,
    /// sent now with the interest's id when the mode has a current part.
    /// Returns the declarations and the interest id each carries.
    mutating func answer(_ interest: DeviceInterest, id iid: UInt32, mode: InterestMode,
                         in reach: Reachable) -> [(Declaration, UInt32?)] {
        let subs = interest.subscriberKeys(in: reach).sorted()
        let qabls = interest.queryableInfos(in: reach).sorted { $0.key < $1.key }
        var out: [(Declaration, UInt32?)] = []
        switch mode {
        case .final:
            interests.removeValue(forKey: iid)
            return reconcile(with: reach).map { ($0, nil) }
        case .current:
            for k in subs { out.append((.subscriber(id: 0, wireExpr: WireExpr(k)), iid)) }
            for (k, info) in qabls { out.append((.queryable(id: 0, wireExpr: WireExpr(k), info: info), iid)) }
            return out
        case .future, .currentFuture:
            interests[iid] = interest
            // A router registers the current matches of a Future interest
            // without announcing them; it announces only later changes.
            for k in subs {
                let id = subscriberID(for: k)
                if mode == .currentFuture { out.append((.subscriber(id: id, wireExpr: WireExpr(k)), iid)) }
            }
            for (k, info) in qabls {
                let id = queryableID(for: k, info: info)
                if mode == .currentFuture { out.append((.queryable(id: id, wireExpr: WireExpr(k), info: info), iid)) }
            }
            return out + reconcile(with: reach).map { ($0, nil) }
        }
    }

    /// Declarations that bring the device's view in line with `reach`.
    mutating func reconcile(with reach: Reachable) -> [Declaration] {
        var wantedSubs = Set<String>()
        var wantedQabls: [String: QueryableInfo] = [:]
        for i in interests.values {
            wantedSubs.formUnion(i.subscriberKeys(in: reach))
            wantedQabls.merge(i.queryableInfos(in: reach)) { a, b in
                QueryableInfo(complete: a.complete || b.complete, distance: min(a.distance, b.distance))
            }
        }
        var out: [Declaration] = []
        for (k, id) in subscribers.sorted(by: { $0.key < $1.key }) where !wantedSubs.contains(k) {
            subscribers.removeValue(forKey: k)
            out.append(.undeclareSubscriber(id: id, wireExpr: nil))
        }
        for (k, q) in queryables.sorted(by: { $0.key < $1.key }) where wantedQabls[k] == nil {
            queryables.removeValue(forKey: k)
            out.append(.undeclareQueryable(id: q.id, wireExpr: nil))
        }
        for k in wantedSubs.sorted() where subscribers[k] == nil {
            out.append(.subscriber(id: subscriberID(for: k), wireExpr: WireExpr(k)))
        }
        for (k, info) in wantedQabls.sorted(by: { $0.key < $1.key }) where queryables[k]?.info != info {
            // A known queryable whose completeness changed is declared again under its id.
            out.append(.queryable(id: queryableID(for: k, info: info), wireExpr: WireExpr(k), info: info))
        }
        return out
    }

    private mutating func subscriberID(for key: String) -> UInt32 {
        if let id = subscribers[key] { return id }
        let id = takeID()
        subscribers[key] = id
        return id
    }

    private mutating func queryableID(for key: String, info: QueryableInfo) -> UInt32 {
        let id = queryables[key]?.id ?? takeID()
        queryables[key] = (id, info)
        return id
    }

    private mutating func takeID() -> UInt32 {
        defer { nextID &+= 1 }
        return nextID
    }
}
