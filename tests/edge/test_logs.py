"""The UI's log goes to a file only: nothing a library logs may reach the terminal it draws on."""

from __future__ import annotations

import logging

from edge.logs import LOG_FILENAME, log_to_file


def test_log_to_file_takes_over_a_libraries_basic_config(tmp_path, capfd):
    """python-escpos calls logging.basicConfig() on import (before the UI starts): its stderr
    handler must not print the demo HQ's INFO lines across the screen."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    root.handlers.clear()
    try:
        logging.basicConfig()  # what `import escpos.capabilities` does
        path = log_to_file(tmp_path)
        logging.getLogger("httpx").info("HTTP Request: POST /v1/sync/push")
        logging.basicConfig()  # a later import finds a handler and adds none
        logging.getLogger("demo").warning("still only in the file")
        for h in root.handlers:
            h.flush()
        out, err = capfd.readouterr()
        assert out == "" and err == ""
        text = path.read_text(encoding="utf-8")
        assert path.name == LOG_FILENAME
        assert "HTTP Request: POST /v1/sync/push" in text and "still only in the file" in text
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
            h.close()
        root.handlers.extend(saved[0])
        root.setLevel(saved[1])
