import Testing
@testable import PetrelHotStore

/// The per-entry and per-key sizes the memory figures rest on (64-bit platforms).
@Suite struct HotStoreLayoutTests {
    @Test func entriesAndRecordsStaySmall() {
        #expect(MemoryLayout<Entry>.stride == 48)
        #expect(MemoryLayout<Entry?>.stride == 48)
        #expect(MemoryLayout<KeyRecord>.stride == 104)
    }
}
