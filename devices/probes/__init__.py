"""Fridge/freezer temperature probes: ASCII line protocol and Modbus RTU over serial."""
from devices.probes.ascii_protocol import format_line, parse_line
from devices.probes.modbus import ModbusPort, ModbusProbe
from devices.probes.readings import ProbeLineError, Reading
from devices.probes.reader import ProbeReader

__all__ = ["ModbusPort", "ModbusProbe", "ProbeLineError", "ProbeReader", "Reading",
           "format_line", "parse_line"]
