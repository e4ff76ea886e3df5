"""What the guide says back, independent of any channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Option:
    """A button: `data` is short ASCII (Telegram allows 64 bytes), `label` is what people see.
    `data` is also the option's key: stories and channels may rely on it, never on the label."""

    data: str
    label: str


@dataclass(frozen=True)
class Reply:
    # Each message is HTML-safe text (Telegram's HTML subset: <b>, <i>); the console strips tags.
    messages: tuple[str, ...]
    options: tuple[tuple[Option, ...], ...] = ()
    crisis: bool = False
    offer_ids: tuple[str, ...] = field(default_factory=tuple)
    keys: tuple[str, ...] = ()  # the template key of each message, in order ("ask_role", "crisis", ...)
    forget: bool = False  # the person asked to delete this chat: the channel deletes what it stored

    def prepend(self, message: str, key: str = "") -> Reply:
        return replace(self, messages=(message, *self.messages), keys=(key, *self.keys))

    def option_list(self) -> list[Option]:
        return [option for row in self.options for option in row]

    def option_keys(self) -> list[str]:
        return [option.data for option in self.option_list()]


@dataclass(frozen=True)
class Say:
    """One message by its template key and what the template gets; words come only at the end."""

    key: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Draft:
    """What the core decided to say, before any words: message keys, rows of button data, flags.
    `Conversation.handle` renders it once, at the end, into a Reply."""

    says: tuple[Say, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    forget: bool = False

    def prepend(self, key: str, **context: Any) -> Draft:
        return replace(self, says=(Say(key, context), *self.says))

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(say.key for say in self.says)
