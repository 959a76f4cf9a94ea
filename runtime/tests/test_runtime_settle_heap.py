"""A service's start-up heap is kept out of the garbage collector's walks, and young objects are
collected in larger steps: consumers hold tens of thousands of objects per batch."""

import gc
import weakref
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from billing_runtime.service import YOUNG_OBJECTS_PER_COLLECTION, create_service_app, settle_heap
from billing_runtime.settings import ServiceRole


@pytest.fixture
def collector():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class _Engine:
    async def dispose(self) -> None:
        pass


def test_settling_freezes_what_exists_and_later_objects_are_still_collected(collector):
    made_at_start_up = [[n] for n in range(1_000)]  # containers: the collector would walk them

    settle_heap()

    assert gc.get_freeze_count() >= len(made_at_start_up)
    assert gc.get_threshold()[0] == YOUNG_OBJECTS_PER_COLLECTION
    made_later = [[n] for n in range(10)]
    walked = {id(o) for o in gc.get_objects()}
    assert id(made_later[0]) in walked  # still collected
    assert id(made_at_start_up[0]) not in walked  # frozen: out of every walk


def test_cyclic_garbage_is_still_collected_once_enough_objects_are_made(collector):
    settle_heap()
    gc.collect()

    class Node:
        pass

    cycle = Node()
    cycle.itself = cycle
    freed = []
    weakref.finalize(cycle, freed.append, True)
    del cycle
    kept = [[n] for n in range(YOUNG_OBJECTS_PER_COLLECTION // 2)]
    assert freed == []  # not yet: the young generation is not full
    kept += [[n] for n in range(YOUNG_OBJECTS_PER_COLLECTION)]
    assert freed == [True]  # no explicit collect: the threshold still triggers one
    del kept


def test_a_service_settles_its_heap_when_it_starts(collector):
    runtime = SimpleNamespace(settings=SimpleNamespace(service_role=ServiceRole.HTTP, service_name="test"),
                              engine=_Engine())
    gc.unfreeze()

    with TestClient(create_service_app(runtime)):
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_OBJECTS_PER_COLLECTION
