package lamscn.android.ble

import android.Manifest
import android.bluetooth.BluetoothAdapter
import android.bluetooth.le.ScanCallback
import android.bluetooth.le.ScanFilter
import android.bluetooth.le.ScanResult
import android.bluetooth.le.ScanSettings
import android.os.ParcelUuid
import androidx.annotation.RequiresPermission
import lamscn.core.Device
import lamscn.core.Movesense
import lamscn.core.PolarPmd

/** A sensor seen by the scan: its address, name and the core [Device] its advertised service says it is. */
data class FoundSensor(val address: String, val name: String, val device: Device)

/** BLE scan filtered on the Polar PMD and Movesense GSP services. */
class BleScanner(private val adapter: BluetoothAdapter, private val onFound: (FoundSensor) -> Unit, private val onError: (String) -> Unit) {
    private val pmd = ParcelUuid.fromString(PolarPmd.SERVICE_UUID)
    private val gsp = ParcelUuid.fromString(Movesense.SERVICE_UUID)

    private val callback = object : ScanCallback() {
        @Suppress("MissingPermission") // start() required it
        override fun onScanResult(callbackType: Int, result: ScanResult) {
            val uuids = result.scanRecord?.serviceUuids.orEmpty()
            val device = when {
                pmd in uuids -> Device.PolarH10()
                gsp in uuids -> Device.Movesense()
                else -> return
            }
            onFound(FoundSensor(result.device.address, result.device.name ?: result.scanRecord?.deviceName ?: result.device.address, device))
        }

        override fun onScanFailed(errorCode: Int) = onError("BLE scan failed (error $errorCode)")
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_SCAN)
    fun start() {
        val scanner = adapter.bluetoothLeScanner ?: return onError("Bluetooth is off")
        val filters = listOf(pmd, gsp).map { ScanFilter.Builder().setServiceUuid(it).build() }
        scanner.startScan(filters, ScanSettings.Builder().setScanMode(ScanSettings.SCAN_MODE_LOW_LATENCY).build(), callback)
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_SCAN)
    fun stop() {
        adapter.bluetoothLeScanner?.stopScan(callback)
    }
}
