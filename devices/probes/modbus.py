"""Modbus RTU probes via minimalmodbus: one or more slave ids per RS-485 port.

Each probe is a slave whose holding register (default 0, function 3) holds the temperature in
tenths of a degree, signed 16-bit (e.g. -185 = -18.5 °C) — the usual layout of cheap RS-485
temperature transmitters; ``register``, ``functioncode`` and ``decimals`` are configurable.
minimalmodbus is pinned to 2.1.x (pyproject); its API has been stable there.
"""
from __future__ import annotations

from dataclasses import dataclass

import minimalmodbus
import serial

from devices.probes.ascii_protocol import MAX_C, MIN_C
from devices.probes.readings import ProbeLineError, Reading, utcnow


@dataclass(frozen=True)
class ModbusProbe:
    probe_id: str
    slave: int
    register: int = 0
    functioncode: int = 3
    decimals: int = 1


class ModbusPort:
    """Polls every configured slave on one serial port."""

    def __init__(self, port: str, probes: list[ModbusProbe], baud: int = 9600,
                 timeout_s: float = 0.3) -> None:
        self.port = port
        self.probes = probes
        self.baud = baud
        self.timeout_s = timeout_s
        self._instruments: dict[int, minimalmodbus.Instrument] = {}

    def _instrument(self, slave: int) -> minimalmodbus.Instrument:
        inst = self._instruments.get(slave)
        if inst is None:
            # minimalmodbus shares one serial.Serial per port name between instruments
            inst = minimalmodbus.Instrument(self.port, slave, close_port_after_each_call=False)
            inst.serial.baudrate = self.baud
            inst.serial.timeout = self.timeout_s
            inst.clear_buffers_before_each_transaction = True
            self._instruments[slave] = inst
        return inst

    def poll(self, probe: ModbusProbe) -> Reading | ProbeLineError:
        """Read one probe. Port errors (unplugged) raise ``serial.SerialException``/``OSError``
        for the reader to turn into a status; protocol errors come back as values."""
        try:
            value = self._instrument(probe.slave).read_register(
                probe.register, probe.decimals, probe.functioncode, signed=True)
        except minimalmodbus.NoResponseError as e:
            return ProbeLineError("no_response", probe_id=probe.probe_id, detail=str(e))
        except (minimalmodbus.InvalidResponseError, minimalmodbus.ModbusException) as e:
            return ProbeLineError("bad_response", probe_id=probe.probe_id, detail=str(e))
        c = float(value)
        if not MIN_C <= c <= MAX_C:
            return ProbeLineError("out_of_range", probe_id=probe.probe_id, detail=f"{c} °C")
        return Reading(probe.probe_id, c, None, utcnow(), "modbus")

    def close(self) -> None:
        for inst in self._instruments.values():
            try:
                inst.serial.close()
            except Exception:
                pass
        minimalmodbus._serialports.pop(self.port, None)  # let a replugged port reopen
        self._instruments.clear()


SerialErrors = (serial.SerialException, OSError)
