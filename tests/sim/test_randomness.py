"""moto's seeded identifiers do not depend on what other threads draw inside ``own_stream``."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from tui.sim.randomness import drawing_aside, own_stream

DEADLINE_S = 10.0


@pytest.fixture
def shared() -> Iterator[object]:
    from moto.moto_api._internal import mock_random

    state = mock_random.getstate()
    yield mock_random
    mock_random.setstate(state)


def _identifiers(shared: object) -> list[object]:
    """Seed 7's first identifiers, letting other threads run between them."""
    from moto.moto_api._internal import mock_random

    assert mock_random is shared
    mock_random.seed(7)
    drawn: list[object] = []
    for _ in range(100):
        drawn.append(mock_random.get_random_hex(17))
        time.sleep(0)  # lets the other thread draw
    return [*drawn, str(mock_random.uuid4()), mock_random.random(), mock_random.choice("abcdef")]


def _beside_a_client(shared: object, *, aside: bool) -> tuple[list[object], int]:
    """Seed 7's identifiers while another thread draws request ids (in its own stream or not)."""
    from moto.moto_api._internal import mock_random

    drawing, stop = threading.Event(), threading.Event()
    drew = [0]

    def client() -> None:
        with own_stream() if aside else contextlib.nullcontext():
            while not stop.is_set():
                mock_random.get_random_hex(52)  # a request id
                drew[0] += 1
                drawing.set()
                time.sleep(0)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    assert drawing.wait(DEADLINE_S)
    before = drew[0]
    found = _identifiers(shared)
    during = drew[0] - before
    stop.set()
    thread.join(DEADLINE_S)
    return found, during


def test_draws_inside_own_stream_leave_the_seeded_stream_alone(shared: object) -> None:
    from moto.moto_api._internal import mock_random

    alone = _identifiers(shared)
    beside, during = _beside_a_client(shared, aside=True)
    assert during > 0, "the other thread never drew while the identifiers were drawn"
    assert beside == alone
    assert type(mock_random).__name__ == "MotoRandom", "moto's object kept the class of own_stream"


def test_draws_outside_own_stream_would_have_moved_the_ids(shared: object) -> None:
    """The case own_stream exists for: a draw from another thread shifts later identifiers."""
    alone = _identifiers(shared)
    beside, during = _beside_a_client(shared, aside=False)
    assert during > 0, "the other thread never drew while the identifiers were drawn"
    assert beside != alone


def test_own_stream_nests_and_says_whether_the_thread_draws_aside() -> None:
    assert not drawing_aside()
    with own_stream():
        assert drawing_aside()
        with own_stream():
            assert drawing_aside()
        assert drawing_aside()
    assert not drawing_aside()
