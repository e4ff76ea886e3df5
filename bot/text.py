"""Text normalisation shared by safety, understanding and the catalogue's word lists.

Everything the guide compares goes through `normalise`, so a word list in the catalogue and
a message typed on a phone meet in the same form: lower case, æ/ø/å (and Swedish ä/ö) folded
to the spellings people type without them ("ae", "oe", "aa"), letters repeated for emphasis
collapsed ("nejjjj"), punctuation dropped, and common spoken spellings ("ik", "mer",
"wanna") written out.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_LETTER_FOLDS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_REPEATS = re.compile(r"(\w)\1{2,}")
_NOT_WORD = re.compile(r"[^\w]+")
_APOSTROPHES = re.compile(r"['’`´]")

# Spoken and chat spellings, written out. Keys and values are in folded form.
_SPOKEN = {
    # Danish
    "ik": "ikke",
    "ikk": "ikke",
    "ike": "ikke",
    "ikek": "ikke",
    "ikkke": "ikke",
    "mer": "mere",
    "ka": "kan",
    "sku": "skulle",
    "ska": "skal",
    "hva": "hvad",
    "jg": "jeg",
    "jeh": "jeg",
    "mej": "mig",
    "dej": "dig",
    "gidder": "gider",
    "selvmort": "selvmord",
    "sgu": "",
    # English
    "dont": "do not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "hasnt": "has not",
    "havent": "have not",
    "couldnt": "could not",
    "wouldnt": "would not",
    "shouldnt": "should not",
    "wanna": "want to",
    "gonna": "going to",
    "im": "i am",
    "ive": "i have",
    "idk": "i do not know",
    "kms": "kill myself",
    "u": "you",
    "ur": "your",
    "unalive": "kill",
    # Swedish
    "int": "inte",
    "naat": "naagot",
}


def fold(text: str) -> str:
    """Case and letters only: the form patterns and word lists are written against."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTER_FOLDS)
    # Strip remaining accents (é → e) but keep the letters themselves.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """The message as space-separated words in folded form, spoken spellings written out."""
    text = _APOSTROPHES.sub("", text)
    text = _REPEATS.sub(r"\1", unicodedata.normalize("NFKC", text).casefold())
    words = _NOT_WORD.sub(" ", fold(text)).replace("_", " ").split()
    return " ".join(filter(None, (_SPOKEN.get(word, word) for word in words)))


def words(text: str) -> list[str]:
    return normalise(text).split()


_STEMMERS = {
    "da": snowballstemmer.stemmer("danish"),
    "en": snowballstemmer.stemmer("english"),
    "sv": snowballstemmer.stemmer("swedish"),
}


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """The Snowball stem of an already normalised word."""
    if word.isdigit():
        return word
    return _STEMMERS[language].stemWord(word)


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Everyday words that belong to one of the guide's languages only, to notice the language a person
# writes in. Words the languages share are left out ("har", "det", "mig", "kan", and "i", "to", "is",
# "it", "have", "min", "om", which are words of another of them too).
_OWN_WORDS = {
    "da": _word_set(
        "jeg ikke og hvad hvordan meget også nogen noget hjælp søn datter hun skal bare være gider orker mere "
        "hvis fordi synes føler mit mine vores kæreste skolen"
    ),
    "en": _word_set(
        "i'm im my me the and not don't dont want of he she what how can't cant feel am with "
        "this anymore myself our son daughter because school help"
    ),
    "sv": _word_set(
        "jag inte och är hon vad hur mycket också någon något hjälp dotter mår vill ska bara vara orkar mer "
        "eftersom tycker känner mitt mina vår skolan pojkvän flickvän"
    ),
}
_LOWER_WORDS = re.compile(r"[a-zæøåäöü']+")


def written_language(text: str) -> str | None:
    """'da', 'en' or 'sv' when a message is clearly written in it (two or more of its own everyday
    words, and at least twice as many as of any other language); None when it is short or mixed."""
    found = _LOWER_WORDS.findall(text.lower()[:2000])
    hits = {language: sum(word in own for word in found) for language, own in _OWN_WORDS.items()}
    best, runner_up = sorted(hits.values(), reverse=True)[:2]
    if best < 2 or best < 2 * runner_up:
        return None
    return max(hits, key=lambda language: hits[language])
