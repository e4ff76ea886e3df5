"""Per-chat state behind a small interface, so the flow does not care where it lives.

Only the answers the flow needs are stored (language, role, municipality, age, topic ids,
severity, step) - never what the person wrote. Every state expires after `ttl_seconds`.
"""

from __future__ import annotations

import time
from typing import Any, Protocol


class StateStore(Protocol):
    def load(self, chat_id: int) -> dict[str, Any] | None: ...
    def save(self, chat_id: int, state: dict[str, Any]) -> None: ...
    def delete(self, chat_id: int) -> None: ...


class MemoryStore:
    def __init__(self, ttl_seconds: float = 24 * 3600, clock=time.monotonic):
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._states: dict[int, tuple[float, dict[str, Any]]] = {}

    def load(self, chat_id: int) -> dict[str, Any] | None:
        entry = self._states.get(chat_id)
        if entry is None:
            return None
        saved_at, state = entry
        if self.clock() - saved_at > self.ttl_seconds:
            del self._states[chat_id]
            return None
        return dict(state)

    def save(self, chat_id: int, state: dict[str, Any]) -> None:
        if self.ttl_seconds <= 0:
            return  # keeping state is switched off
        self._states[chat_id] = (self.clock(), dict(state))

    def delete(self, chat_id: int) -> None:
        self._states.pop(chat_id, None)

    def __len__(self) -> int:
        return len(self._states)
