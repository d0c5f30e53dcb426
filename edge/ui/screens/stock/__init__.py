"""Stock: levels per SKU and lot, near-expiry, receiving, counts and adjustments (ctrl+t).

``StockScreen`` (screen.py) is the page; ``StockActionScreen`` (dialog.py) a manager's count,
adjustment, grant or take-back; ``receipt.py`` checks a transfer in before it is booked.
"""

from edge.ui.screens.stock.screen import StockScreen

__all__ = ["StockScreen"]
