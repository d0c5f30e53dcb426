"""Hardware edge of store-edge: scanners, printers, probes and their simulators.

Each driver turns hardware into plain events (a scanned string, a temperature reading, a printer
status) and plain jobs (print these bytes). Nothing here knows about orders, and nothing here
imports ``edge`` or ``sync``. Drivers run in daemon threads (start/stop or ``with``) and report
trouble as :class:`devices.status.DeviceStatus`, never by raising into the app.

Where things are (import from the subpackage; ``import devices`` itself loads nothing heavy):

* ``devices.scanners``: ``WedgeDetector`` (keyboard scanners, pure logic), ``SerialScanner``.
* ``devices.camera``: ``make_decoder``, ``CameraReader``, ``open_source``.
* ``devices.printers``: ``Receipt``/``BagLabel``, ``render_receipt``/``render_bag_label``
  (ESC/POS), ``render_bag_label_tspl``, ``open_printer``, ``PrintWorker``, ``parse_escpos``.
* ``devices.probes``: ``ProbeReader`` (ASCII line protocol or Modbus RTU), ``parse_line``.
* ``devices.sim``: a simulator for each device. ``devices.config``: ``parse_devices_config``.
* ``devices.factory``: drivers built from a parsed config. ``devices.cli``: ``devices decode|check``.
* ``devices.messages``: zh-CN/en text for device-level messages and hints.
"""
