// CoreBluetooth central: scan, connect, subscribe, and shuttle bytes between the radio and the
// core's `SensorSession`. Everything the bytes mean is decided in ECGCore; this file only moves them.
import CoreBluetooth
import ECGCore
import Foundation

/// A sensor seen while scanning.
struct DiscoveredSensor: Identifiable, Sendable, Equatable {
    let id: UUID
    let name: String
    let kind: Device.Kind
    let rssi: Int
}

/// What a connection reports besides ECG frames.
enum SensorStatus: Sendable, Equatable {
    case message(String)
    case streaming
    case ended(String)
}

/// One BLE central. All CoreBluetooth state is touched only on `queue` (the manager's delegate
/// queue), which is what makes the `@unchecked Sendable` sound.
final class BluetoothSensor: NSObject, @unchecked Sendable {
    private let queue = DispatchQueue(label: "lamscn.bluetooth")
    private var central: CBCentralManager?
    private var peripherals: [UUID: CBPeripheral] = [:]
    private var discoveries: AsyncStream<DiscoveredSensor>.Continuation?
    private var connection: Connection?
    private var watchdog: DispatchSourceTimer?
    private var closing: [CBPeripheral] = []

    private struct Connection {
        let peripheral: CBPeripheral
        var session: SensorSession
        let frames: AsyncStream<[UInt8]>.Continuation
        let status: AsyncStream<SensorStatus>.Continuation
        var command: CBCharacteristic?
        var data: CBCharacteristic?
        var started = false
    }

    private static var now: Double { ProcessInfo.processInfo.systemUptime }

    /// Scan for Polar H10 and Movesense sensors until `stopScan` or a connection.
    func scan() -> AsyncStream<DiscoveredSensor> {
        AsyncStream { continuation in
            queue.async {
                self.discoveries?.finish()
                self.discoveries = continuation
                if let central = self.central, central.state == .poweredOn {
                    central.scanForPeripherals(withServices: nil)
                } else if self.central == nil {
                    self.central = CBCentralManager(delegate: self, queue: self.queue)
                }
            }
        }
    }

    func stopScan() {
        queue.async {
            self.central?.stopScan()
            self.discoveries?.finish()
            self.discoveries = nil
        }
    }

    /// Connect to a discovered sensor and start its ECG stream: frames for the live loop, and
    /// status lines for the screen. Both streams end when the session ends.
    func connect(_ sensor: DiscoveredSensor, device: Device,
                 noDataSeconds: Double) -> (frames: AsyncStream<[UInt8]>, status: AsyncStream<SensorStatus>) {
        let (frames, framesContinuation) = AsyncStream.makeStream(of: [UInt8].self)
        let (status, statusContinuation) = AsyncStream.makeStream(of: SensorStatus.self)
        queue.async {
            guard let central = self.central, let peripheral = self.peripherals[sensor.id] else {
                statusContinuation.yield(.ended("\(sensor.name) is no longer in range"))
                framesContinuation.finish()
                statusContinuation.finish()
                return
            }
            central.stopScan()
            self.connection = Connection(peripheral: peripheral, session: SensorSession(device: device, noDataSeconds: noDataSeconds),
                                         frames: framesContinuation, status: statusContinuation)
            statusContinuation.yield(.message("connecting to \(sensor.name)"))
            central.connect(peripheral)
            self.startWatchdog()
        }
        return (frames, status)
    }

    /// Stop the stream (the sensor is told to stop) and disconnect.
    func disconnect() {
        queue.async {
            guard var c = self.connection else { return }
            if c.started, let actions = try? c.session.stop() {
                self.connection = c
                self.perform(actions)
            }
            self.finish("stopped", cancelAfter: 0.5)  // let the stop command reach the sensor
        }
    }

    private func startWatchdog() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in
            guard let self, var c = self.connection else { return }
            let actions = c.session.tick(now: Self.now)
            self.connection = c
            self.perform(actions)
        }
        timer.resume()
        watchdog = timer
    }

    private func perform(_ actions: [SensorSession.Action]) {
        guard let c = connection else { return }
        for action in actions {
            switch action {
            case let .write(bytes):
                guard let command = c.command else { continue }
                c.peripheral.writeValue(Data(bytes), for: command, type: .withResponse)
            case let .ecg(bytes): c.frames.yield(bytes)
            case .streaming: c.status.yield(.streaming)
            case let .notice(message): c.status.yield(.message(message))
            case let .ended(message): finish(message)
            }
        }
    }

    private func finish(_ message: String, cancelAfter delay: Double = 0) {
        watchdog?.cancel()
        watchdog = nil
        guard let c = connection else { return }
        connection = nil
        c.status.yield(.ended(message))
        c.frames.finish()
        c.status.finish()
        closing.append(c.peripheral)
        queue.asyncAfter(deadline: .now() + delay) { self.closeConnections() }
    }

    private func closeConnections() {
        for p in closing { central?.cancelPeripheralConnection(p) }
        closing = []
    }
}

extension BluetoothSensor: CBCentralManagerDelegate {
    func centralManagerDidUpdateState(_ central: CBCentralManager) {
        switch central.state {
        case .poweredOn:
            if discoveries != nil { central.scanForPeripherals(withServices: nil) }
        case .unauthorized:
            connection?.status.yield(.message("Bluetooth permission is off: allow it in Settings"))
            discoveries?.finish()
        case .poweredOff:
            finish("Bluetooth is off")
        default:
            break
        }
    }

    func centralManager(_ central: CBCentralManager, didDiscover peripheral: CBPeripheral,
                        advertisementData: [String: Any], rssi RSSI: NSNumber) {
        let name = advertisementData[CBAdvertisementDataLocalNameKey] as? String ?? peripheral.name
        let services = (advertisementData[CBAdvertisementDataServiceUUIDsKey] as? [CBUUID] ?? []).map(\.uuidString)
        guard let kind = Device.Kind.advertised(name: name, serviceUUIDs: services) else { return }
        peripherals[peripheral.identifier] = peripheral
        discoveries?.yield(DiscoveredSensor(id: peripheral.identifier, name: name ?? kind.rawValue, kind: kind,
                                            rssi: RSSI.intValue))
    }

    func centralManager(_ central: CBCentralManager, didConnect peripheral: CBPeripheral) {
        guard let c = connection, c.peripheral == peripheral else { return }
        peripheral.delegate = self
        peripheral.discoverServices([CBUUID(string: c.session.device.kind.gatt.service)])
    }

    func centralManager(_ central: CBCentralManager, didFailToConnect peripheral: CBPeripheral, error: (any Error)?) {
        finish("could not connect: \(error?.localizedDescription ?? "unknown error")")
    }

    func centralManager(_ central: CBCentralManager, didDisconnectPeripheral peripheral: CBPeripheral,
                        error: (any Error)?) {
        finish("disconnected" + (error.map { ": \($0.localizedDescription)" } ?? ""))
    }
}

extension BluetoothSensor: CBPeripheralDelegate {
    func peripheral(_ peripheral: CBPeripheral, didDiscoverServices error: (any Error)?) {
        guard let c = connection else { return }
        let gatt = c.session.device.kind.gatt
        guard let service = peripheral.services?.first(where: { $0.uuid == CBUUID(string: gatt.service) }) else {
            return finish("\(peripheral.name ?? "the sensor") has no ECG service")
        }
        peripheral.discoverCharacteristics([CBUUID(string: gatt.command), CBUUID(string: gatt.data)], for: service)
    }

    func peripheral(_ peripheral: CBPeripheral, didDiscoverCharacteristicsFor service: CBService, error: (any Error)?) {
        guard var c = connection else { return }
        let gatt = c.session.device.kind.gatt
        c.command = service.characteristics?.first { $0.uuid == CBUUID(string: gatt.command) }
        c.data = service.characteristics?.first { $0.uuid == CBUUID(string: gatt.data) }
        connection = c
        guard let command = c.command, let data = c.data else { return finish("the ECG characteristics are missing") }
        if command.properties.contains(.indicate) || command.properties.contains(.notify) {
            peripheral.setNotifyValue(true, for: command)  // Polar's control point answers by indication
        }
        peripheral.setNotifyValue(true, for: data)
    }

    func peripheral(_ peripheral: CBPeripheral, didUpdateNotificationStateFor characteristic: CBCharacteristic,
                    error: (any Error)?) {
        guard var c = connection else { return }
        if let error { return finish("could not subscribe: \(error.localizedDescription)") }
        guard characteristic.uuid == c.data?.uuid, !c.started else { return }
        c.started = true
        do {
            let actions = try c.session.start(now: Self.now)
            connection = c
            perform(actions)
        } catch {
            finish(error.message)
        }
    }

    func peripheral(_ peripheral: CBPeripheral, didUpdateValueFor characteristic: CBCharacteristic, error: (any Error)?) {
        guard var c = connection, let value = characteristic.value else { return }
        let bytes = [UInt8](value)
        let actions = characteristic.uuid == c.data?.uuid
            ? c.session.receivedData(bytes, now: Self.now)
            : c.session.receivedControlPoint(bytes, now: Self.now)
        connection = c
        perform(actions)
    }

    func peripheral(_ peripheral: CBPeripheral, didWriteValueFor characteristic: CBCharacteristic, error: (any Error)?) {
        if let error { connection?.status.yield(.message("a command was refused: \(error.localizedDescription)")) }
    }
}
