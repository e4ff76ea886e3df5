"""From a message to what the guide can use: topics, age, municipality, who is writing.

Two signals for topics, added up:
- the topic words: the catalogue's phrases are normalised and stemmed once into an index; a
  message is normalised, each word is stemmed in Danish, English and Swedish, words not in the
  vocabulary are spell-corrected against it with rapidfuzz, and the phrases are looked up;
- the learned signal (`bot.topic_model`): a small linear model trained from those phrases and
  the routing cases, for what people write in words the lists do not have.
Nothing here calls the network; the model is numbers shipped in the repository.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.catalogue import Catalogue
from bot.schema import LANGUAGES
from bot.text import fold, normalise, stem
from bot.topic_model import TopicModel

_MIN_FUZZY_LENGTH = 5  # shorter words have too many neighbours to correct safely
_FUZZY_CUTOFF = 85
_MAX_GAP = 1  # words allowed between the words of a phrase ("vil ikke gå i skole")
_FOREIGN_WEIGHT = 0.6  # a match in another language than the user's counts a little less
# The learned signal counts when the model gives a topic at least a fifth, then up to three topic
# words' worth; chosen by leaving one blind-written file out at a time (a new writer: the model
# trained without that file, its tuning part scored; bench/bench_routing.py --lofo). Before: 0.4 / 1.0
# (87% first, chosen by k-fold CV, where a writer's own phrasing is in the training folds).
LEARNED_THRESHOLD = 0.2
LEARNED_WEIGHT = 3.0
# A topic that calls for a level (hearing voices: psychiatry) counts fully only when words name it:
# the model's guess alone stays below the strength that raises the level ("en voksen mand på insta").
LEARNED_ALONE_LEVEL_CAP = 0.9
# When the topic words find nothing in a sentence, the model's best guess counts if it clearly
# leads - never for a word or two ("forælder", "ved ikke" answer a question) and never a broad topic.
FALLBACK_THRESHOLD = 0.3  # 0.4 before; leave-one-file-out with train6/7 and h4/h5 trained on: +2 first of 2160
FALLBACK_LEAD = 2.0  # at least twice as likely as the next topic
FALLBACK_MIN_WORDS = 3
# Words that say who and where, not what ("jeg er 15 og bor i Aarhus"): not counted for the fallback.
_NO_CONTENT = frozenset(
    normalise(word)
    for words in (
        "jeg er og bor i vi på min mit mine han hun det en et har til fra hej år gammel gamle os der vores",
        "i am and live in we my he she it a the from hi years old is our",
        "jag är och bor vi min mitt han hon det en ett har från hej år gammal",
    )
    for word in words.split()
)
# Words that name the setting ("skole", "elev", "lærer") beside a specific topic are not the
# question: a teacher names the school in every message, and an anxious pupil is a question
# about anxiety before it is one for the school psychologists. Then they, and the learned
# signal's guess at a broad topic, count this much. ("ordblind" is no setting word.)
SETTING_BESIDE_SPECIFIC = 0.3
_SETTING_WORDS = frozenset(
    normalise(word)
    for word in [
        "skole",
        "skolen",
        "lærer",
        "læreren",
        "lærerne",
        "elev",
        "eleven",
        "eleverne",
        "elever",
        "pædagog",
        "pædagogen",
        "pædagogerne",
        "school",
        "teacher",
        "pupil",
        "student",
        "skola",
        "skolan",
        "lärare",
    ]
)


@dataclass(frozen=True)
class Phrase:
    topic: str
    language: str
    stems: tuple[str, ...]
    setting: bool = False  # a word for where, not what ("skolen")
    rest: frozenset[str] = frozenset()  # the words after the first: all must be in the message

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
    offers_named: tuple[str, ...] = ()  # offers the message names ("hvad går MOT ud på?")
    offers_tried: tuple[str, ...] = ()  # help already had that did not help enough ("vi har været hos PPR")
    urgent_now: bool = False  # something sudden or severe, now, when the own doctor is closed
    notify: bool = False  # asks how to tell the municipality about a child (underretning)
    in_school: bool = False  # the child goes to school (a five-year-old in børnehaveklasse)
    expecting: bool = False  # the writer is pregnant or expecting a baby ("jeg er 17 og gravid")

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
                        setting = normalise(phrase) in _SETTING_WORDS
                        phrase_found = Phrase(topic_id, language, stems, setting, frozenset(stems[1:]))
                        self.by_first_stem[language][stems[0]].append(phrase_found)
        self.vocabulary: dict[str, list[str]] = {
            language: sorted({s for phrases in self.by_first_stem[language].values() for p in phrases for s in p.stems})
            for language in LANGUAGES
        }
        self._vocabulary_sets = {language: set(words) for language, words in self.vocabulary.items()}
        # By length: a word can only be within the cutoff of a word of about its length
        # (ratio = 2 * common / (len1 + len2)), so only those are compared - a fraction of the work.
        self._by_length: dict[str, dict[int, list[str]]] = {language: defaultdict(list) for language in LANGUAGES}
        for vocabulary_language, vocabulary in self.vocabulary.items():
            for word in vocabulary:
                self._by_length[vocabulary_language][len(word)].append(word)
        self._corrections: dict[tuple[str, str], str] = {}

    def _correct(self, word_stem: str, language: str) -> str:
        if word_stem in self._vocabulary_sets[language] or len(word_stem) < _MIN_FUZZY_LENGTH:
            return word_stem
        key = (word_stem, language)
        if key not in self._corrections:
            length = len(word_stem)
            shortest = math.floor(length * _FUZZY_CUTOFF / (200 - _FUZZY_CUTOFF))
            longest = math.ceil(length * (200 - _FUZZY_CUTOFF) / _FUZZY_CUTOFF)
            candidates = [word for near in range(shortest, longest + 1) for word in self._by_length[language].get(near, ())]
            best = process.extractOne(word_stem, candidates, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            self._corrections[key] = best[0] if best else word_stem
            if len(self._corrections) > 50_000:  # bounded: arbitrary input must not grow memory
                self._corrections.clear()
        return self._corrections[key]

    def topics_in(self, words: list[str], user_language: str = "da") -> dict[str, float]:
        matches: list[tuple[str, int, int, float]] = []  # topic, first word, end, strength
        settings: set[int] = set()  # which matches are setting words
        for language in LANGUAGES:
            # Spelling is corrected in the user's language only: in another, a Danish word comes
            # too near a foreign one ("næsten" -> Swedish "nätet").
            if language == user_language:
                stems = [self._correct(stem(word, language), language) for word in words]
            else:
                stems = [stem(word, language) for word in words]
            weight = 1.0 if language == user_language else _FOREIGN_WEIGHT
            matched: set[tuple[str, int]] = set()  # one match per topic per starting word
            present = set(stems)  # a phrase whose other words are not all here cannot match (a quick test first)
            for start, first in enumerate(stems):
                for phrase in self.by_first_stem[language].get(first, ()):
                    if (phrase.topic, start) in matched or not phrase.rest <= present:
                        continue
                    if language != user_language and len(phrase.stems) == 1 and len(words[start]) < _MIN_FUZZY_LENGTH:
                        continue  # short foreign words collide ("sad" is Danish for "sat")
                    end = _phrase_end(stems, start, phrase.stems)
                    if end:
                        matched.add((phrase.topic, start))
                        strength = phrase.weight * weight * self.topic_weights[phrase.topic]
                        if phrase.setting:
                            settings.add(len(matches))
                        matches.append((phrase.topic, start, end, strength))
        found: dict[str, float] = defaultdict(float)
        setting: dict[str, float] = defaultdict(float)
        for number, (topic, start, end, strength) in enumerate(matches):
            if not _inside_a_longer_match(topic, start, end, matches):
                (setting if number in settings else found)[topic] += strength
        factor = SETTING_BESIDE_SPECIFIC if self.has_specific(found) else 1.0
        for topic, strength in setting.items():
            found[topic] += factor * strength
        return dict(found)

    def has_specific(self, topics: dict[str, float]) -> bool:
        """A topic that says which help fits (not a broad one like school), clearly named."""
        return any(self.topic_weights.get(topic, 1.0) >= 1 and strength >= 1 for topic, strength in topics.items())


def _inside_a_longer_match(topic: str, start: int, end: int, matches: list[tuple[str, int, int, float]]) -> bool:
    """'min far drikker' is about a parent's drinking: the word 'drikker' inside that phrase
    must not also count as the writer's own drinking. A match lying within a longer match of
    another topic is that topic's word, not its own."""
    return any(
        other != topic and other_start <= start and end <= other_end and other_end - other_start > end - start
        for other, other_start, other_end, _ in matches
    )


def _phrase_end(stems: list[str], start: int, phrase: tuple[str, ...]) -> int:
    """Where the phrase starting at `start` ends (one past its last word), or 0 if it is not there."""
    position = start + 1
    gaps = 0
    for wanted in phrase[1:]:
        while position < len(stems) and stems[position] != wanted:
            gaps += 1
            position += 1
            if gaps > _MAX_GAP:
                return 0
        if position >= len(stems):
            return 0
        position += 1
    return position


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
            r"\b(jeg er|som) (laerer|paedagog|sundhedsplejerske|skolesundhedsplejerske|skolesygeplejerske|sygeplejerske|dagplejer|traener|leder|skoleleder|kontaktlaerer|klasselaerer|psykolog|socialraadgiver|tandlaege|paedagogmedhjaelper|ansat)\b"
            r"|\b(en|min|vores|mine|flere) (elev|elever|klasse)\b|\belev i\b|\bi (min|vores) klasse\b|\bpaa (min|vores) skole\b"
            r"|\bi (am|m) a (teacher|nurse|coach|pedagogue|social worker)\b|\bmy (student|pupil|class)\b"
            r"|\bjag (aer|ar) (laerare|larare|kurator|skolskoeterska|rektor)\b|\b(min|en) elev\b|\bforaeldremoed"
        )
    ),
    "parent": re.compile(
        fold(
            r"\b(min|mit|vores|vor) (soen|datter|barn|boern|dreng|pige|teenager|baby|pige|drenge|piger|foerstefødte|yngste|aeldste|barnebarn|plejebarn|plejesoen|plejedatter|stedsoen|steddatter)\b"
            r"|\b(mine|vores) (boern|drenge|piger)\b|\b(min|mit|vores) \d{1,2} ?(aarig|aarige|aars)\b|\bboernene\b|\bjeg er (mor|far|foraelder|forælder|bedstemor|bedstefar|mormor|morfar|farmor|farfar|oldemor|oldefar|plejemor|plejefar|stedmor|stedfar|far til|mor til)\b|\bjeg er far\b"
            r"|\bmy (son|daughter|child|kid|kids|children|baby|boy|girl|toddler)\b|\bi am (a|the|his|her) (mum|mom|dad|father|mother|parent|grandmother|grandfather|grandma|grandpa|foster parent|foster mum|foster dad)\b|\bmy (grandson|granddaughter|grandchild)\b"
            r"|\b(min|mitt|vaar|vart) (son|dotter|barn|pojke|flicka)\b|\bjag (aer|ar) (mamma|pappa|foraelder|mormor|morfar|farmor|farfar|fosterfoeraelder|fosterforaelder)\b|\b(mitt|vaart|vart) barnbarn\b|\bfaaet en baby|\bgravid\b"
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
        r"\b(kan|kunne) slet ikke (fungere|komme ud af sengen|spise)|\b(han|hun|jeg|hen|den) fungerer slet ikke\b|\bhoerer stemmer\b|\bikke sovet i (flere|mange|\d+|to|tre|fire|fem) (dage|doegn|naetter)\b"
        r"|\bikke (spist|drukket) (noget )?i (\d+|to|tre|fire|flere|mange) (doegn|dage)\b|\bhasn ?t eaten (in|for) (\d+|two|three|several) days\b"
        r"|\bcan ?not function\b|\bhears? voices\b|\bhoer roester\b|\bkaster op efter (hvert|alle) maaltid"
    )
)


# A young person writing about an adult's drinking ("min mor og hendes nye mand skændes og han
# drikker") is not writing about their own: an adult named, and no "jeg drikker".
_ADULT_FIGURE = re.compile(
    fold(
        r"\b(mor|far|moren|faren|mors|fars|foraeldre|foraelder|stedfar|stedmor|papfar|papmor|bonusfar|bonusmor|mand|eks|bror|storebror|lillebror|soester|storesoester|broren|brother|sister"
        r"|mom|mum|dad|mother|father|parents|stepdad|stepmum|mamma|pappa|foraeldrar)\b"
    )
)
_OWN_USE = re.compile(
    fold(
        r"\b(jeg|jag) (drikker|ryger|tager|har drukket|har roeget|bliver fuld|drak|har ogsaa proevet|har proevet|dricker|roeker|tar)\b|\bi (drink|smoke|take|get drunk)\b"
        # "jeg er 16 og ryger joints", a message that starts with the use ("ryger lidt for meget joint")
        r"|\b(jeg|jag) (er|aer|ar) \d{1,2} (og|och) (drikker|ryger|tager|vaper|dricker|roeker|tar)\b|^(ryger|drikker|vaper|roeker|dricker)\b|\bi m \d{1,2} and (drink|smoke)\b"
    )
)


# An adult (or "han"/"hun" beside one) as the one who uses: "min far drikker", "han drikker".
_ADULT_USES = re.compile(
    fold(
        r"\b(mor|far|moren|faren|foraeldre|foraeldrene|stedfar|stedmor|papfar|papmor|bonusfar|bonusmor|mand|eks|bror|storebror|soester|han|hun"
        r"|mom|mum|dad|mother|father|parents|stepdad|he|she|mamma|pappa|foraeldrar)\b(?: \w+){0,2}? (drikker|drinks|dricker|ryger|tager|smokes|takes|er fuld|kommer fuld)\b"
    )
)
_PARENTS_OWN_USE = re.compile(
    fold(
        r"\b(jeg|jag) (drikker|tager|ryger|har drukket|har et problem|har selv et problem|er afhaengig)\b|\bmit (eget )?(forbrug|misbrug)\b|\bi (drink|take)\b"
    )
)


# A parent about the other adult in the home ("min eksmand drikker når børnene er hos ham").
_OTHER_ADULTS_USE = re.compile(
    fold(
        r"\b(mand|manden|eksmand|eksmanden|eks|ekskone|ekskonen|kone|konen|kaereste|kaeresten|samlever|partner|papfar|stedfar|bonusfar|storebror|bror|soester|storesoester"
        r"|husband|ex|wife|partner|boyfriend|girlfriend|man|sambo|exet)\b(?: \w+){0,2}? (drikker|drinks|dricker|ryger|tager|er fuld)\b"
    )
)


def _adult_drinking_not_own(topics: dict[str, float], message: str, role: str | None) -> dict[str, float]:
    """The drinking of the adult in the house is the family's question, not the child's own use:
    a young person writing about a parent ("min far drikker"), or a parent about their own
    ("jeg drikker for meget om aftenen", "jeg har selv et problem med piller")."""
    if role != "parent" and "parental_substance" in topics and _OWN_USE.search(message) and not _ADULT_USES.search(message):
        # "jeg drikker for meget og min mor er sur": their own use, whoever else is named
        topics = dict(topics)
        topics["substance_own"] = topics.get("substance_own", 0.0) + topics.pop("parental_substance")
        return topics
    if "substance_own" not in topics:
        return topics
    parents_own = role == "parent" and (_PARENTS_OWN_USE.search(message) or _OTHER_ADULTS_USE.search(message))
    young = _OWN_USE.search(message) or _YOUNG_PEOPLES_USE.search(message)
    if not parents_own and (role == "parent" or young or not _ADULT_FIGURE.search(message)):
        return topics
    topics = dict(topics)
    topics["parental_substance"] = topics.get("parental_substance", 0.0) + topics.pop("substance_own")
    return topics


# Young people's own use named by a group ("de unge begynder at drikke til fester"): not an adult's.
_YOUNG_PEOPLES_USE = re.compile(
    fold(
        r"\b(de unge|unge|eleverne|elever|teenagere|teenagerne|drengene|pigerne|boernene|klassekammeraterne|vennerne|venner|veninder|friends|young people|teenagers|pupils|ungdomar|eleverna|kompisarna)\b"
        r"(?: \w+){0,3}? (drikke|drikker|ryge|ryger|feste|fester|vape|vaper|tager|tage|drink|drinking|take|dricka|dricker)\b"
    )
)

# A group's drinking told by their parents or teachers ("flere af børnene er begyndt at drikke til
# fester", no one child of their own named): a question for prevention (talks, common rules; seed
# 004), not for treating one young person's use.
_ONE_CHILD = re.compile(
    fold(r"\b(min|mit|vores|my|our|mitt|vaar) (soen|datter|barn|dreng|pige|son|daughter|child|dotter|pojke|flicka)\b")
)


def _group_use_is_prevention(topics: dict[str, float], message: str, role: str | None) -> dict[str, float]:
    if role not in ("parent", "professional") or "substance_own" not in topics:
        return topics
    if not _YOUNG_PEOPLES_USE.search(message) or _ONE_CHILD.search(message):
        return topics
    topics = dict(topics)
    own = topics.pop("substance_own")
    topics["prevention_talk"] = max(topics.get("prevention_talk", 0.0), own)
    return topics


# A parent about their own state ("jeg er selv så deprimeret", "jeg selv kan ikke sove af
# bekymring"): the parent's own mental health is the family's question (family support, the
# parents' line, their doctor), not the child's treatment.
_PARENTS_OWN_STATE = re.compile(
    fold(
        r"\bjeg (?:er |har |kan |bliver )?selv\b|\bjeg er (?:saa )?(?:deprimeret|udbraendt|stresset)\b|\bmyself\b|\bjag (?:aer |ar |har )?sjaelv\b"
        r"|\b(?:og|men) har selv\b|\bjeg (?:sidder i|har|er i|kaemper med|lider af) (?:en )?(?:depression|foedselsdepression|angst)\b|\bsidder selv i (?:en )?depression\b"
        r"|\bjeg er (?:mor|far|alenemor|alenefar)(?: \w+){0,3} og (?:sidder i|har|lider af) (?:en )?(?:depression|angst)\b"
        r"|\bjeg drikker\b|\bi have (?:depression|anxiety)\b|\bjag har (?:en )?depression\b"
    )
)
_PARENTS_OWN_TOPICS = ("sadness", "anxiety", "sleep", "stress")

# Telling the municipality about a child: named outright ("hvornår skal jeg underrette"), or asked
# for beside a concern about a child ("hvem siger jeg det til?").
_NOTIFY_NAMED = re.compile(
    fold(r"\bunderret\w*|\borosanmael\w*|\bnotify the municipality\b|\breport (it |this )?to the municipality\b")
)
_NOTIFY_ASKED = re.compile(
    fold(
        r"\bhvem (siger|fortaeller|melder) jeg det til\b|\bhvem skal jeg (sige|fortaelle|melde) det til\b|\b(sige|fortaelle|melde) det til kommunen\b|\bwho do i tell\b"
        r"|\bsom nabo\b|\b(?:naboens|nabos|naboernes) boern\b|\bour neighbou?rs? (?:kids|children)\b|\bgrannens barn\b"
        # a duty asked about: "hvad er min pligt", "what am I obliged to do", "måste jag anmäla"
        r"|\b(?:min|vores) pligt\b|\bpligt til\b|\bforpligtet\b|\bobliged\b|\bobligated\b|\bduty to report\b|\bdo i (?:have|need) to report\b"
        r"|\banmaelningsplikt\b|\bmaaste (?:jag|vi) anmaela\b"
    )
)
# The writer's own pregnancy (or their partner's): "jeg er 17 og gravid", "vi venter barn", "i'm
# pregnant" - not a mother's or a sister's ("min mor er gravid").
_EXPECTING = re.compile(
    fold(
        r"\b(jeg er|vi er|i am|we are|jag aer|vi aer|min kaereste er|my girlfriend is|min flickvaen aer)( \w+){0,3} (gravid|pregnant)\b"
        r"|\b(jeg|vi) venter (\w+ ){0,2}(barn|baby)\b|\b(i am|we are) expecting\b|\b(jag|vi) vaentar (\w+ ){0,2}(barn|bebis)\b"
        r"|^gravid\b"
    )
)
_SCHOOL_CHILD = re.compile(
    fold(
        r"\b(boernehaveklasse\w*|0\.? ?klasse|skole|skolen|skoledag\w*|sfo|klassen|klasselaerer\w*|laereren|school|skolan|foerskoleklass\w*)\b"
    )
)


# Help already had that did not help enough ("vi har været hos PPR, det hjalp ikke", "har gennemført
# Få styr på angsten ... nu er hun tilbage hvor hun startede", "har redan pratat med skolkuratorn"):
# the seeds' steps go on from there (trin 1, then trin 2, then trin 3: "severe, or not helped at
# trin 2"), so the same help is not the first answer again.
_HELP_HAD = re.compile(
    fold(
        r"\b(?:har|havde|have|has|hade|vi|we)\b(?: \w+){0,4}? (?:vaeret|gaaet|gennemfoert|proevet|faaet|haft|talt|snakket|brugt|varit|pratat|provat|gaatt|been|tried|done|had|used|went)\b"
        r"|\b(?:efter|after) (?:et|a|ett) (?:forloeb|course|behandling)\b|\bgik til\b|\bvar hos\b"
    )
)
_NOT_ENOUGH = re.compile(
    fold(
        r"\b(?:stadig|fortsat|igen|still|again|fortfarande|aendaa)\b|\buden bedring\b|\bnaeste skridt\b|\bhvad (?:nu|saa)\b"
        r"|\bnext step\b|\bwhat now\b|\bnaesta steg\b|\bvad nu\b|\btilbage hvor\b|\bvaerre\b|\bworse\b|\bsaemre\b|\bhjalp (?:ikke|kun lidt)\b"
        r"|\binte hjaelpt\b|\bikke hjulpet\b|\bdidn t help\b"
        r"|\bblevet (?:mere|daarligere)\b|\bdaarligere\b|\bikke (?:blevet )?bedre\b|\b(?:not|no) better\b|\binte (?:blivit )?baettre\b"
    )
)
# How people name help they have had, and the offers (by id) each name means.
_HELP_NAMES = tuple(
    (re.compile(fold(pattern)), fragment)
    for pattern, fragment in (
        (r"\bsundhedsplejerske\w*|\bsundhedsplejen\b|\bhealth visitor", "sundhedsplejen"),
        (r"\bppr\b|\bskolepsykolog\w*|\bskolpsykolog\w*|\bschool psychologist", "-ppr"),
        (r"\belevhaelsan\b|\bskolkurator\w*|\bkuratorn\b|\bskolskoeterska\w*", "elevhalsan"),
        (r"\bcenter for trivsel\b", "center-for-trivsel"),
        (r"\bcool ?kids\b|\bchilled\b", "coolkids"),
        (r"\bback ?2 ?school\b", "back2school"),
        (r"\bskolevaegring\w*", "skolevaegring"),
        (r"\bstyr paa angsten\b", "faa-styr-paa-angsten"),
        (r"\brette hjaelp til adhd\b", "rette-hjaelp-adhd"),
        (r"\bfamiliehuset\b", "familiehuset"),
        (r"\bbehandlingstilbud\w*", "behandlingstilbud"),
        (r"\bbasisteam\w*", "basisteam"),
    )
)


# Now, out of hours ("det er lørdag aften", "klokken er 22", "egen læge har lukket"), and something
# sudden or severe: the out-of-hours doctor or the psychiatric emergency, not a referral in office hours.
_OUT_OF_HOURS = re.compile(
    fold(
        r"\bdet er (?:loerdag|soendag|weekend|fredag aften|aften|nat|midnat)\w*|\bklokken er\b|\bi (?:aften|nat)\b|^(?:loerdag|soendag)\b|\bkl(?:okken)?\.? ?(?:19|2[0-3]|0[0-4])(?:[.:]\d\d)?\b"
        r"|\b(?:loerdag|soendag|fredag)s? ?(?:aften|morgen|nat|eftermiddag)\b|\b(?:har|er) lukket\b|\bvente til (?:laegen|hun|han) aabner\b"
        r"|\btonight\b|\bit s (?:saturday|sunday|the weekend)\b|\bin the middle of the night\b|\bikvaell\b|\bi natt\b|\bdet aer (?:loerdag|soendag|helg)\b"
    )
)
# "Egen læge har lukket", "skal vi vente til lægen åbner": they ask whether it can wait.
_DOCTOR_CLOSED = re.compile(
    fold(
        r"\b(?:laege|laegen) (?:har|er) lukket\b|\bvente til (?:laegen|hun|han) aabner\b|\bdoctor is closed\b|\bvaardcentralen aer staengd\b"
    )
)
_SUDDEN = re.compile(
    fold(
        r"\bpludselig\w*|\b(?:ikke|aldrig) sket foer\b|\baldrig (?:proevet|haft) det foer\b|\bi (?:\d+|to|tre|fire) timer\b|\bvoldsom\w*|\bhoej feber\b"
        r"|\bsuddenly\b|\bnever happened before\b|\bfor (?:\d+|two|three) hours\b|\bploetsligt\b|\baldrig haent\b"
    )
)


def offers_tried(message: str, catalogue: Catalogue, topics: dict[str, float]) -> tuple[str, ...]:
    """The offers a message says were tried without enough help (by id), or () when it says none."""
    if not _HELP_HAD.search(message) or not (_NOT_ENOUGH.search(message) or "not_better" in topics):
        return ()
    fragments = [fragment for pattern, fragment in _HELP_NAMES if pattern.search(message)]
    return tuple(offer.id for offer in catalogue.offers if any(fragment in offer.id for fragment in fragments))


def _parents_own_state(topics: dict[str, float], message: str, role: str | None) -> dict[str, float]:
    if role != "parent" or not _PARENTS_OWN_STATE.search(message) or not any(topic in topics for topic in _PARENTS_OWN_TOPICS):
        return topics
    topics = dict(topics)
    moved = sum(topics.pop(topic, 0.0) for topic in _PARENTS_OWN_TOPICS)
    topics["family"] = topics.get("family", 0.0) + moved
    return topics


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


class OfferNames:
    """The offers' own names, to notice an offer named in a message ("kommunens børnelæge i
    Center for Trivsel", "Hvad går MOT ud på?"). A name counts when it belongs to one offer
    only (not "Center for Trivsel" inside every team's name); a short name in capitals (MOT,
    BRUS, SES) only when written in capitals ("mot" is Swedish for "against")."""

    def __init__(self, catalogue: Catalogue):
        places = {normalise(place) for place in [*catalogue.town_to_municipality, *catalogue.municipalities]}
        owners: dict[tuple[str, bool], set[str]] = defaultdict(set)
        for offer in catalogue.offers:
            if not offer.recommendable:
                continue
            for name in (offer.name.da, offer.name.en, offer.name.sv):
                for part in re.split(r"[()\u2013\u2014\"]| - ", name or ""):
                    part = part.strip()
                    words = normalise(part)
                    capitals = len(words) <= 4 and part.isupper()
                    if capitals or (len(words) >= 6 and words not in places):
                        owners[(part if capitals else words, capitals)].add(offer.id)
        self.names = {key: owner for key, ids in owners.items() if (owner := _one_owner(ids, catalogue))}
        # One alternation per kind, longest name first: one pass over the message, not one per name.
        self._patterns = []
        for capitals in (False, True):
            names = sorted((name for name, kind in self.names if kind == capitals), key=lambda name: (-len(name), name))
            if names:
                alternation = "|".join(re.escape(name) for name in names)
                self._patterns.append((re.compile(rf"(?<!\w)(?:{alternation})(?!\w)"), capitals))

    def named_in(self, text: str, message: str) -> tuple[str, ...]:
        found = [
            self.names[(match.group(0), capitals)]
            for pattern, capitals in self._patterns
            for match in pattern.finditer(text if capitals else message)
        ]
        return tuple(dict.fromkeys(found))


def _one_owner(ids: set[str], catalogue: Catalogue) -> str | None:
    """The offer a name belongs to: the only one with it, or the entry point all the others
    are reached through ("Center for Trivsel")."""
    if len(ids) == 1:
        return next(iter(ids))
    entries = [offer_id for offer_id in ids if catalogue.offers_by_id[offer_id].via is None]
    if len(entries) == 1 and all(catalogue.offers_by_id[offer_id].via == entries[0] for offer_id in ids - {entries[0]}):
        return entries[0]
    return None


@lru_cache(maxsize=1)
def shipped_topic_model() -> TopicModel | None:
    return TopicModel.load()


class Understander:
    def __init__(self, catalogue: Catalogue, topic_model: TopicModel | bool | None = True):
        """`topic_model`: True for the shipped model, None or False for the topic words alone."""
        self.catalogue = catalogue
        self.index = TopicIndex(catalogue)
        self.topic_model = shipped_topic_model() if topic_model is True else topic_model or None
        self.use_topic_words = True
        self._calls_for_a_level = frozenset(topic_id for topic_id, topic in catalogue.topics.items() if topic.level_hint)
        self.offer_names = OfferNames(catalogue)
        self.towns = {normalise(town): municipality for town, municipality in catalogue.town_to_municipality.items()}
        self.towns.update({normalise(municipality_id): municipality_id for municipality_id in catalogue.municipalities})

    def _add_learned_topics(self, topics: dict[str, float], probabilities: dict[str, float], word_count: int) -> None:
        """`word_count`: the words that may say what the message is about (not who or where)."""
        ranked = sorted(
            ((probability, topic) for topic, probability in probabilities.items() if topic in self.catalogue.topics), reverse=True
        )
        if not ranked:
            return
        if not topics:  # the words were silent: the model's clear favourite, if there is one
            best, topic = ranked[0]
            runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
            clear = best >= FALLBACK_THRESHOLD and best >= FALLBACK_LEAD * runner_up
            if clear and word_count >= FALLBACK_MIN_WORDS and self.index.topic_weights[topic] >= 1:
                topics[topic] = LEARNED_WEIGHT * best
            return
        specific = self.index.has_specific(topics)
        for probability, topic in ranked:
            if probability < LEARNED_THRESHOLD:
                break
            broad = self.index.topic_weights[topic] < 1
            factor = SETTING_BESIDE_SPECIFIC if broad and specific else 1.0
            strength = factor * LEARNED_WEIGHT * probability
            if topic not in topics and topic in self._calls_for_a_level:
                strength = min(strength, LEARNED_ALONE_LEVEL_CAP)  # the model alone sends no one to psychiatry
            topics[topic] = topics.get(topic, 0.0) + strength

    def read(self, text: str, language: str = "da", known_role: str | None = None) -> Understanding:
        """What one message says. `known_role`: who is writing, when already answered (the
        message's own hints are used otherwise)."""
        message = normalise(text)
        words = message.split()
        with_numbers = " ".join(_spell_out_age_numbers(words))
        topics = self.index.topics_in(words, language) if self.use_topic_words else {}
        if self.topic_model is not None:
            content = sum(1 for word in words if word not in _NO_CONTENT and word not in self.towns and not word.isdigit())
            self._add_learned_topics(topics, self.topic_model.probabilities(text, language), content)
        severity = 4 if _SEVERE.search(message) else None
        role = find_role(message)
        writer = known_role or role
        topics = _parents_own_state(_adult_drinking_not_own(topics, message, writer), message, writer)
        topics = _group_use_is_prevention(topics, message, writer)
        tried = offers_tried(message, self.catalogue, topics)
        urgent_now = bool(
            _OUT_OF_HOURS.search(message) and (severity == 4 or _SUDDEN.search(message) or _DOCTOR_CLOSED.search(message))
        )
        if tried:
            topics = {**topics, "not_better": max(topics.get("not_better", 0.0), 1.0)}
        return Understanding(
            topics=topics,
            notify=bool(_NOTIFY_NAMED.search(message) or (_NOTIFY_ASKED.search(message) and "concern_child" in topics)),
            in_school=bool(_SCHOOL_CHILD.search(message)),
            expecting=bool(_EXPECTING.search(message)),
            age=find_age(with_numbers),
            municipality=find_municipality(words, self.towns),
            role=role,
            severity=severity,
            offers_named=tuple(offer_id for offer_id in self.offer_names.named_in(text, message) if offer_id not in tried),
            offers_tried=tried,
            urgent_now=urgent_now,
        )
