package lamscn.android.ble

import android.Manifest
import android.bluetooth.BluetoothDevice
import android.bluetooth.BluetoothGatt
import android.bluetooth.BluetoothGattCallback
import android.bluetooth.BluetoothGattCharacteristic
import android.bluetooth.BluetoothGattDescriptor
import android.bluetooth.BluetoothProfile
import android.bluetooth.BluetoothStatusCodes
import android.content.Context
import android.os.Build
import androidx.annotation.RequiresPermission
import lamscn.core.Device
import lamscn.core.Movesense
import lamscn.core.PolarPmd
import java.util.UUID

/**
 * The Bluetooth transport for one sensor: connect, MTU, CCCDs, start commands, then every
 * notification's bytes to [Listener] (the codecs are in :core). One GATT operation at a time:
 * each runs when the previous one's callback arrives.
 *
 * Polar H10: request an MTU of at least [MIN_MTU] (a 73-sample frame is 229 bytes), enable
 * indications on the PMD control point and notifications on PMD data (CCCD 0x2902), then write the
 * start commands to the control point. Movesense: notifications on the data characteristic, then
 * HELLO and SUBSCRIBE `/Meas/ECG/<rate>` on the command characteristic.
 */
class GattSensor(private val context: Context, private val target: BluetoothDevice, private val device: Device, private val listener: Listener) :
    BluetoothGattCallback() {

    interface Listener {
        fun onStatus(line: String)
        fun onSubscribed()
        fun onControl(value: ByteArray)
        fun onData(value: ByteArray)
        fun onClosed(reason: String)
    }

    private var gatt: BluetoothGatt? = null
    private val queue = ArrayDeque<() -> Unit>()
    private var busy = false
    private var stopping = false

    @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
    fun connect() {
        listener.onStatus("connecting to ${device.label} ${target.address}")
        gatt = target.connectGatt(context, false, this, BluetoothDevice.TRANSPORT_LE)
    }

    /** Write the stop commands, then disconnect. */
    @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
    fun stop() {
        stopping = true
        val g = gatt ?: return
        val ch = controlCharacteristic(g)
        if (ch != null) device.stopCommands().forEach { cmd -> enqueue { write(g, ch, cmd) } }
        enqueue { g.disconnect() }
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
    override fun onConnectionStateChange(g: BluetoothGatt, status: Int, newState: Int) {
        when {
            newState == BluetoothProfile.STATE_CONNECTED && status == BluetoothGatt.GATT_SUCCESS -> {
                listener.onStatus("connected; requesting MTU $MIN_MTU")
                if (!g.requestMtu(MIN_MTU)) g.discoverServices()
            }
            newState == BluetoothProfile.STATE_DISCONNECTED -> {
                g.close()
                gatt = null
                listener.onClosed(if (stopping) "disconnected" else "connection lost (GATT status $status)")
            }
            else -> listener.onStatus("GATT state $newState, status $status")
        }
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
    override fun onMtuChanged(g: BluetoothGatt, mtu: Int, status: Int) {
        if (device is Device.PolarH10 && mtu < MIN_MTU) listener.onStatus("MTU $mtu is below $MIN_MTU: ECG frames may not fit")
        g.discoverServices()
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
    override fun onServicesDiscovered(g: BluetoothGatt, status: Int) {
        val control = controlCharacteristic(g)
        val data = characteristic(g, dataUuid)
        if (status != BluetoothGatt.GATT_SUCCESS || control == null || data == null) {
            listener.onStatus("${device.label}: the ECG service is missing (status $status)")
            g.disconnect()
            return
        }
        if (device is Device.PolarH10) enqueue { subscribe(g, control, BluetoothGattDescriptor.ENABLE_INDICATION_VALUE) }
        enqueue { subscribe(g, data, BluetoothGattDescriptor.ENABLE_NOTIFICATION_VALUE) }
        device.startCommands().forEach { cmd -> enqueue { write(g, control, cmd) } }
        enqueue { listener.onStatus("start commands written; waiting for ECG"); listener.onSubscribed(); done() }
    }

    override fun onDescriptorWrite(g: BluetoothGatt, descriptor: BluetoothGattDescriptor, status: Int) {
        if (status != BluetoothGatt.GATT_SUCCESS) listener.onStatus("enabling ${descriptor.characteristic.uuid} failed (GATT status $status)")
        done()
    }

    override fun onCharacteristicWrite(g: BluetoothGatt, characteristic: BluetoothGattCharacteristic, status: Int) {
        if (status != BluetoothGatt.GATT_SUCCESS) listener.onStatus("write to ${characteristic.uuid} failed (GATT status $status)")
        done()
    }

    override fun onCharacteristicChanged(g: BluetoothGatt, characteristic: BluetoothGattCharacteristic, value: ByteArray) =
        deliver(characteristic.uuid, value)

    @Deprecated("Android 12 and older deliver the value on the characteristic")
    override fun onCharacteristicChanged(g: BluetoothGatt, characteristic: BluetoothGattCharacteristic) {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.TIRAMISU) {
            @Suppress("DEPRECATION")
            val value = characteristic.value.copyOf()
            deliver(characteristic.uuid, value)
        }
    }

    private fun deliver(uuid: UUID, value: ByteArray) = when (uuid) {
        dataUuid -> listener.onData(value)
        controlUuid -> listener.onControl(value)
        else -> Unit
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
    private fun subscribe(g: BluetoothGatt, ch: BluetoothGattCharacteristic, value: ByteArray) {
        g.setCharacteristicNotification(ch, true)
        val cccd = ch.getDescriptor(CCCD) ?: return listener.onStatus("${ch.uuid} has no CCCD 0x2902").also { done() }
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            requireSuccess(g.writeDescriptor(cccd, value), "enable ${ch.uuid}")
        } else {
            @Suppress("DEPRECATION")
            cccd.value = value
            @Suppress("DEPRECATION")
            if (!g.writeDescriptor(cccd)) fail("enable ${ch.uuid}: the write was not started")
        }
    }

    @RequiresPermission(Manifest.permission.BLUETOOTH_CONNECT)
    private fun write(g: BluetoothGatt, ch: BluetoothGattCharacteristic, value: ByteArray) {
        val type = BluetoothGattCharacteristic.WRITE_TYPE_DEFAULT // with response: the sensor answers on the control point
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            requireSuccess(g.writeCharacteristic(ch, value, type), "write ${ch.uuid}")
        } else {
            @Suppress("DEPRECATION")
            ch.writeType = type
            @Suppress("DEPRECATION")
            ch.value = value
            @Suppress("DEPRECATION")
            if (!g.writeCharacteristic(ch)) fail("write ${ch.uuid}: the write was not started")
        }
    }

    /** API 33+ GATT calls return a [BluetoothStatusCodes] value: anything but success ends this operation. */
    private fun requireSuccess(code: Int, what: String) {
        if (code != BluetoothStatusCodes.SUCCESS) fail("$what: ${statusName(code)}")
    }

    private fun fail(line: String) {
        listener.onStatus(line)
        done()
    }

    private fun enqueue(op: () -> Unit) = synchronized(queue) {
        queue.addLast(op)
        if (!busy) next()
    }

    private fun done() = synchronized(queue) {
        busy = false
        next()
    }

    private fun next() {
        val op = queue.removeFirstOrNull() ?: return
        busy = true
        op()
    }

    private val controlUuid: UUID = UUID.fromString(if (device is Device.PolarH10) PolarPmd.CONTROL_POINT_UUID else Movesense.COMMAND_UUID)
    private val dataUuid: UUID = UUID.fromString(if (device is Device.PolarH10) PolarPmd.DATA_UUID else Movesense.DATA_UUID)
    private val serviceUuid: UUID = UUID.fromString(if (device is Device.PolarH10) PolarPmd.SERVICE_UUID else Movesense.SERVICE_UUID)

    private fun characteristic(g: BluetoothGatt, uuid: UUID) = g.getService(serviceUuid)?.getCharacteristic(uuid)
    private fun controlCharacteristic(g: BluetoothGatt) = characteristic(g, controlUuid)

    companion object {
        private val CCCD: UUID = UUID.fromString("00002902-0000-1000-8000-00805f9b34fb")
        private const val ATT_HEADER_BYTES = 3

        /** The ATT MTU a full H10 ECG notification needs: its 229 bytes plus the ATT header (232). */
        val MIN_MTU = PolarPmd.HEADER_BYTES + PolarPmd.SAMPLE_BYTES * PolarPmd.SAMPLES_PER_FRAME + ATT_HEADER_BYTES

        fun statusName(code: Int): String = when (code) {
            BluetoothStatusCodes.ERROR_BLUETOOTH_NOT_ENABLED -> "Bluetooth is off"
            BluetoothStatusCodes.ERROR_BLUETOOTH_NOT_ALLOWED -> "Bluetooth is not allowed"
            BluetoothStatusCodes.ERROR_DEVICE_NOT_BONDED -> "device not bonded"
            BluetoothStatusCodes.ERROR_MISSING_BLUETOOTH_CONNECT_PERMISSION -> "missing BLUETOOTH_CONNECT permission"
            BluetoothStatusCodes.ERROR_GATT_WRITE_NOT_ALLOWED -> "write not allowed"
            BluetoothStatusCodes.ERROR_GATT_WRITE_REQUEST_BUSY -> "GATT busy"
            BluetoothStatusCodes.ERROR_PROFILE_SERVICE_NOT_BOUND -> "Bluetooth service not bound"
            else -> "status code $code"
        }
    }
}
