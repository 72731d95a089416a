import Foundation
import PetrelSerial
import PetrelTestSupport
import Testing

/// A socat pty pair: the port under test on `board`, the test playing the sensor on `sensor`.
private typealias Socat = SocatPtyPair

extension SocatPtyPair {
    var board: String { a }
    var sensor: String { b }
}

/// Waits for readable data (or a hang-up) on `fd`; returns poll's revents.
private func waitReadable(_ fd: Int32, milliseconds: Int32 = 3000) -> Int16 {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    _ = poll(&p, 1, milliseconds)
    return p.revents
}

@Suite("SerialPort: opening, reading, writing, losing a port")
struct SerialPortTests {
    @Test("a missing device is .notFound, and the error names the port and the operation")
    func missing() {
        #expect(throws: SerialPortError.self) { _ = try SerialPort(path: "/dev/ttyPETREL-none") }
        do {
            _ = try SerialPort(path: "/dev/ttyPETREL-none")
        } catch {
            #expect(error.kind == .notFound)
            #expect(error.description == "/dev/ttyPETREL-none: open: No such file or directory")
        }
    }

    @Test("a regular file is not a serial device")
    func regularFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-tty-\(UUID().uuidString)").path
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            _ = try SerialPort(path: file)
            Issue.record("opened a regular file as a serial port")
        } catch {
            #expect(error.port == file)
            #expect(error.message.contains("not a serial device"), "\(error)")
        }
    }

    @Test("a socat pty: libserialport refuses it (and says why), termios opens it; bytes flow both ways")
    func ptyBothWays() throws {
        let socat = try Socat()
        defer { socat.stop() }
        let port = try SerialPort(path: socat.board, settings: .init(baudrate: 9600))
        #expect(port.backend == .termios)
        #expect(port.libserialportRefusal?.contains("no /sys/class/tty entry") == true, "\(port.libserialportRefusal ?? "")")
        let sensor = open(socat.sensor, O_RDWR | O_NOCTTY)
        #expect(sensor >= 0)
        defer { close(sensor) }

        // Nothing there yet: a read returns 0 at once (never blocks).
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try port.read(into: &buffer) == 0)

        let line = Array("temp=21.5\n".utf8)
        #expect(write(sensor, line, line.count) == line.count)
        #expect(waitReadable(port.fileDescriptor) & Int16(POLLIN) != 0)
        var got: [UInt8] = []
        while got.count < line.count {
            _ = waitReadable(port.fileDescriptor, milliseconds: 500)
            let n = try port.read(into: &buffer)
            got += buffer[..<n]
        }
        #expect(got == line)

        try port.writeAll(Array("LED on\n".utf8))
        #expect(waitReadable(sensor) & Int16(POLLIN) != 0)
        let n = read(sensor, &buffer, buffer.count)
        #expect(Array(buffer[..<max(n, 0)]) == Array("LED on\n".utf8))
    }

    @Test("when socat ends (the pty vanishes), poll reports a hang-up on the open port")
    func hangUp() throws {
        let socat = try Socat()
        let port = try SerialPort(path: socat.board)
        socat.stop()
        let revents = waitReadable(port.fileDescriptor)
        #expect(revents & Int16(POLLHUP | POLLERR) != 0, "revents \(revents)")
        #expect(!FileManager.default.fileExists(atPath: socat.board))
        #expect(throws: SerialPortError.self) { _ = try SerialPort(path: socat.board) }
    }

    @Test("a baud rate termios has no constant for is refused, naming the rate")
    func oddBaudRate() throws {
        let socat = try Socat()
        defer { socat.stop() }
        do {
            _ = try SerialPort(path: socat.board, settings: .init(baudrate: 12_345))
            Issue.record("opened at 12345 baud")
        } catch {
            #expect(error.kind == .unsupported)
            #expect(error.message.contains("12345"), "\(error)")
        }
        // The usual ones are fine.
        for rate in [9600, 115_200, 921_600] {
            #expect(try SerialPort(path: socat.board, settings: .init(baudrate: rate)).backend == .termios)
        }
    }
}
