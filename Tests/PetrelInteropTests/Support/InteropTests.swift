import Testing

/// Every test that starts a real Zenoh router, Zenoh's Python API or a
/// scripted peer runs one at a time: in parallel, a dozen routers and Python
/// interpreters starting at once on two cores make start-up times, not
/// Petrel, decide the result.
@Suite(.serialized) enum InteropTests {}
