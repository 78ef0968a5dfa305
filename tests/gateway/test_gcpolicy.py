import gc
import weakref
from collections.abc import Iterator

import pytest

from cryptotracker.gateway.gcpolicy import GcPolicy


class _Node:
    me: object = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_of_new_connections_are_frozen_and_swept_after_many_close(unfrozen: None) -> None:
    counts = {"opened": 0, "closed": 0}
    policy = GcPolicy(lambda: counts["opened"], lambda: counts["closed"], sweep_after=10)
    policy.tick()
    assert gc.get_freeze_count() == 0  # nothing opened: nothing frozen

    counts["opened"] = 40
    kept = [[i] for i in range(1000)]  # what the new connections hold
    policy.tick()
    frozen = gc.get_freeze_count()
    assert frozen >= len(kept)

    counts["closed"] = 9  # fewer than sweep_after and than a quarter of those open
    policy.tick()
    assert gc.get_freeze_count() >= frozen

    node = _Node()
    node.me = node
    alive = weakref.ref(node)
    gc.freeze()  # a closed connection's cycle, frozen: only a sweep frees it
    del node
    gc.collect()
    assert alive() is not None

    counts["closed"] = 20
    policy.tick()
    assert alive() is None
    assert gc.get_freeze_count() > 0  # frozen again after the sweep
