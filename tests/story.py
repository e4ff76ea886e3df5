"""Conversation stories (tests/stories/*.yaml): what a person does -> what they must see.

Step keys: start / press / write / write_long / command / unsupported (what the person does);
see, see_any, not_see, crisis, first_offer, first_offer_in (what must be true of the reply).
A step with only checks applies them to the previous reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.console import plain
from bot.flow import Event

STORIES = sorted((Path(__file__).resolve().parent / "stories").glob("*.yaml"))


@dataclass
class Seen:
    """What one channel showed for one step: the texts, the button data, and the offers."""

    text: str
    buttons: list[str]
    crisis: bool
    offer_ids: list[str]


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def event_of(step: dict) -> Event | None:
    if "start" in step:
        return Event("start", argument=step["start"])
    if "press" in step:
        return Event("button", step["press"])
    if "write" in step:
        return Event("text", step["write"])
    if "write_long" in step:
        return Event("text", ("jeg har det svært " * 400)[: step["write_long"]])
    if "command" in step:
        command, _, argument = step["command"].partition(" ")
        return Event("command", command, argument)
    if "unsupported" in step:
        return Event("unsupported", step["unsupported"])
    return None


def check(step: dict, seen: Seen, where: str) -> None:
    text = plain(seen.text)
    for expected in step.get("see", []):
        assert plain(expected) in text, f"{where}: expected {expected!r} in:\n{text}"
    if "see_any" in step:
        assert any(plain(expected) in text for expected in step["see_any"]), f"{where}: none of {step['see_any']} in:\n{text}"
    for unwanted in step.get("not_see", []):
        assert plain(unwanted) not in text, f"{where}: did not expect {unwanted!r} in:\n{text}"
    if "crisis" in step:
        assert seen.crisis == step["crisis"], f"{where}: crisis answer expected={step['crisis']}"
    if "first_offer" in step:
        assert seen.offer_ids[:1] == [step["first_offer"]], f"{where}: first offer {seen.offer_ids[:1]}"
    if "first_offer_in" in step:
        assert seen.offer_ids[:1] and seen.offer_ids[0] in step["first_offer_in"], f"{where}: first offer {seen.offer_ids[:1]}"
    assert seen.text.strip() or seen.buttons, f"{where}: nothing was said"
