"""From a message to what the guide can use: topics, age, municipality, who is writing.

Lexical and fast: the catalogue's topic words are normalised and stemmed once into an index;
a message is normalised, each word is stemmed in Danish, English and Swedish, words not in
the vocabulary are spell-corrected against it with rapidfuzz, and then the topic phrases are
looked up. Nothing here calls the network or loads a model.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.catalogue import Catalogue
from bot.schema import LANGUAGES
from bot.text import fold, normalise, stem

_MIN_FUZZY_LENGTH = 5  # shorter words have too many neighbours to correct safely
_FUZZY_CUTOFF = 85
_MAX_GAP = 1  # words allowed between the words of a phrase ("vil ikke gå i skole")
_FOREIGN_WEIGHT = 0.6  # a match in another language than the user's counts a little less


@dataclass(frozen=True)
class Phrase:
    topic: str
    language: str
    stems: tuple[str, ...]

    @property
    def weight(self) -> float:
        return 1.0 + 0.5 * (len(self.stems) - 1)  # longer phrases are more specific


@dataclass
class Understanding:
    topics: dict[str, float] = field(default_factory=dict)  # topic -> strength
    age: int | None = None
    municipality: str | None = None
    role: str | None = None
    severity: int | None = None

    def ranked_topics(self) -> list[str]:
        return sorted(self.topics, key=lambda topic: -self.topics[topic])


class TopicIndex:
    """The catalogue's topic words, stemmed per language, ready for lookup."""

    def __init__(self, catalogue: Catalogue):
        self.by_first_stem: dict[str, dict[str, list[Phrase]]] = {lang: defaultdict(list) for lang in LANGUAGES}
        self.topic_weights = {topic_id: topic.weight for topic_id, topic in catalogue.topics.items()}
        for topic_id, topic in catalogue.topics.items():
            for language, phrases in topic.words.items():
                for phrase in phrases:
                    stems = tuple(stem(word, language) for word in normalise(phrase).split())
                    if stems:
                        self.by_first_stem[language][stems[0]].append(Phrase(topic_id, language, stems))
        self.vocabulary: dict[str, list[str]] = {
            language: sorted({s for phrases in self.by_first_stem[language].values() for p in phrases for s in p.stems})
            for language in LANGUAGES
        }
        self._vocabulary_sets = {language: set(words) for language, words in self.vocabulary.items()}
        self._corrections: dict[tuple[str, str], str] = {}

    def _correct(self, word_stem: str, language: str) -> str:
        if word_stem in self._vocabulary_sets[language] or len(word_stem) < _MIN_FUZZY_LENGTH:
            return word_stem
        key = (word_stem, language)
        if key not in self._corrections:
            best = process.extractOne(word_stem, self.vocabulary[language], scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            self._corrections[key] = best[0] if best else word_stem
            if len(self._corrections) > 50_000:  # bounded: arbitrary input must not grow memory
                self._corrections.clear()
        return self._corrections[key]

    def topics_in(self, words: list[str], user_language: str = "da") -> dict[str, float]:
        found: dict[str, float] = defaultdict(float)
        for language in LANGUAGES:
            stems = [self._correct(stem(word, language), language) for word in words]
            weight = 1.0 if language == user_language else _FOREIGN_WEIGHT
            matched: set[tuple[str, int]] = set()  # one match per topic per starting word
            for start, first in enumerate(stems):
                for phrase in self.by_first_stem[language].get(first, ()):
                    if (phrase.topic, start) in matched:
                        continue
                    if language != user_language and len(phrase.stems) == 1 and len(words[start]) < _MIN_FUZZY_LENGTH:
                        continue  # short foreign words collide ("sad" is Danish for "sat")
                    if _phrase_at(stems, start, phrase.stems):
                        matched.add((phrase.topic, start))
                        found[phrase.topic] += phrase.weight * weight * self.topic_weights[phrase.topic]
        return dict(found)


def _phrase_at(stems: list[str], start: int, phrase: tuple[str, ...]) -> bool:
    position = start + 1
    gaps = 0
    for wanted in phrase[1:]:
        while position < len(stems) and stems[position] != wanted:
            gaps += 1
            position += 1
            if gaps > _MAX_GAP:
                return False
        if position >= len(stems):
            return False
        position += 1
    return True


# ------------------------------------------------------------------ hints: age, role, place

_NUMBER_WORDS = {
    fold(word): str(number)
    for number, word in enumerate(
        [
            "nul",
            "et",
            "to",
            "tre",
            "fire",
            "fem",
            "seks",
            "syv",
            "otte",
            "ni",
            "ti",
            "elleve",
            "tolv",
            "tretten",
            "fjorten",
            "femten",
            "seksten",
            "sytten",
            "atten",
            "nitten",
        ]
    )
    if number > 1
}
_AGE_PATTERNS = [
    re.compile(fold(pattern))
    for pattern in (
        r"\b(?:paa|er|bliver|is|am|aged|age|aar|years|old|aer|fyllt|fyller|bara|ar) (\d{1,2})(?! (?:klasse|klass|kl|grade|maaneder|uger|dage|timer|gange|min))\b",
        r"\b(\d{1,2}) ?(?:aarig|aarige|aar gammel|aar|year old|years old|yo|aaring|aring|ar gammal|aar gammal|aars)\b",
        r"\b(\d{1,2})(?:-| )?(?:aarig|aarige|aaring|year-old)",
    )
]
_GRADE_PATTERN = re.compile(r"\b(\d{1,2})\.? ?(?:klasse|klass|kl|grade|arskurs|aarskurs)\b")
_BABY_PATTERN = re.compile(
    fold(
        r"\b(\d{1,2} (maaneder|uger|months|weeks|maanader|veckor)|baby|babyen|nyfoedt|spaedbarn|gravid|pregnant|newborn|bebis)\b"
    )
)

_ROLE_PATTERNS = {
    "professional": re.compile(
        fold(
            r"\b(jeg er|som) (laerer|paedagog|sundhedsplejerske|skolesundhedsplejerske|traener|leder|skoleleder|kontaktlaerer|klasselaerer|psykolog|socialraadgiver|tandlaege|paedagogmedhjaelper|ansat)\b"
            r"|\b(en|min|vores|mine|flere) (elev|elever|klasse)\b|\belev i\b|\bi (min|vores) klasse\b|\bpaa (min|vores) skole\b"
            r"|\bi (am|m) a (teacher|nurse|coach|pedagogue|social worker)\b|\bmy (student|pupil|class)\b"
            r"|\bjag (aer|ar) (laerare|larare|kurator|skolskoeterska|rektor)\b|\b(min|en) elev\b|\bforaeldremoed"
        )
    ),
    "parent": re.compile(
        fold(
            r"\b(min|mit|vores|vor) (soen|datter|barn|boern|dreng|pige|teenager|baby|pige|drenge|piger|foerstefødte|yngste|aeldste|barnebarn|plejebarn|plejesoen|plejedatter|stedsoen|steddatter)\b"
            r"|\b(mine|vores) (boern|drenge|piger)\b|\b(min|mit|vores) \d{1,2} ?(aarig|aarige|aars)\b|\bboernene\b|\bjeg er (mor|far|foraelder|forælder|bedstemor|bedstefar|plejemor|plejefar|far til|mor til)\b|\bjeg er far\b"
            r"|\bmy (son|daughter|child|kid|kids|children|baby|boy|girl|toddler)\b|\bi am (a|the) (mum|mom|dad|father|mother|parent)\b"
            r"|\b(min|mitt|vaar|vart) (son|dotter|barn|pojke|flicka)\b|\bjag (aer|ar) (mamma|pappa|foraelder)\b|\bfaaet en baby|\bgravid\b"
        )
    ),
    "youth": re.compile(
        fold(
            r"\bjeg er (\d{1,2})\b|\bjeg gaar i (\d{1,2}|skole|klasse)|\b(min|mine) (mor|far|foraeldre|stedfar|stedmor|laerer)\b"
            r"|\bi am (\d{1,2})\b|\bmy (mum|mom|dad|parents|teacher)\b|\bjag (aer|ar) (\d{1,2})\b|\b(min|mina) (mamma|pappa|foraeldrar)\b"
        )
    ),
}
_SEVERE = re.compile(
    fold(
        r"\b(kan|kunne) slet ikke (fungere|komme ud af sengen|spise)|\bfungerer slet ikke\b|\bhoerer stemmer\b|\bikke sovet i (flere|mange) (dage|doegn)"
        r"|\bcan ?not function\b|\bhears? voices\b|\bhoer roester\b|\bkaster op efter (hvert|alle) maaltid"
    )
)


def find_age(message: str) -> int | None:
    for pattern in _AGE_PATTERNS:
        match = pattern.search(message)
        if match and 0 <= int(match.group(1)) <= 30:
            return int(match.group(1))
    grade = _GRADE_PATTERN.search(message)
    if grade and int(grade.group(1)) <= 10:
        return int(grade.group(1)) + 6  # 0. klasse starts the year a child turns six
    if _BABY_PATTERN.search(message):
        return 0
    return None


def find_role(message: str) -> str | None:
    for role, pattern in _ROLE_PATTERNS.items():  # professional before parent before youth
        if pattern.search(message):
            return role
    return None


def _spell_out_age_numbers(words: list[str]) -> list[str]:
    """'på ni', 'ni år' -> 9; other number words stay words ("vi er to" is not an age)."""
    result = list(words)
    for position, word in enumerate(words):
        if word not in _NUMBER_WORDS:
            continue
        before = words[position - 1] if position else ""
        after = words[position + 1] if position + 1 < len(words) else ""
        if before == "paa" or after.startswith(("aar", "year")):
            result[position] = _NUMBER_WORDS[word]
    return result


def find_municipality(words: list[str], towns: dict[str, str]) -> str | None:
    for word in words:
        if word in towns:
            return towns[word]
    for word in words:
        if len(word) >= 6:
            best = process.extractOne(word, list(towns), scorer=fuzz.ratio, score_cutoff=88)
            if best:
                return towns[best[0]]
    return None


class Understander:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.index = TopicIndex(catalogue)
        self.towns = {normalise(town): municipality for town, municipality in catalogue.town_to_municipality.items()}
        self.towns.update({normalise(municipality_id): municipality_id for municipality_id in catalogue.municipalities})

    def read(self, text: str, language: str = "da") -> Understanding:
        message = normalise(text)
        words = message.split()
        with_numbers = " ".join(_spell_out_age_numbers(words))
        topics = self.index.topics_in(words, language)
        severity = 4 if _SEVERE.search(message) else None
        return Understanding(
            topics=topics,
            age=find_age(with_numbers),
            municipality=find_municipality(words, self.towns),
            role=find_role(message),
            severity=severity,
        )
