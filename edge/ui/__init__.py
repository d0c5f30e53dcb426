"""The store terminal UI (Textual): app.py, screens/, widgets/, service.py, app.tcss.

Textual draws a frame only when something changed, but at most MAX_FPS times a second (60 by
default), so a verdict known now may wait up to a frame period to be seen. The counter asks
for 240: idle screens still draw nothing, and scan → card drawn drops from ~25 to ~17 ms
median (bench/bench_counter.py). Set TEXTUAL_FPS to override; it must be set before Textual
is first imported, which is why it lives here.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "240")
