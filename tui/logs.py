"""Logging goes to a file, never to the terminal the console draws on."""

from __future__ import annotations

import logging
import logging.handlers
import warnings
from pathlib import Path

from tui.paths import log_file

_NOISY = ("werkzeug", "moto", "botocore", "boto3", "urllib3", "aiobotocore", "asyncio", "aiohttp")


def configure(level: int = logging.INFO, path: Path | None = None) -> Path:
    """Route every log record to a rotating file; drop handlers that write to a stream."""
    target = path or log_file()
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.handlers.RotatingFileHandler(
        target, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY:
        noisy = logging.getLogger(name)
        noisy.setLevel(logging.WARNING)
        for h in list(noisy.handlers):
            noisy.removeHandler(h)
        noisy.propagate = True
    logging.captureWarnings(True)
    warnings.simplefilter("ignore", DeprecationWarning)
    return target
