"""Barcode scanners: keyboard-wedge detection and serial scanners. Cameras live in devices.camera."""
from devices.scanners.serial_scanner import ScannerError, SerialScanner
from devices.scanners.wedge import Event, Scan, Typed, WedgeDetector

__all__ = ["Event", "Scan", "ScannerError", "SerialScanner", "Typed", "WedgeDetector"]
