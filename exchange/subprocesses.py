"""Ending a child process the node (or a test) started: politely, then for sure."""

from __future__ import annotations

import subprocess


def end(process: subprocess.Popen[bytes] | subprocess.Popen[str], seconds: float) -> None:
    """Ask ``process`` to stop (SIGTERM); kill it if it has not within ``seconds``."""
    process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
