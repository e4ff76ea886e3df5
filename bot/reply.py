"""What the guide says back, independent of any channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Option:
    """A button: `data` is short ASCII (Telegram allows 64 bytes), `label` is what people see."""

    data: str
    label: str


@dataclass(frozen=True)
class Reply:
    # Each message is HTML-safe text (Telegram's HTML subset: <b>, <i>); the console strips tags.
    messages: tuple[str, ...]
    options: tuple[tuple[Option, ...], ...] = ()
    crisis: bool = False
    offer_ids: tuple[str, ...] = field(default_factory=tuple)

    def prepend(self, message: str) -> Reply:
        return replace(self, messages=(message, *self.messages))

    def option_list(self) -> list[Option]:
        return [option for row in self.options for option in row]
