"""Conversation stories (tests/stories/*.yaml): what a person does -> what they must see.

Step keys (what the person does): start / press / press_old / write / write_long / command /
unsupported / caption (a photo with words) / edited (a message changed into these words).
`press` may only press a button that is on screen (the previous reply's); `press_old` a button of
an earlier reply that may still sit in the chat; `forge` sends button data no screen ever showed
(a modified client).
Checks (what must be true of the reply): see, see_any, not_see, crisis, first_offer,
first_offer_in, buttons / not_buttons (button data on screen), keys (message keys, core only).
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
    keys: list[str] | None = None  # message keys: the core knows them, a channel does not


def assert_pressable(step: dict, screens: list[list[str]], where: str) -> None:
    """Stories press only what a person could press: the buttons on screen, or (press_old) an earlier reply's."""
    if "press" in step:
        assert screens and step["press"] in screens[-1], f"{where}: {step['press']!r} is not on screen: {screens[-1:]}"
    if "press_old" in step:
        earlier = [data for screen in screens[:-1] for data in screen]
        assert step["press_old"] in earlier, f"{where}: {step['press_old']!r} was never on an earlier screen"
    if "forge" in step:
        assert all(step["forge"] not in screen for screen in screens), f"{where}: {step['forge']!r} was on screen: use press"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def event_of(step: dict) -> Event | None:
    if "start" in step:
        return Event("start", argument=step["start"])
    if "press" in step:
        return Event("button", step["press"])
    if "press_old" in step:
        return Event("button", step["press_old"])
    if "forge" in step:
        return Event("button", step["forge"])
    if "write" in step:
        return Event("text", step["write"])
    if "write_long" in step:
        return Event("text", ("jeg har det svært " * 400)[: step["write_long"]])
    if "command" in step:
        command, _, argument = step["command"].partition(" ")
        return Event("command", command, argument)
    if "unsupported" in step:
        return Event("unsupported", step["unsupported"])
    if "caption" in step:
        return Event("unsupported", "photo", step["caption"])
    if "edited" in step:
        return Event("edited", step["edited"])
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
    for data in step.get("buttons", []):
        assert data in seen.buttons, f"{where}: button {data!r} not on screen: {seen.buttons}"
    for data in step.get("not_buttons", []):
        assert data not in seen.buttons, f"{where}: button {data!r} should not be on screen"
    if "keys" in step and seen.keys is not None:
        assert all(key in seen.keys for key in step["keys"]), f"{where}: keys {step['keys']} not all in {seen.keys}"
    assert seen.text.strip() or seen.buttons, f"{where}: nothing was said"
