"""The web chat over real HTTP: `serve_web` as `run_bot.py web` runs it, talked to as the
page's script (JSON) and as a browser without script (forms) talk to it."""

import json
import re

import pytest

from bot.handlers.web import RateLimit, ReplyHtml
from bot.reply import Reply
from tests.running_web import play_web_story, running_web, seen_in_web, web_settings
from tests.story import STORIES, load


@pytest.mark.parametrize("path", STORIES, ids=lambda path: path.stem)
async def test_story_through_the_web_chat(guide, tmp_path, path, json_log, monkeypatch):
    story = load(path)
    monkeypatch.setattr("bot.handlers.web.RATE_EVENTS", 1000)  # a story taps faster than a person (the limit has its own test)
    async with running_web(guide, web_settings(tmp_path)) as web, web.client(story.get("language", "da")) as client:
        await play_web_story(client, story)
        session = client.cookies.get("tg_session")
    # Neither the logs (at DEBUG) nor the state file hold what was written or the session id.
    logged = json_log.getvalue()
    assert '"event": "web event handled"' in logged
    stored = b"".join(file.read_bytes() for file in tmp_path.glob("state.sqlite3*")).decode("utf-8", "replace")
    written = [step["write"] for step in story["steps"] if len(step.get("write") or "") >= 6]
    for secret in [*written, *([session] if session else [])]:
        assert secret not in logged, f"{secret!r} in the logs"
        assert secret not in stored, f"{secret!r} in the state file"


async def test_the_page_speaks_the_browsers_language_and_can_change_it(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web:
        async with web.client("sv-SE,sv;q=0.9,en;q=0.5") as client:
            page = (await client.get("/")).text
            assert '<html lang="sv">' in page and "Vem är du?" in page
        async with web.client("de-DE,en;q=0.8") as client:
            assert '<html lang="en">' in (await client.get("/")).text
        async with web.client("fr") as client:
            assert '<html lang="da">' in (await client.get("/")).text
            answer = (await client.post("/api/chat", json={"kind": "button", "value": "lang:en"})).json()
            assert answer["language"] == "en" and "Who are you?" in answer["html"]
            page = (await client.get("/")).text  # the script reloads the page in the new language
            assert '<html lang="en">' in page and "I need help now" in page and 'aria-pressed="true">English' in page
        async with web.client("da") as client:  # a link to /?lang=en: the first answer keeps English
            assert '<html lang="en">' in (await client.get("/?lang=en")).text
            answer = (await client.post("/api/chat?lang=en", json={"kind": "button", "value": "a:role:parent"})).json()
            assert answer["language"] == "en" and "Which municipality" in answer["html"]


async def test_security_headers_on_every_page(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        responses = [
            await client.get("/"),
            await client.post("/api/chat", json={"kind": "start"}),
            await client.get("/tilbud/"),
            await client.get("/tilbud/behov/"),
            await client.get("/static/app.js"),
            await client.get("/nope"),  # a 404 too
            await client.get("/static/nope.js"),
            await client.get("/favicon.ico"),
        ]
    assert [response.status_code for response in responses[-3:]] == [404, 404, 204]
    for response in responses:
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_the_session_cookie_is_the_only_thing_kept_and_slet_forgets_it(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        page = await client.get("/")
        assert "set-cookie" not in page.headers  # just looking stores nothing
        first = await client.post("/api/chat", json={"kind": "button", "value": "a:role:parent"})
        (cookie,) = first.headers.get_list("set-cookie")
        assert cookie.startswith("tg_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        await client.post("/api/chat", json={"kind": "text", "value": "min søn på 9 i Grenaa vil ikke i skole"})
        state_file = tmp_path / "state.sqlite3"
        import sqlite3

        rows = sqlite3.connect(state_file).execute("SELECT chat_key, state FROM chat_state").fetchall()
        assert len(rows) == 1 and client.cookies["tg_session"] not in rows[0][0] and "Grenaa" not in rows[0][1]
        deleted = await client.post("/api/chat", json={"kind": "text", "value": "/slet"})
        assert "slettet" in deleted.json()["html"]
        assert deleted.headers["set-cookie"].startswith('tg_session=""; expires=')  # the browser drops it
        assert sqlite3.connect(state_file).execute("SELECT COUNT(*) FROM chat_state").fetchone() == (0,)


async def test_without_script_the_forms_reach_an_answer(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        page = (await client.get("/")).text
        assert '<button type="submit" name="button" value="a:role:youth">' in page
        for field, value in (("button", "a:role:youth"), ("button", "a:municipality:aarhus"), ("button", "a:age:14")):
            page = (await client.post("/", data={field: value})).text
        page = (await client.post("/", data={"text": "jeg har angst"})).text
        assert "Center for Trivsel" in page and 'href="tel:' in page
        page = (await client.post("/", data={"command": "/ny"})).text
        assert "Hvem er du?" in page


async def test_a_crisis_answer_starts_with_call_links(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        answer = (await client.post("/api/chat", json={"kind": "text", "value": "jeg vil ikke leve mere"})).json()
        assert answer["crisis"]
        assert answer["html"].startswith('<p class="call-now"><a class="call" href="tel:112">')
        assert 'href="tel:116111"' in answer["html"].split("</p>")[0]  # the line open day and night, at the top
        button = (await client.post("/api/chat", json={"kind": "button", "value": "help"})).json()
        assert button["crisis"] and 'href="tel:112"' in button["html"]


async def test_bad_requests_get_clear_answers_and_the_chat_goes_on(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        too_big = await client.post(
            "/api/chat", content=json.dumps({"kind": "text", "value": "x" * 30_000}), headers={"Content-Type": "application/json"}
        )
        assert too_big.status_code == 413 and "for lang" in too_big.json()["error"]
        assert (
            await client.post("/api/chat", content="{not json", headers={"Content-Type": "application/json"})
        ).status_code == 400
        assert (await client.post("/api/chat", json=["a", "list"])).status_code == 400
        assert (await client.post("/api/chat", json={"kind": "shell", "value": "ls"})).status_code == 400
        assert (await client.post("/api/chat", data={"kind": "text"})).status_code == 415  # a form cannot post JSON
        assert (await client.get("/api/chat")).status_code == 405
        assert (await client.get("/tilbud/kommune/atlantis/")).status_code == 404
        emoji = "😀" * 5000  # 20 kB of UTF-8 is still a message
        answer = await client.post("/api/chat", json={"kind": "text", "value": emoji})
        assert answer.status_code == 200
        hostile = await client.post("/api/chat", json={"kind": "text", "value": "<script>alert(1)</script><img onerror=x>"})
        assert "<script" not in hostile.text and "<img" not in hostile.text
        assert (await client.post("/api/chat", json={"kind": "start"})).status_code == 200


async def test_a_session_that_sends_too_fast_is_slowed_down(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        statuses = [(await client.post("/api/chat", json={"kind": "button", "value": "go"})).status_code for _ in range(25)]
        assert statuses[:20] == [200] * 20 and statuses[20:] == [429] * 5
        page = await client.post("/", data={"button": "go"})  # the page without script says so too
        assert page.status_code == 429 and "Du skriver lidt hurtigt" in page.text and "Hvem er du?" in page.text
        async with web.client() as other:  # another session is not affected
            assert (await other.post("/api/chat", json={"kind": "start"})).status_code == 200
        # Over the limit, a message that speaks of danger still gets the crisis answer; any other is told to wait, with 112.
        crisis = await client.post("/api/chat", json={"kind": "text", "value": "jeg vil ikke leve mere"})
        assert crisis.status_code == 200 and crisis.json()["crisis"] and "112" in crisis.json()["html"]
        calm = await client.post("/api/chat", json={"kind": "text", "value": "min søn vil ikke i skole"})
        assert calm.status_code == 429 and "112" in calm.text


async def test_dropping_the_cookie_does_not_get_round_the_limit(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web:
        statuses = []
        for _ in range(62):
            async with web.client() as fresh:  # a new client: no cookie, so a new session each time
                statuses.append((await fresh.post("/api/chat", json={"kind": "start"})).status_code)
        assert statuses[:60] == [200] * 60 and statuses[60:] == [429, 429]


def test_rate_limit_window_recovers():
    now = [0.0]
    limit = RateLimit(events=2, seconds=10, clock=lambda: now[0])
    assert [limit.allow("a"), limit.allow("a"), limit.allow("a")] == [True, True, False]
    now[0] = 11
    assert limit.allow("a")


def test_reply_html_keeps_only_the_flows_tags_and_links_phone_numbers(catalogue):
    rendered = ReplyHtml().message(
        '<b>Ring 112</b> eller 70 11 31 31 <script>alert(1)</script><a href="javascript:x">klik</a> & <i>ok</i>', catalogue
    )
    assert "<script" not in rendered and "javascript:" not in rendered
    assert "&lt;" not in rendered  # the parser dropped the unknown tags instead of showing them
    assert '<b>Ring <a href="tel:112">112</a></b>' in rendered
    assert '<a href="tel:70113131">70 11 31 31</a>' in rendered and "&amp;" in rendered and "<i>ok</i>" in rendered


def test_the_web_shows_the_same_reply_as_the_flow(catalogue):
    reply = Reply(("Hej <b>du</b>\n\nAnden linje\nTredje",))
    assert ReplyHtml().render(reply, catalogue, "da") == "<p>Hej <b>du</b></p><p>Anden linje<br>Tredje</p>"
    assert seen_in_web({"html": "<p>a</p><p>b</p>", "options": [], "crisis": False, "offers": []}).text == "a\nb\n"


async def test_the_chat_page_weighs_under_100_kb(guide, tmp_path):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        page = await client.get("/")
        assets = [await client.get("/static/app.css"), await client.get("/static/app.js")]
    total = len(page.content) + sum(len(asset.content) for asset in assets)
    assert total < 100_000, total
    # Nothing is loaded from elsewhere: no absolute address in the page's links, styles or script calls.
    assert not re.search(r'(src|href)="https?:', page.text)
    assert "url(" not in assets[0].text and "@import" not in assets[0].text
    assert "fetch('api/chat?lang='" in assets[1].text and "XMLHttpRequest" not in assets[1].text


def test_web_addresses_in_a_reply_become_links(catalogue):
    rendered = ReplyHtml().message("Se https://bornsvilkar.dk. Eller <b>https://x.dk/a?b=1&c=2</b>", catalogue)
    assert '<a href="https://bornsvilkar.dk" rel="noopener noreferrer">https://bornsvilkar.dk</a>.' in rendered
    assert 'href="https://x.dk/a?b=1&amp;c=2"' in rendered


async def test_a_failure_in_the_guide_gets_an_apology_not_a_crash(guide, tmp_path, monkeypatch):
    async with running_web(guide, web_settings(tmp_path)) as web, web.client() as client:
        await client.post("/api/chat", json={"kind": "button", "value": "a:role:parent"})

        def broken(state, event):
            raise RuntimeError("a bug")

        monkeypatch.setattr(web.conversation, "handle", broken)
        answer = await client.post("/api/chat", json={"kind": "text", "value": "hej"})
        assert answer.status_code == 200 and "112" in answer.json()["html"]
        assert [option["data"] for row in answer.json()["options"] for option in row] == ["go", "new", "help"]
        monkeypatch.undo()
        again = (await client.post("/api/chat", json={"kind": "button", "value": "go"})).json()
        assert "Hvilken kommune" in again["html"]  # the conversation was kept
