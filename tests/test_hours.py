"""Open now / closed now (bot/hours.py) at fixed moments, on the real catalogue's hours."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.hours import COPENHAGEN, opening_status

CPH = ZoneInfo("Europe/Copenhagen")


def at(text: str) -> datetime:
    """A local Danish time, e.g. '2026-11-23 11:00' (a Monday)."""
    return datetime.fromisoformat(text).replace(tzinfo=CPH)


# Norddjurs' notification line: Mon-Wed 10-15, Thu 10-17, Fri 10-12 (norddjurs.dk).
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23 11:00", "Åben nu – til kl. 15"),  # Monday
        ("2026-11-23 09:59", "Lukket nu – åbner kl. 10"),
        ("2026-11-23 15:00", "Lukket nu – åbner i morgen kl. 10"),  # closing time is closed
        ("2026-11-26 16:30", "Åben nu – til kl. 17"),  # Thursday runs longer
        ("2026-11-27 12:30", "Lukket nu – åbner mandag kl. 10"),  # Friday afternoon
        ("2026-11-29 23:00", "Lukket nu – åbner i morgen kl. 10"),  # Sunday night
    ],
)
def test_an_office_is_open_or_closed_and_says_when_it_opens(catalogue, moment, expected):
    offer = catalogue.offers_by_id["norddjurs-underretning"]
    assert opening_status(offer, at(moment), "da") == expected


# Lægevagten: weekdays 16-08, weekends all day (national-lines.md).
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-24 10:00", "Lukket nu – åbner kl. 16"),  # Tuesday morning: call your own doctor
        ("2026-11-24 20:00", "Åben nu – til i morgen kl. 8"),  # runs past midnight
        ("2026-11-25 03:00", "Åben nu – til kl. 8"),
        ("2026-11-27 18:00", "Åben nu – til mandag kl. 8"),  # Friday evening through the weekend
        ("2026-11-29 23:30", "Åben nu – til i morgen kl. 8"),  # Sunday night into Monday
        ("2026-11-30 07:59", "Åben nu – til kl. 8"),
        ("2026-11-30 08:00", "Lukket nu – åbner kl. 16"),
    ],
)
def test_the_out_of_hours_doctor_runs_through_the_night_and_the_weekend(catalogue, moment, expected):
    offer = catalogue.offers_by_id["dk-laegevagten-midtjylland"]
    assert opening_status(offer, at(moment), "da") == expected


def test_the_family_doctor_and_the_out_of_hours_doctor_take_turns(catalogue):
    doctor, out_of_hours = (catalogue.offers_by_id[i] for i in ("dk-egen-laege", "dk-laegevagten-midtjylland"))
    evening = at("2026-11-24 17:00")
    assert opening_status(doctor, evening, "da") == "Lukket nu – åbner i morgen kl. 8"
    assert opening_status(out_of_hours, evening, "da").startswith("Åben nu")
    for hour in range(24):
        moment = at(f"2026-11-25 {hour:02d}:30")
        open_now = [o.id for o in (doctor, out_of_hours) if opening_status(o, moment, "da").startswith("Åben nu")]
        assert len(open_now) == 1, (moment, open_now)


def test_english_and_swedish(catalogue):
    offer = catalogue.offers_by_id["norddjurs-underretning"]
    assert opening_status(offer, at("2026-11-23 11:00"), "en") == "Open now – until 15:00"
    assert opening_status(offer, at("2026-11-27 12:30"), "en") == "Closed now – opens Monday at 10:00"
    assert opening_status(offer, at("2026-11-23 16:00"), "sv") == "Stängt nu – öppnar i morgon kl. 10"
    assert opening_status(offer, at("2026-11-27 12:30"), "sv") == "Stängt nu – öppnar på måndag kl. 10"
    assert opening_status(offer, at("2026-11-23 11:00"), "xx") == "Åben nu – til kl. 15"  # unknown → Danish


def test_a_line_open_around_the_clock(catalogue):
    moment = at("2026-11-24 03:00")
    assert opening_status(catalogue.offers_by_id["dk-boernetelefonen"], moment, "da") == "Åben nu – døgnet rundt"
    assert opening_status(catalogue.offers_by_id["se-bris"], moment, "sv") == "Öppet nu – dygnet runt"
    # 1177 gives its hours as daily 00-24 rather than open_always: the same words.
    assert opening_status(catalogue.offers_by_id["se-1177"], moment, "sv") == "Öppet nu – dygnet runt"


def test_no_known_hours_says_nothing(catalogue):
    assert opening_status(catalogue.offers_by_id["aarhus-center-for-trivsel"], at("2026-11-23 11:00"), "da") is None


def test_the_clock_is_read_in_danish_time_summer_and_winter(catalogue):
    offer = catalogue.offers_by_id["norddjurs-underretning"]
    # 08:30 UTC is 10:30 in Danish summer time (open) but 09:30 in winter time (closed).
    summer = datetime(2026, 7, 6, 8, 30, tzinfo=UTC)  # a Monday
    winter = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # a Monday
    assert opening_status(offer, summer, "da") == "Åben nu – til kl. 15"
    assert opening_status(offer, winter, "da") == "Lukket nu – åbner kl. 10"


def test_swedish_offers_use_swedish_time(catalogue):
    assert catalogue.time_zone_of(catalogue.offers_by_id["se-1177"]) == ZoneInfo("Europe/Stockholm")
    assert catalogue.time_zone_of(catalogue.offers_by_id["norddjurs-underretning"]) == COPENHAGEN


def test_a_time_without_a_zone_is_refused(catalogue):
    with pytest.raises(ValueError):
        opening_status(catalogue.offers_by_id["norddjurs-underretning"], datetime(2026, 11, 23, 11, 0), "da")


@pytest.mark.parametrize(
    ("moment", "closed"),
    [("2026-11-23 10:00", True), ("2026-11-23 20:00", False)],  # Lægevagten: weekdays from 16 to 08
)
def test_the_crisis_answer_puts_a_closed_line_last_and_says_it_is_closed(guide, moment, closed):
    """At 10 on a Monday Lægevagten is closed: it may stand in the crisis answer, but after the open lines, saying so."""
    from bot.console import plain
    from bot.flow import ChatState, Conversation, Event
    from bot.render import Renderer

    conversation = Conversation(guide, Renderer)
    conversation.renderer.clock = lambda: at(moment)
    state = ChatState(language="da", role="youth", municipality="hedensted", age=15)
    _, reply = conversation.handle(state, Event("text", "jeg vil ikke leve mere"))
    lines = [line for line in plain(reply.messages[0]).splitlines() if line.startswith("📞")]
    doctor = next(index for index, line in enumerate(lines) if "70 11 31 31" in line)
    assert reply.crisis and "112" in lines[0]
    assert ("Lukket nu – åbner kl. 16" in lines[doctor]) == closed, lines
    assert (doctor == len(lines) - 1) == closed, lines
