"""The store terminal UI (Textual): app.py, screens/, widgets/, service.py, app.tcss.

Textual redraws at most MAX_FPS times a second (60 by default), so a verdict known now may
wait up to a frame to be seen. The counter asks for 120: frames are only drawn when
something changed, and a scan → verdict → frame then takes ~8 ms less. Set TEXTUAL_FPS to
override; this must happen before Textual is first imported.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
