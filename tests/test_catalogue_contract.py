"""The contract between the code and the catalogue.

Every offer or municipality the guide names itself (112, the help line, the crisis line, the
notification entry per municipality, "another municipality") is declared in municipalities.yaml
and checked on load. A catalogue without one is refused by `check` and by the hot reload (the
last good one keeps serving), instead of passing and then crashing every chat. The code names
no catalogue id itself, so adding a municipality is YAML only.
"""

from __future__ import annotations

import ast
import asyncio
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.catalogue import CatalogueError, load_catalogue
from bot.console import Console
from bot.flow import ChatState, Conversation, Event
from bot.guide import Guide
from bot.reload import CatalogueReloader
from bot.render import Renderer
from tests.conftest import ROOT
from tests.running_bot import wait_until

KNOWLEDGE = ROOT / "knowledge"
MUNICIPALITIES_TEXT = (KNOWLEDGE / "municipalities.yaml").read_text(encoding="utf-8")
OFFERS_TEXT = (KNOWLEDGE / "offers.yaml").read_text(encoding="utf-8")


def declared_offer_ids() -> dict[str, str]:
    """Every offer id municipalities.yaml names, with where it is named (for test ids)."""
    data = yaml.safe_load(MUNICIPALITIES_TEXT)
    declared: dict[str, str] = {}
    for country, lines in data["countries"].items():
        for field, value in lines.items():
            if field == "time_zone":  # not an offer
                continue
            for offer_id in value if isinstance(value, list) else [value]:
                declared.setdefault(offer_id, f"countries.{country}.{field}")
    for municipality_id, municipality in data["municipalities"].items():
        for field in ("notification", "emergency"):
            value = municipality.get(field) or []
            for offer_id in value if isinstance(value, list) else [value]:
                declared.setdefault(offer_id, f"municipalities.{municipality_id}.{field}")
    return declared


def without_offer(offers_text: str, offer_id: str) -> str:
    """offers.yaml with one offer's block cut out."""
    pattern = re.compile(rf"^  - id: {re.escape(offer_id)}\n.*?(?=^  - id: |^  # -|\Z)", re.MULTILINE | re.DOTALL)
    text, count = pattern.subn("", offers_text)
    assert count == 1, offer_id
    return text


def without_municipality(municipalities_text: str, municipality_id: str) -> str:
    pattern = re.compile(rf"^  {re.escape(municipality_id)}:\n(?:^    .*\n)*", re.MULTILINE)
    text, count = pattern.subn("", municipalities_text)
    assert count == 1, municipality_id
    return text


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def run_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", "check", str(path)], capture_output=True, text=True, cwd=ROOT)


# ---------------------------------------------------------------------- what is declared


def test_the_real_catalogue_declares_what_the_code_names(catalogue):
    assert catalogue.emergency_number("dk").id == "dk-112" and catalogue.emergency_number("se").id == "se-112"
    assert catalogue.help_line("dk").id == "dk-boernetelefonen" and catalogue.help_line("se").id == "se-bris"
    assert catalogue.parent_line("dk").id == "dk-foraeldretelefonen" and catalogue.parent_line("se") is None
    assert catalogue.crisis_line("dk").id == "dk-livslinien" and catalogue.crisis_line("se") is None
    assert catalogue.other_municipality == "anden-dk"
    for municipality_id in ("aarhus", "hedensted", "norddjurs"):
        assert catalogue.notification(municipality_id).id == f"{municipality_id}-underretning"
    assert catalogue.notification("anden-dk") is None and catalogue.notification("nowhere") is None
    assert catalogue.municipality_buttons() == ["aarhus", "hedensted", "norddjurs", "anden-dk", "sverige"]


def test_the_code_names_no_catalogue_id(catalogue):
    """Offer and municipality ids live in the YAML; `bot/` reaches them through the catalogue."""
    ids = set(catalogue.offers_by_id) | set(catalogue.municipalities)
    found = []
    for file in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and (node.value in ids or node.value.endswith("-underretning"))
            ):
                found.append(f"{file.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "catalogue ids written into the code (declare them in municipalities.yaml):\n" + "\n".join(found)


# ---------------------------------------------------------------------- refused by check


def test_without_anden_dk_check_names_the_file_line_and_field(tmp_path):
    text = without_municipality(MUNICIPALITIES_TEXT, "anden-dk")
    (tmp_path / "municipalities.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "offers.yaml").write_text(OFFERS_TEXT, encoding="utf-8")
    result = run_check(tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    expected = f"{tmp_path / 'municipalities.yaml'}:{line_of(text, 'other_municipality: anden-dk')}: other_municipality:"
    assert expected in result.stderr, result.stderr
    assert "unknown municipality 'anden-dk'" in result.stderr


def test_without_the_help_line_check_names_the_file_line_and_field(tmp_path):
    (tmp_path / "offers.yaml").write_text(without_offer(OFFERS_TEXT, "dk-boernetelefonen"), encoding="utf-8")
    (tmp_path / "municipalities.yaml").write_text(MUNICIPALITIES_TEXT, encoding="utf-8")
    result = run_check(tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = line_of(MUNICIPALITIES_TEXT, "help_line: dk-boernetelefonen")
    assert (
        f"{tmp_path / 'municipalities.yaml'}:{line}: countries.dk.help_line: unknown offer 'dk-boernetelefonen'" in result.stderr
    )


@pytest.mark.parametrize("offer_id", sorted(declared_offer_ids()))
def test_every_declared_offer_is_required(tmp_path, offer_id):
    (tmp_path / "offers.yaml").write_text(without_offer(OFFERS_TEXT, offer_id), encoding="utf-8")
    (tmp_path / "municipalities.yaml").write_text(MUNICIPALITIES_TEXT, encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(tmp_path)
    where = declared_offer_ids()[offer_id]
    assert any(
        problem.startswith(f"{tmp_path / 'municipalities.yaml'}:")
        and f"unknown offer {offer_id!r}" in problem
        and where in problem
        for problem in raised.value.problems
    ), raised.value.problems


MUNICIPALITY_MISTAKES = {
    "a country is missing": (
        "  se:\n    emergency_number: se-112\n    help_line: se-bris\n    emergency: [se-1177]\n",
        "",
        "countries: country 'se' is missing",
        "countries:",
    ),
    "no help line": (
        "    help_line: se-bris\n",
        "",
        "countries.se.help_line: field 'help_line': required field is missing",
        "  se:",
    ),
    "help line of the other country": (
        "    help_line: se-bris\n",
        "    help_line: dk-boernetelefonen\n",
        "countries.se.help_line: offer 'dk-boernetelefonen' does not serve 'se'",
        "help_line: dk-boernetelefonen\n    emergency: [se-1177]",
    ),
    "no other municipality": (
        "other_municipality: anden-dk\n",
        "",
        "field 'other_municipality': required field is missing",
        "countries:",  # the file's first key: where a missing top-level field is reported
    ),
    "no notification for a Danish municipality": (
        "    notification: hedensted-underretning\n",
        "",
        "municipalities.hedensted.notification: field 'notification': required for a Danish municipality",
        "  hedensted:",
    ),
    "notification of another municipality": (
        "    notification: hedensted-underretning\n",
        "    notification: aarhus-underretning\n",
        "municipalities.hedensted.notification: offer 'aarhus-underretning' does not serve 'hedensted'",
        "notification: aarhus-underretning\n  norddjurs:",
    ),
}


@pytest.mark.parametrize("kind", MUNICIPALITY_MISTAKES)
def test_each_mistake_in_municipalities_is_refused_with_file_line_and_field(tmp_path, kind):
    original, broken, expected, anchor = MUNICIPALITY_MISTAKES[kind]
    assert original in MUNICIPALITIES_TEXT
    text = MUNICIPALITIES_TEXT.replace(original, broken, 1)
    path = tmp_path / "municipalities.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "offers.yaml").write_text(OFFERS_TEXT, encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(tmp_path)
    (problem,) = [problem for problem in raised.value.problems if expected in problem] or [raised.value.problems]
    assert problem.startswith(f"{path}:{line_of(text, anchor)}:"), problem


# ---------------------------------------------------------------------- refused by reload


def console_chat(conversation: Conversation, lines: list[str]) -> str:
    """Type lines into the terminal adapter; everything it printed."""
    output = io.StringIO()
    console = Console(conversation, output)
    for line in lines:
        console.step(console.event_for(line))
    return output.getvalue()


def card_for_other_municipality(conversation: Conversation) -> str:
    return console_chat(
        conversation,
        ["/start", "Jeg er ung og skriver for mig selv", "En anden kommune i Danmark", "14", "Ked af det og trist", "/akut"],
    )


BREAKS = {
    "anden-dk removed": ("municipalities.yaml", lambda text: without_municipality(text, "anden-dk")),
    "dk-boernetelefonen removed": ("offers.yaml", lambda text: without_offer(text, "dk-boernetelefonen")),
}


@pytest.mark.parametrize("kind", BREAKS)
async def test_reload_refuses_a_catalogue_without_a_declared_id_and_chats_go_on(knowledge_copy, caplog, kind):
    conversation = Conversation(Guide(load_catalogue(knowledge_copy)), Renderer)
    good = conversation.catalogue
    before = card_for_other_municipality(conversation)
    assert "BørneTelefonen" in before and "En anden kommune i Danmark" in before

    reloader = CatalogueReloader(conversation, knowledge_copy)
    watcher = asyncio.create_task(reloader.watch(0.05))
    name, breaking = BREAKS[kind]
    file = knowledge_copy / name
    try:
        file.write_text(breaking(file.read_text(encoding="utf-8")), encoding="utf-8")
        await wait_until(lambda: "catalogue refused" in caplog.text)
    finally:
        watcher.cancel()
    assert conversation.catalogue is good
    assert card_for_other_municipality(conversation) == before  # every chat still works, with the last good catalogue
    assert not reloader.reload()  # and SIGHUP (the same call) refuses it too


# ---------------------------------------------------------------------- a municipality is YAML only

NEW_MUNICIPALITY = """
  solby:
    # A made-up municipality for this test only.
    name: {da: Solby Kommune, en: Solby Municipality}
    country: dk
    towns: [Solby, Solbjerg Strand]
    emergency: [dk-laegevagten-midtjylland]
    notification: solby-underretning
"""

NEW_OFFERS = """
  - id: solby-trivselshuset
    name: {da: Trivselshuset i Solby, en: The wellbeing house in Solby}
    summary:
      da: Samtaler for børn og unge i Solby, der er triste eller bekymrede.
    roles: [youth, parent, professional]
    age: {min: 6, max: 17}
    area: solby
    topics: [sadness, anxiety, loneliness]
    level: trin1
    status: active
    referral: false
    self_contact: true
    contact:
      how: {da: Spørg på din skole efter Trivselshuset.}
    source: test fixture
    verified: false

  - id: solby-underretning
    name: {da: Underretning til Solby Kommune}
    summary:
      da: Sådan fortæller du kommunen, at et barn kan have brug for særlig støtte.
    roles: [professional]
    age: {min: 0, max: 17}
    area: solby
    topics: [concern_child, violence]
    level: trin1
    status: active
    referral: false
    contact:
      how: {da: Brug kommunens underretningsformular.}
    source: test fixture
    verified: false
"""


@pytest.fixture
def knowledge_with_solby(knowledge_copy) -> Path:
    municipalities = knowledge_copy / "municipalities.yaml"
    text = municipalities.read_text(encoding="utf-8")
    text = text.replace("  anden-dk:\n", NEW_MUNICIPALITY.lstrip("\n") + "  anden-dk:\n", 1)
    municipalities.write_text(text, encoding="utf-8")
    offers = knowledge_copy / "offers.yaml"
    offers.write_text(offers.read_text(encoding="utf-8").rstrip("\n") + "\n" + NEW_OFFERS, encoding="utf-8")
    return knowledge_copy


def test_a_new_municipality_is_a_button_and_leads_to_its_offers(knowledge_with_solby):
    assert run_check(knowledge_with_solby).returncode == 0
    conversation = Conversation(Guide(load_catalogue(knowledge_with_solby)), Renderer)
    seen = console_chat(
        conversation, ["/start", "Jeg er ung og skriver for mig selv", "Solby Kommune", "12", "Ked af det og trist"]
    )
    assert "Trivselshuset i Solby" in seen
    assert "Spørg på din skole efter Trivselshuset." in seen


def test_a_new_municipality_is_understood_in_free_text_and_in_a_crisis(knowledge_with_solby):
    conversation = Conversation(Guide(load_catalogue(knowledge_with_solby)), Renderer)
    state, reply = conversation.handle(ChatState(), Event("text", "jeg er 13 og bor i Solby og er meget ked af det"))
    assert state.municipality == "solby"
    assert "solby-trivselshuset" in reply.offer_ids

    state, reply = conversation.handle(
        ChatState(role="professional", municipality="solby"), Event("text", "min far slår mig når han er fuld")
    )
    assert reply.crisis
    assert "solby-underretning" in reply.offer_ids  # the new municipality's notification entry, from the YAML


def test_staff_in_a_new_municipality_are_shown_its_notification_entry(knowledge_with_solby):
    conversation = Conversation(Guide(load_catalogue(knowledge_with_solby)), Renderer)
    state, _ = conversation.handle(ChatState(), Event("start", argument="solby"))
    state, _ = conversation.handle(state, Event("button", "a:role:professional"))
    state, _ = conversation.handle(state, Event("text", "9"))
    state, reply = conversation.handle(state, Event("text", "jeg tror der er vold i hjemmet hos en elev"))
    if reply.keys == ("ask_danger",):  # is the child in danger right now? No: then the duty
        state, reply = conversation.handle(state, Event("button", "a:danger:no"))
    assert "underretningspligt" in reply.messages[-1]
    assert "Brug kommunens underretningsformular." in reply.messages[-1]


# ---------------------------------------------------------------------- the templates name no catalogue facts


def test_the_other_municipality_text_names_a_new_municipality(knowledge_with_solby):
    conversation = Conversation(Guide(load_catalogue(knowledge_with_solby)), Renderer)
    seen = console_chat(
        conversation, ["/start", "Jeg er ung og skriver for mig selv", "En anden kommune i Danmark", "14", "Ked af det og trist"]
    )
    (known,) = [line for line in seen.splitlines() if line.startswith("Jeg kender kun tilbuddene i")]
    assert "Solby" in known


def test_a_renamed_emergency_number_is_shown_once(knowledge_copy):
    for name in ("offers.yaml", "municipalities.yaml"):
        file = knowledge_copy / name
        file.write_text(file.read_text(encoding="utf-8").replace("dk-112", "dk-alarm"), encoding="utf-8")
    conversation = Conversation(Guide(load_catalogue(knowledge_copy)), Renderer)
    _, reply = conversation.handle(ChatState(), Event("text", "jeg vil ikke leve mere"))
    assert "dk-alarm" in reply.offer_ids
    phone_lines = [line for line in reply.messages[-1].splitlines() if line.startswith("📞") and "112" in line]
    assert len(phone_lines) == 1, phone_lines
