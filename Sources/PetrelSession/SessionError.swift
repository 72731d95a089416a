import PetrelKeyExpr
import PetrelTransport

/// Errors a session's user can cause or meet.
public enum SessionError: Error, Sendable, CustomStringConvertible {
    case invalidKeyExpr(String, String)
    case notConnected
    case noRouterReachable([String], Duration)
    /// Peer mode: no other peer linked within the wait.
    case noPeerReachable([String], Duration)
    case closed
    /// No router accepted the session in time, and the last one refused it
    /// (credentials, certificates): the reason names the endpoint.
    case refused(String)

    public var description: String {
        switch self {
        case .invalidKeyExpr(let k, let reason): return "invalid key expression '\(k)': \(reason)"
        case .notConnected: return "not connected to any router"
        case .noRouterReachable(let eps, let d): return "no router reachable at \(eps.joined(separator: ", ")) within \(d)"
        case .noPeerReachable(let eps, let d): return "no peer reached (\(eps.joined(separator: ", "))) within \(d)"
        case .closed: return "the session is closed"
        case .refused(let reason): return "the router refused the session: \(reason)"
        }
    }
}
