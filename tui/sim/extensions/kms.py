"""KMS keys without an RSA key pair nobody asked for.

moto 5.2 gives every key a private key for Sign, Verify and GetPublicKey, which only asymmetric
keys answer; a symmetric key (SYMMETRIC_DEFAULT, HMAC_*) gets a 2048-bit RSA pair anyway, 20 to
200 ms of the simulator's start each (the workload makes one key in each account it seeds).
``install()`` makes that pair when it is first used, which for a symmetric key is never: a key
of an asymmetric spec (RSA_*, ECC_*, SM2) still gets its own at once, so a spec moto refuses is
refused when the key is created, as before. The pair comes from the operating system's
randomness, never from moto's seeded stream, so making it later changes no identifier.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

ASYMMETRIC_PREFIXES = ("RSA_", "ECC_", "SM2")

_install_lock = threading.Lock()
_installed = False


def _deferred_class() -> type:
    from moto.kms.utils import AbstractPrivateKey

    class DeferredPrivateKey(AbstractPrivateKey):
        """moto's private key for ``key_spec``, made on first use."""

        def __init__(self, make: Callable[[str], Any], key_spec: str) -> None:
            self._make = make
            self._key_spec = key_spec
            self._key: Any = None
            self._lock = threading.Lock()

        @property
        def made(self) -> bool:
            return self._key is not None

        def _real(self) -> Any:
            with self._lock:
                if self._key is None:
                    self._key = self._make(self._key_spec)
                return self._key

        def sign(self, message: bytes, signing_algorithm: str) -> bytes:
            signature: bytes = self._real().sign(message, signing_algorithm)
            return signature

        def verify(self, message: bytes, signature: bytes, signing_algorithm: str) -> bool:
            return bool(self._real().verify(message, signature, signing_algorithm))

        def public_key(self) -> bytes:
            key: bytes = self._real().public_key()
            return key

        def __getattr__(self, name: str) -> Any:
            # Anything else moto may read of its key (private_key, ...) is the real key's.
            if name.startswith("_"):
                raise AttributeError(name)
            return getattr(self._real(), name)

    return DeferredPrivateKey


def install() -> None:
    """Make the private key of a symmetric KMS key on first use (idempotent)."""
    global _installed
    import moto.kms.models as models

    with _install_lock:
        if _installed:
            return
        original = getattr(models, "generate_private_key", None)
        if not callable(original):
            raise RuntimeError("moto.kms.models has no generate_private_key: the KMS extension needs work")
        deferred = _deferred_class()

        def generate_private_key(key_spec: str) -> Any:
            if str(key_spec).startswith(ASYMMETRIC_PREFIXES):
                return original(key_spec)
            return deferred(original, key_spec)

        setattr(models, "generate_private_key", generate_private_key)  # noqa: B010
        _installed = True
    logger.debug("KMS keys make their private key on first use")
