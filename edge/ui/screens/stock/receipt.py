"""Checking a transfer in, carton by carton or product by product, before it is booked.

Nothing is written while checking: the check only tells the person what arrived and what is
still missing. Receiving (F5) books the whole transfer through
``transfers.receive_transfer`` in one transaction. A carton's label carries the transfer id,
and ``/<line>`` for the carton of one line (``T-3f9a/2``); a product's barcode or SKU ticks
one unit of its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edge.domain import catalog, transfers
from edge.store import Store


@dataclass(frozen=True)
class Scanned:
    """What a scanned or typed text names, looked up in one call on the store thread."""

    kind: str  # transfer | received | product | unknown
    transfer: transfers.Transfer | None = None
    line_no: int | None = None
    sku: str | None = None


def classify(store: Store, text: str) -> Scanned:
    """A carton label (transfer id, optionally /line), a product (barcode or SKU), or nothing."""
    text = text.strip()
    head, _, tail = text.rpartition("/")
    for transfer_id, line_no in ((text, None), (head, int(tail) if tail.isdigit() else -1)):
        if not transfer_id or line_no == -1:
            continue
        transfer = transfers.get(store.db, transfer_id)
        if transfer is not None:
            kind = "received" if transfer.status == "received" else "transfer"
            return Scanned(kind, transfer, line_no)
    product = catalog.find_product(store.db, text) if text.isprintable() else None
    if product is not None:
        return Scanned("product", sku=product["sku"])
    return Scanned("unknown")


@dataclass
class ReceiptCheck:
    """Units ticked per line of the transfer being checked in."""

    transfer: transfers.Transfer
    ticked: dict[int, int] = field(default_factory=dict)

    def tick_carton(self, line_no: int | None) -> bool:
        """A carton label: its line complete (a label without a line: the whole transfer).
        False when the transfer has no such line."""
        lines = [ln for ln in self.transfer.lines if line_no is None or ln.line_no == line_no]
        for line in lines:
            self.ticked[line.line_no] = line.qty
        return bool(lines)

    def tick_product(self, sku: str) -> str:
        """One unit of ``sku`` onto its first line not yet complete: ``ticked``; ``over`` when
        every line of it is complete already (said, not counted); ``absent`` when the
        transfer has no such product."""
        lines = [ln for ln in self.transfer.lines if ln.sku == sku]
        for line in lines:
            if self.done(line) < line.qty:
                self.ticked[line.line_no] = self.done(line) + 1
                return "ticked"
        return "over" if lines else "absent"

    def done(self, line: transfers.TransferLine) -> int:
        return self.ticked.get(line.line_no, 0)

    @property
    def lines_short(self) -> int:
        return sum(1 for ln in self.transfer.lines if self.done(ln) < ln.qty)

    @property
    def complete(self) -> bool:
        return self.lines_short == 0
