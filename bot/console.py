"""Terminal adapter: the same conversation, with options as numbers.

Type a number or the words of an option; /commands work; free text is welcome. Works with a
pipe too (one line per input), so a script can drive it.
"""

from __future__ import annotations

import html
import re
import sys
from typing import IO

from bot.flow import ChatState, Conversation, Event
from bot.reply import Reply

_TAGS = re.compile(r"<[^>]+>")


def plain(message: str) -> str:
    return html.unescape(_TAGS.sub("", message))


class Console:
    def __init__(self, conversation: Conversation, output: IO[str] = sys.stdout, language: str = "da"):
        self.conversation = conversation
        self.output = output
        self.state = ChatState(language=language)
        self.options: list = []  # numbered options on screen
        self.labelled: list = []  # options on screen that are typed as words

    def show(self, reply: Reply) -> None:
        for message in reply.messages:
            self.output.write(plain(message) + "\n\n")
        shown = reply.option_list()
        ages = [option for option in shown if option.data.startswith("a:age:") and option.label[:1].isdigit()]
        self.labelled = [option for option in shown if option not in ages]
        # With ages on screen a typed number is an age, so the other options are typed as words;
        # otherwise every option has a number. Decided by what is on screen, never by the step.
        self.options = [] if ages else shown
        if ages:
            self.output.write(f"  ({' '.join(option.label for option in ages)})\n")
            for option in self.labelled:
                self.output.write(f"  - {option.label}\n")
        for number, option in enumerate(self.options, start=1):
            self.output.write(f"  {number}. {option.label}\n")
        self.output.write("\n")
        self.output.flush()

    def event_for(self, line: str) -> Event:
        line = line.strip()
        if line.isdigit() and self.options and 1 <= int(line) <= len(self.options):
            return Event("button", self.options[int(line) - 1].data)
        if line.startswith("/"):
            command, _, argument = line.partition(" ")
            if command.lower() == "/start":
                return Event("start", argument=argument.strip())
            return Event("command", command, argument.strip())
        matching = [option for option in [*self.options, *self.labelled] if option.label.casefold() == line.casefold()]
        if matching:
            return Event("button", matching[0].data)
        return Event("text", line)

    def step(self, event: Event) -> Reply:
        self.state, reply = self.conversation.handle(self.state, event)
        self.show(reply)
        return reply

    def run(self, lines: IO[str] = sys.stdin) -> int:
        self.step(Event("start"))
        prompt = lines.isatty() if hasattr(lines, "isatty") else False
        while True:
            if prompt:
                self.output.write("> ")
                self.output.flush()
            line = lines.readline()
            if not line:
                return 0
            if line.strip().lower() in ("/quit", "/exit", "/afslut"):
                return 0
            self.step(self.event_for(line))
