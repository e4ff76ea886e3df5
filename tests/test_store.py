"""The state stores: memory, SQLite (the default) and a real Redis behave the same, expire,
forget on request, and give one chat's updates one at a time."""

import asyncio
import itertools
import time

import pytest

from bot.flow import ChatState
from bot.store import ChatKeys, MemoryStore, RedisStore, SQLiteStore
from tests.redis_server import free_port

STATE = ChatState(language="sv", role="parent", municipality="norddjurs", age=9, topics={"school_absence": 3.0}, step="result")
_prefixes = itertools.count()


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request, tmp_path):
    """Builds a store of each kind (the tests close what they open); Redis keeps its own clock."""

    def make(ttl_seconds=3600.0, clock=None):
        if request.param == "memory":
            store = MemoryStore(ttl_seconds, clock=clock or time.monotonic)
        elif request.param == "sqlite":
            store = SQLiteStore(tmp_path / "state.sqlite3", ttl_seconds, clock=clock or time.time)
        else:
            url = request.getfixturevalue("redis_url")
            store = RedisStore(url, ttl_seconds, prefix=f"test{next(_prefixes)}-{time.time_ns()}:")
        return store

    make.kind = request.param
    return make


async def test_a_state_comes_back_as_saved_and_is_forgotten_on_delete(make_store):
    store = make_store()
    await store.save("chat-a", STATE.to_dict())
    assert ChatState.from_dict(await store.load("chat-a")) == STATE
    assert await store.load("chat-b") is None
    await store.delete("chat-a")
    assert await store.load("chat-a") is None
    await store.close()


async def test_states_expire(make_store):
    if make_store.kind == "redis":
        store = make_store(ttl_seconds=0.3)  # Redis keeps its own clock
        await store.save("chat", STATE.to_dict())
        assert await store.load("chat") is not None
        await asyncio.sleep(0.5)
    else:
        clock = Clock()
        store = make_store(ttl_seconds=60, clock=clock)
        await store.save("chat", STATE.to_dict())
        clock.now += 59
        assert await store.load("chat") is not None
        clock.now += 2
    assert await store.load("chat") is None
    await store.close()


async def test_a_store_says_whether_it_is_reachable(make_store):
    store = make_store()
    assert await store.reachable()
    await store.close()
    if make_store.kind == "sqlite":
        assert not await store.reachable()  # its connection is closed


async def test_a_redis_that_does_not_answer_is_reported_unreachable():
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    assert not await store.reachable()
    await store.close()


async def test_ttl_zero_keeps_nothing(make_store):
    store = make_store(ttl_seconds=0)
    await store.save("chat", STATE.to_dict())
    assert await store.load("chat") is None
    await store.close()


async def test_the_chat_lock_runs_one_update_at_a_time(make_store):
    """Read-modify-write from many tasks at once loses nothing when each holds the chat lock."""
    store = make_store()
    await store.save("chat", {"count": 0})

    async def increment():
        async with store.lock("chat"):
            count = (await store.load("chat"))["count"]
            await asyncio.sleep(0)  # let the others run, as real I/O would
            await store.save("chat", {"count": count + 1})

    await asyncio.gather(*(increment() for _ in range(25)))
    assert (await store.load("chat"))["count"] == 25
    await store.close()


async def test_sqlite_keeps_state_across_a_restart_and_expiry_leaves_no_trace(tmp_path):
    path, clock = tmp_path / "state.sqlite3", Clock()
    first = SQLiteStore(path, ttl_seconds=60, clock=clock)
    await first.save("chat-old", {**STATE.to_dict(), "municipality": "hedensted"})
    await first.close()
    restarted = SQLiteStore(path, ttl_seconds=60, clock=clock)
    assert (await restarted.load("chat-old"))["municipality"] == "hedensted"
    clock.now += 61
    await restarted.save("chat-new", STATE.to_dict())  # any write purges what has expired
    assert len(restarted) == 1
    await restarted.close()
    assert b"hedensted" not in path.read_bytes()  # secure_delete: the old row is overwritten, not just unlinked


async def test_redis_leaves_no_keys_after_delete_and_expiry(redis_url):
    store = RedisStore(redis_url, ttl_seconds=0.3, prefix="leftovers:")
    await store.save("a", STATE.to_dict())
    await store.save("b", STATE.to_dict())
    async with store.lock("a"):
        pass
    await store.delete("a")
    await asyncio.sleep(0.5)
    assert await store.client.keys("leftovers:*") == []
    await store.close()


def test_chat_keys_are_stable_keyed_and_do_not_show_the_id():
    keys = ChatKeys("secret")
    assert keys(123456789) == ChatKeys("secret")(123456789)
    assert keys(123456789) != ChatKeys("other")(123456789)
    assert "123456789" not in keys(123456789)
