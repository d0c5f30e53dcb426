"""Receipt and bag-label printing: documents, ESC/POS and TSPL rendering, transports, worker."""
from devices.printers.connections import (
    PrinterConnection, PrinterError, PrinterStatus, open_printer,
)
from devices.printers.documents import (
    BagLabel, BagLabelCaptions, Receipt, ReceiptCaptions, ReceiptLine, Report, ReportSection,
    format_money,
)
from devices.printers.escpos_decode import EscposParseError, Parsed, parse_escpos
from devices.printers.escpos_render import render_bag_label, render_receipt, render_report
from devices.printers.tspl_render import render_bag_label_tspl
from devices.printers.worker import PrintJob, PrintWorker

__all__ = [
    "BagLabel", "BagLabelCaptions", "EscposParseError", "Parsed", "PrintJob", "PrintWorker",
    "PrinterConnection", "PrinterError", "PrinterStatus", "Receipt", "ReceiptCaptions",
    "ReceiptLine", "Report", "ReportSection", "format_money", "open_printer", "parse_escpos", "render_bag_label",
    "render_bag_label_tspl", "render_receipt", "render_report",
]
