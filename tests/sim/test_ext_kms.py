"""The KMS extension: a symmetric key makes no RSA pair, an asymmetric key signs as before.

Region ap-northeast-3 is this module's own: nothing else makes KMS keys there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tui.sim.server import SimServer

REGION = "ap-northeast-3"
ACCOUNT = "123456789012"

ClientMaker = Callable[..., Any]


def _moto_key(key_id: str) -> Any:
    from moto.kms.models import kms_backends

    return kms_backends[ACCOUNT][REGION].keys[key_id]


def test_a_symmetric_key_makes_no_private_key_and_still_encrypts(sim: SimServer, client: ClientMaker) -> None:
    kms = client("kms", region=REGION)
    key_id = kms.create_key(Description="ledger")["KeyMetadata"]["KeyId"]
    assert not _moto_key(key_id).private_key.made
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"hello")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"
    assert not _moto_key(key_id).private_key.made


def test_the_seeded_keys_made_none_either(sim: SimServer) -> None:
    from moto.kms.models import kms_backends

    keys = [
        key for key in kms_backends[ACCOUNT]["us-east-1"].keys.values() if key.key_spec == "SYMMETRIC_DEFAULT"
    ]
    assert keys, "the workload seeded no symmetric key"
    assert all(not key.private_key.made for key in keys)


def test_an_asymmetric_key_signs_verifies_and_gives_its_public_key(
    sim: SimServer, client: ClientMaker
) -> None:
    kms = client("kms", region=REGION)
    key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=key_id, Message=b"x", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    verified = kms.verify(
        KeyId=key_id, Message=b"x", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256"
    )
    assert verified["SignatureValid"] is True
    assert kms.get_public_key(KeyId=key_id)["PublicKey"]


def test_a_spec_moto_refuses_is_refused_when_the_key_is_made(sim: SimServer, client: ClientMaker) -> None:
    kms = client("kms", region=REGION)
    with pytest.raises(ClientError, match="ValidationException"):
        kms.create_key(KeySpec="RSA_1024")


def test_a_deferred_key_is_made_once_on_first_use() -> None:
    from tui.sim.extensions.kms import _deferred_class

    made: list[str] = []

    class Real:
        def public_key(self) -> bytes:
            return b"public"

        def sign(self, message: bytes, signing_algorithm: str) -> bytes:
            return message[::-1]

    def make(spec: str) -> Real:
        made.append(spec)
        return Real()

    key = _deferred_class()(make, "SYMMETRIC_DEFAULT")
    assert made == [] and not key.made
    assert key.public_key() == b"public"
    assert key.sign(b"ab", "any") == b"ba"
    assert made == ["SYMMETRIC_DEFAULT"] and key.made
