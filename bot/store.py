"""Per-chat state behind a small interface, so the flow does not care where it lives.

Only the answers the flow needs are stored (language, role, municipality, age, topic ids,
severity, step) - never what the person wrote. Chats are stored under a keyed hash of the chat
id (see `ChatKeys`), never the id itself. Every state expires after `ttl_seconds`; a ttl of 0
switches keeping state off.

    MemoryStore   for tests and the terminal
    SQLiteStore   the default: one embedded file that survives restarts
    RedisStore    when REDIS_URL is set, so several processes can serve one bot

Each store also hands out a per-chat lock, so one chat's updates are handled one at a time -
across processes for Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

DEFAULT_TTL_SECONDS = 24 * 3600


class ChatKeys:
    """Turns chat ids into keyed hashes for storage and logs: stable per key, not reversible."""

    def __init__(self, secret: str):
        self._secret = secret.encode()

    def __call__(self, chat_id: int) -> str:
        return hmac.new(self._secret, str(chat_id).encode(), hashlib.sha256).hexdigest()[:24]


class StateStore(Protocol):
    ttl_seconds: float
    errors: tuple[type[BaseException], ...]  # what the backend raises when it cannot answer

    async def load(self, chat_key: str) -> dict[str, Any] | None: ...
    async def save(self, chat_key: str, state: dict[str, Any]) -> None: ...
    async def delete(self, chat_key: str) -> None: ...
    def lock(self, chat_key: str) -> AbstractAsyncContextManager[None]: ...
    async def reachable(self) -> bool: ...
    async def close(self) -> None: ...


class _LocalLocks:
    """One asyncio lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self):
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def lock(self, chat_key: str) -> AsyncIterator[None]:
        chat_lock = self._locks.get(chat_key)
        if chat_lock is None:
            chat_lock = self._locks[chat_key] = asyncio.Lock()
        async with chat_lock:
            yield


class MemoryStore(_LocalLocks):
    errors: tuple[type[BaseException], ...] = ()

    def __init__(self, ttl_seconds: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._states: dict[str, tuple[float, dict[str, Any]]] = {}

    async def load(self, chat_key: str) -> dict[str, Any] | None:
        entry = self._states.get(chat_key)
        if entry is None:
            return None
        saved_at, state = entry
        if self.clock() - saved_at > self.ttl_seconds:
            del self._states[chat_key]
            return None
        return json.loads(json.dumps(state))  # a copy, as the other stores give

    async def save(self, chat_key: str, state: dict[str, Any]) -> None:
        if self.ttl_seconds <= 0:
            self._states.pop(chat_key, None)
            return
        self._states[chat_key] = (self.clock(), json.loads(json.dumps(state)))

    async def delete(self, chat_key: str) -> None:
        self._states.pop(chat_key, None)

    async def reachable(self) -> bool:
        return True

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._states)


class SQLiteStore(_LocalLocks):
    """State in one SQLite file. Deleted rows are overwritten (secure_delete), not just unlinked."""

    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def __init__(self, path: str | Path, ttl_seconds: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.time):
        super().__init__()
        self.path = Path(path)
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Calls are short and local; one connection, used from the event loop's thread only.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA secure_delete = ON")
        # WAL with synchronous=NORMAL: ~50 µs per save instead of ~1.4 ms. A power cut may lose
        # the last answers (never corrupt the file), which a 24-hour state can afford. Old page
        # images in the WAL are truncated away whenever something is deleted (see _forget).
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS chat_state (chat_key TEXT PRIMARY KEY, state TEXT NOT NULL, expires_at REAL NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS chat_state_expiry ON chat_state (expires_at)")
        self.purge_expired()

    def purge_expired(self) -> int:
        """Remove every expired state (all of them when keeping state is off)."""
        limit = float("inf") if self.ttl_seconds <= 0 else self.clock()
        removed = self._db.execute("DELETE FROM chat_state WHERE expires_at <= ?", (limit,)).rowcount
        if removed:
            self._forget()
        return removed

    def _forget(self) -> None:
        """Checkpoint and empty the WAL, so no earlier image of a deleted row stays on disk."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def load(self, chat_key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT state, expires_at FROM chat_state WHERE chat_key = ?", (chat_key,)).fetchone()
        if row is None:
            return None
        if row[1] <= self.clock():
            await self.delete(chat_key)
            return None
        return json.loads(row[0])

    async def save(self, chat_key: str, state: dict[str, Any]) -> None:
        if self.ttl_seconds <= 0:
            await self.delete(chat_key)
            return
        self._db.execute(
            "INSERT INTO chat_state (chat_key, state, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at",
            (chat_key, json.dumps(state, ensure_ascii=False), self.clock() + self.ttl_seconds),
        )
        self.purge_expired()  # indexed and cheap; expired chats never linger until someone returns

    async def delete(self, chat_key: str) -> None:
        if self._db.execute("DELETE FROM chat_state WHERE chat_key = ?", (chat_key,)).rowcount:
            self._forget()

    async def reachable(self) -> bool:
        try:
            return self._db.execute("SELECT 1").fetchone() == (1,)
        except sqlite3.Error:
            return False

    async def close(self) -> None:
        self._db.close()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM chat_state").fetchone()[0]


class RedisStore:
    """State in Redis with a native expiry; a Redis lock keeps one chat's updates in turn across processes."""

    LOCK_SECONDS = 30  # a crashed holder cannot block a chat for longer than this

    def __init__(self, url: str, ttl_seconds: float = DEFAULT_TTL_SECONDS, prefix: str = "trivselsguiden:"):
        import redis.asyncio as redis  # only needed when REDIS_URL is set
        from redis.exceptions import RedisError

        self.errors: tuple[type[BaseException], ...] = (RedisError, OSError)

        # A blocking pool: under a burst, updates wait for a free connection instead of failing.
        pool = redis.BlockingConnectionPool.from_url(url, decode_responses=True, max_connections=64, timeout=20)
        self.client = redis.Redis(connection_pool=pool)
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self._local = _LocalLocks()  # waiters in this process queue here, not on Redis

    def _key(self, chat_key: str) -> str:
        return f"{self.prefix}chat:{chat_key}"

    async def load(self, chat_key: str) -> dict[str, Any] | None:
        raw = await self.client.get(self._key(chat_key))
        return json.loads(raw) if raw else None

    async def save(self, chat_key: str, state: dict[str, Any]) -> None:
        if self.ttl_seconds <= 0:
            await self.delete(chat_key)
            return
        milliseconds = max(1, int(self.ttl_seconds * 1000))
        await self.client.set(self._key(chat_key), json.dumps(state, ensure_ascii=False), px=milliseconds)

    async def delete(self, chat_key: str) -> None:
        await self.client.delete(self._key(chat_key))

    @asynccontextmanager
    async def lock(self, chat_key: str) -> AsyncIterator[None]:
        async with self._local.lock(chat_key):
            shared = self.client.lock(
                f"{self.prefix}lock:{chat_key}", timeout=self.LOCK_SECONDS, blocking_timeout=self.LOCK_SECONDS
            )
            async with shared:
                yield

    async def reachable(self) -> bool:
        try:
            return bool(await self.client.ping())
        except Exception:  # any failure to answer means: not healthy
            return False

    async def close(self) -> None:
        await self.client.aclose(close_connection_pool=True)


def open_store(redis_url: str | None, sqlite_path: str | Path | None, ttl_seconds: float) -> StateStore:
    """Redis when a URL is given, otherwise SQLite at the path, otherwise memory."""
    if redis_url:
        return RedisStore(redis_url, ttl_seconds)
    if sqlite_path:
        return SQLiteStore(sqlite_path, ttl_seconds)
    return MemoryStore(ttl_seconds)
