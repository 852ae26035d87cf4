"""Logging goes to a file, never to the terminal the console draws on: ``configure`` for a command
that owns the process, ``silence_library_logs`` for the simulator started inside another's."""

from __future__ import annotations

import logging
import logging.handlers
import warnings
from pathlib import Path

from tui.common.paths import log_file

LIBRARY_LOGGERS = ("werkzeug", "moto", "botocore", "boto3", "urllib3", "aiobotocore")
"""Loggers of moto's server and the AWS SDKs: chatty at INFO, and by default written to stderr."""
_NOISY = (*LIBRARY_LOGGERS, "asyncio", "aiohttp")


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


def silence_library_logs() -> None:
    """Keep moto's request log and library chatter off the terminal the console draws on.

    With no handler on the root logger, Python's last-resort handler and Flask's default handler
    would both write to stderr; a NullHandler there keeps records flowing to whatever file handler
    the caller configures, and nowhere else.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING if name != "werkzeug" else logging.ERROR)
        logger.propagate = True
