"""Request bodies are refused while they arrive, before any credential is looked at: a
200 MB chunked upload without a token is cut off at the endpoint's limit (HQ's memory does
not follow it), and a body that stops short of its Content-Length gets a 408 instead of
holding HQ. HQ runs as its own process (``store-edge hq serve``) so its memory is its own."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.fixture
def hq_process(hq_db_url, wait_until):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.hq.cli", "hq", "serve", "--db", hq_db_url, "--port", "0",
         "--sweep-interval", "0", "--body-timeout", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    line = proc.stdout.readline()  # "HQ listening on http://127.0.0.1:PORT  db=..."
    found = re.search(r":(\d+)\s", line)
    assert found, (line, proc.stderr.read() if proc.poll() is not None else "")
    port = int(found.group(1))
    assert wait_until(lambda: _accepts(port), timeout=30), "HQ did not start listening"
    yield proc, port
    proc.terminate()
    proc.wait(timeout=20)


def _rss(pid: int) -> int:
    """Resident memory of a process, in bytes (Linux /proc)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _read_answer(sock: socket.socket) -> bytes:
    """Status line, headers and the body (by its Content-Length)."""
    data = b""
    while True:
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: (\d+)", head, re.I)
        if _ and length and len(body) >= int(length.group(1)):
            return data
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def _chunked_upload(port: int, path: str, total: int, piece: int = 64 * 1024) -> tuple[int, int]:
    """POST ``total`` bytes as a chunked body without credentials, stopping as soon as HQ
    answers; returns (HTTP status, bytes of body sent before the answer)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: hq\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n".encode())
    frame = f"{piece:x}\r\n".encode() + b"[" * piece + b"\r\n"
    sent = 0
    try:
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 60)
            if readable:
                break
            assert writable, "HQ neither reads nor answers"
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += piece
        return _status(_read_answer(sock)), sent
    finally:
        sock.close()


def test_a_huge_chunked_body_without_credentials_is_refused_while_it_arrives(hq_process):
    proc, port = hq_process
    before = _rss(proc.pid)
    status, sent = _chunked_upload(port, "/v1/sync/push", 200 * MB)
    assert status == 413
    assert sent < 40 * MB  # HQ stopped reading at its 4 MB limit (plus what socket buffers hold)
    assert _rss(proc.pid) - before < 50 * MB  # 200 MB never reached HQ's memory
    # per endpoint: an order may carry far less than a push
    status, sent = _chunked_upload(port, "/v1/orders", 60 * MB)
    assert status == 413 and sent < 30 * MB


def test_a_body_shorter_than_its_content_length_times_out(hq_process):
    proc, port = hq_process
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)  # a generous bound, not a measure
    try:
        sock.sendall(b"POST /v1/sync/push HTTP/1.1\r\nHost: hq\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"events\": [")
        answer = _read_answer(sock)
    finally:
        sock.close()
    assert _status(answer) == 408, answer
    assert b"body_timeout" in answer
