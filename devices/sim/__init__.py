"""Simulators for every device, usable from Python (start/stop or ``with``) by tests and the demo.

* ``SimSerialScanner`` — a serial scanner on a pty that types codes.
* ``SimProbe`` — a probe board on a pty speaking the ASCII protocol; drifts, can fail.
* ``SimModbusSlave`` — Modbus RTU temperature probes on a pty.
* ``SimNetworkPrinter`` — a TCP 9100 printer with DLE EOT status; the file printer is
  ``open_printer("file:///path")``.
* ``SimCamera`` / ``write_code_folder`` — a camera that plays an image folder or a video.
"""
from devices.sim.camera import SimCamera, write_code_folder
from devices.sim.modbus_slave import SimModbusSlave
from devices.sim.network_printer import SimNetworkPrinter
from devices.sim.probe import SimProbe
from devices.sim.pty import PtyPair
from devices.sim.serial_scanner import SimSerialScanner

__all__ = ["PtyPair", "SimCamera", "SimModbusSlave", "SimNetworkPrinter", "SimProbe",
           "SimSerialScanner", "write_code_folder"]
