"""Crisis detection: runs first on every free text, before anything else looks at it.

A miss is worse than a false alarm, so the patterns are wide; false alarms are kept down by
what the research on keyword lists names as their failures (see national-lines.md):
figurative speech ("jeg dør af grin"), other people's stories (a book, a film, a grandparent
who died long ago), negation ("jeg har aldrig tænkt på selvmord") and professionals asking
how to talk about a subject. Those exclusions only ever silence the bare keywords
("selvmord", "suicide"): a first-person expression of wanting to die is never excused.

Patterns are written in plain Danish/English/Swedish and folded at import, so they meet the
message in the same form (`bot.text.normalise`). Method words are recognised so the answer
can be more urgent, and are never repeated back to the user.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.safety_concepts import find_concepts
from bot.safety_model import MAX_MODEL_CHARS, LinearTextModel, load_model
from bot.text import fold, normalise

SUICIDE = "suicide"
SELF_HARM = "self_harm"
OVERDOSE = "overdose"
SEXUAL_ABUSE = "sexual_abuse"
VIOLENCE = "violence"
EMERGENCY = "emergency"  # a life in danger right now: hanged, unconscious, not breathing, bleeding heavily
CRISIS_KINDS = (EMERGENCY, SUICIDE, SELF_HARM, OVERDOSE, SEXUAL_ABUSE, VIOLENCE)


@dataclass(frozen=True)
class CrisisCheck:
    kind: str | None = None
    about_other: bool = False  # said about a friend, a sibling, a pupil ...
    urgent: bool = False  # a method, a plan or "now" was named
    uncertain: bool = False  # no crisis found, but worrying enough to ask directly ("kan ikke mere")

    @property
    def is_crisis(self) -> bool:
        return self.kind is not None

    @property
    def risk(self) -> str:
        """`crisis`: crisis answer first; `ask`: ask directly whether a life is in danger; `none`: go on."""
        if self.kind is not None:
            return "crisis"
        return "ask" if self.uncertain else "none"


NO_CRISIS = CrisisCheck()


def _compile(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fold(pattern)})" for pattern in patterns))


# "Wanting to die" said in the first or third person. Never excused by context.
_SUICIDAL_EXPRESSIONS = _compile(
    # Danish
    r"\b(tage|tag|ta|tager|taget|tog) (jeg |han |hun )?(mit|sit|dit|hans|hendes) (eget )?liv\b",
    r"\b(vil|ville|at|skal|gerne|bare) tage livet af (mig|sig)\b",
    r"\bjeg tager livet af mig selv\b",  # "... of myself" is never the idiom "det tager livet af mig"
    r"\b(vil|ville|gider|orker|magter|kan|har lyst til|lyst til|har ikke lyst til|har ingen lyst til|oensker) (ikke )?(at )?leve (mere|laengere|mer)\b",
    r"\b(vil|ville|gider|orker|magter|har ikke lyst til|har ingen lyst til) ikke (at )?leve\b",
    r"\bikke (lyst|kraefter) til at leve\b",
    r"\b(vil|ville|skal|oensker at|oensker|lyst til at|har lyst til at|gerne|bare|hellere) (jeg |hun |han |du )?(gerne |bare |hellere )*(doe|doer)\b(?! af)",
    r"\b(vil|ville|gider|orker|magter|kan) (jeg|hun|han|du) ikke (at )?leve\b",
    r"\b(oensker?|gid|bare) (at )?(jeg|hun|han) (var|er|vaer|bare var) (doed|dod|doede)\b",
    r"\bbedre (hvis|at) (jeg|hun|han) (var|er|var helt) (doed|vaek|vaek for altid)\b",
    r"\b(bedre|bedst) (af )?uden mig\b",
    r"\b(ville oenske|oensker|gid) (at )?jeg (ikke )?(fandtes|eksisterede|var foedt)\b",
    r"\bikke (at )?(vaagne|vaagner) (op )?(igen|mere)\b",
    r"\b(forsvinde|vaek) for altid\b",
    r"\b(vil|ville|skal|har lyst til at) bare forsvinde\b",
    r"\bslaa (mig|sig|dig) (selv )?ihjel\b",
    r"\b(vil|ville) (gerne |bare )*(vaere|vaer) doed\b",  # not "hellere ... end": the idiom
    r"\b(draebe|slaa ihjel|skade) (mig|sig) selv\b",
    r"\b(ende|afslutte) (det hele|mit liv|livet)\b",
    r"\bgoere en ende paa (det|det hele|mit liv|livet)\b",
    r"\b(ingen|ikke nogen) (grund|mening) (til|med) at leve\b",
    r"\bikke noget at leve for\b",
    r"\blivet er ikke vaerd at leve\b",
    r"\b(haenge|skyde|draebe) mig\b",
    r"\b(springe|hoppe|kaste mig) (ud )?(fra|foran|ud foran|ud fra)\b",
    r"\btaenker (paa|at) (at )?(doe|do)\b",
    r"\btanker om at (doe|do)\b",
    r"\bselvmordstank|\bselvmordsfor(s|)oeg|\bselvmordstruet",
    # English
    r"\bkill (myself|herself|himself|themself|themselves)\b",
    r"\b(end|take) (my|her|his|their) (own )?life\b",
    r"\b(want|wants|wanted|going) to die\b",
    r"\bwish (i|she|he) (was|were) dead\b",
    r"\bbetter off (dead|without me)\b",
    r"\b(do not|does not|dont) want to (live|be alive|be here|exist|wake up)\b",
    r"\bno (reason|point) (to|in) (live|living)\b",
    r"\bnot worth living\b",
    r"\b(disappear|gone) forever\b",
    r"\b(hang|shoot) myself\b",
    r"\bsuicidal thoughts\b|\bthinking about (suicide|dying)\b",
    # Swedish
    r"\bta livet av (mig|sig|dig)\b",
    r"\b(vill|ville|vil) (bara )?(do|doe)\b",
    r"\b(vill|orkar) inte leva\b",
    r"\bdoda mig sjalv\b|\bdoeda mig sjaelv\b",
    r"\bbaettre utan mig\b|\bbattre utan mig\b",
    r"\bfoersvinna foer alltid\b",
    r"\bsjaelvmordstank",
)

# What the learned model does not read: the explicit suicide words and expressions, each replaced by
# one placeholder word. The rules own them (a written-out wish to die is STRONG whatever the model
# says); the model judges the context around them. Without this the model learned an artifact of the
# blind-written sets - their crises are indirect on purpose and their calm near-misses explicit - and
# scored "jeg tænker på selvmord hver dag" 0.01.
MODEL_PLACEHOLDER = "xxsuicidexx"
_EXPLICIT_WORDS = _compile(r"\b(selvmord|suicid|sjaelvmord|selvmorder|unaliv|sewerslide)\w*", r"\bkms\b")


def model_text(message: str) -> str:
    """The normalised message as the learned model reads it: explicit suicide words masked."""
    masked = _EXPLICIT_WORDS.sub(MODEL_PLACEHOLDER, _SUICIDAL_EXPRESSIONS.sub(MODEL_PLACEHOLDER, message))
    return masked


# A farewell note: a crisis, unless it is written inside a story or an assignment.
_FAREWELL_NOTE = _compile(r"\b(afskedsbrev|farvelbrev)", r"\b(suicide|goodbye) (note|letter)\b", r"\bavskedsbrev")

# Someone's life is in danger this minute: 112 before anything else, whoever it is about.
_EMERGENCY = _compile(
    r"\b(haengt|haenge|haengde) (sig|mig)\b(?! (i|fast|op|ved)\b)",  # da/sv; not "hænger sig i detaljer"
    r"\b(er|ligger|blev) (helt )?bevidstloes\b|\bbevidstloes\b",
    r"\b(traekker|traek) ikke (vejret|vejr)\b|\bkan ikke (faa|traekke) vejret\b(?! (naar|når) jeg)",
    r"\bkan ikke (vaekke|faa liv i) (ham|hende|ham op|hende op)\b",
    r"\bbloeder (meget|voldsomt|kraftigt|helt vildt|rigtig meget)\b",
    r"\b(hanged|hung) (himself|herself|myself|themselves)\b|\btried to hang\b",
    r"\b(is|s|was|hes|shes|he is|she is) unconscious\b|\bnot breathing\b|\b(cannot|can not|cant) wake (him|her) up\b",
    r"\bbleeding (a lot|heavily|badly|so much)\b",
    r"\bmedvetsloes\b|\bandas inte\b|\bgaar inte att vaecka\b",
    r"\bbloeder (mycket|kraftigt|jaettemycket)\b",
)

# Bare keywords: strong, but a book report or a question about teaching them is not a crisis.
_SUICIDE_KEYWORDS = _compile(r"\bselvmord", r"\bsuicid", r"\bsjaelvmord", r"\bselvmorder")

# Self-harm counts as a crisis when it is happening now or is severe; a young person telling
# that they cut when sad is routed to treatment (the evaluation cases say so), not to 112.
_SELF_HARM = _compile(
    r"\bskae?r(er|e|t)? (i )?(mig|sig|dig|mine|min|hans|hendes|armen|armene|benene)\b",
    r"\bskaaret (i )?(mig|sig|dig)\b",
    r"\bcutte[rt]?\b|\bcuttede\b",
    r"\bselvskade",
    r"\bbraendt? (mig|sig) selv\b",
    r"\b(cut|cutting|cuts|burn|burning|burned|hurt|hurting) (myself|herself|himself)\b",
    r"\bself ?harm",
    r"\bskaer (mig|sig|dig)\b|\bskadar (mig|sig|dig)( sjaelv)?\b|\bskurit (mig|sig)\b|\bsjaelvskad",
)
_NOW = _compile(
    r"\blige nu\b",
    r"\bnu\b",
    r"\bbloeder\b",
    r"\bbloedning",
    r"\bbloed\b",
    r"\bdybt\b",
    r"\bstopper ikke\b",
    r"\bhar lige\b",
    r"\bi aften\b",
    r"\bi nat\b",
    r"\bsyning|\bsy(es)?\b",
    r"\bright now\b",
    r"\bjust (cut|did)\b",
    r"\bbleeding\b",
    r"\bdeep\b",
    r"\bstitches\b",
    r"\btonight\b",
    r"\bjust nu\b",
    r"\bbloeder\b",
    r"\bikvaell\b",
)

_OVERDOSE = _compile(
    r"\b(taget|tog|tager|slugt|slugte|spist|spiste|indtaget|skal tage|vil tage|tage|sluge) "
    r"(en masse|mange|alle|alle mine|alle mors|alle fars|et helt|en hel|en pakke|en hel pakke|for mange|\d+|masser af|flere) "
    r"(af )?(mine |hendes |hans |mors |fars )?(piller|pille|panodil|pamol|paracetamol|ibuprofen|pinex|tabletter|sovepiller|medicin|piler)\b",
    r"\boverdosis\b|\boverdose\b|\boverdosed\b",
    r"\b(took|taken|take|swallowed|swallow) (a lot of|too many|lots of|all|all my|all of my|all the|\d+|a bunch of|a whole bottle of|loads of) (pills|tablets|painkillers|paracetamol|ibuprofen|sleeping pills|meds)\b",
    r"\b(tagit|tog|ta) (massa|en massa|manga|maanga|alla|\d+|foer maanga) (tabletter|piller|medicin)\b",
)

_SEXUAL_ABUSE = _compile(
    r"\b(roerer|roer|roerte|befamler|befamlede|befoeler|befoelte|famler) (ved )?(mig|min krop|mine|hende|ham|os)\b",
    r"\bmisbrug(er|te|t)? (mig|hende|ham|os) seksuelt\b|\bseksuelt misbrug|\bseksuel(le|t)? (overgreb|misbrug)",
    r"\boverfald(et|t)? seksuelt|\bvoldtag|\bvoldtaegt",
    r"\btvinge?r? (mig|hende|ham) til (at )?(have sex|roere|sutte|kysse|klaede|tage toejet af|vise)",
    r"\btvunget (mig )?til (sex|at roere|at have sex)",
    r"\btruer med at (dele|sende|lægge ud) (mine |nogle )?(noegenbilleder|billeder af mig noegen|nudes)",
    r"\b(touches|touched|touching|molests|molested|abuses|abused) me\b",
    r"\bsexually abus|\bmolest|\braped\b|\brape\b|\bmade me (touch|do sexual)",
    r"\b(forces|forced|makes) me (to )?(have sex|touch|undress)",
    r"\btafsar paa mig\b|\broer vid mig\b|\bvaaldtog\b|\bvaaldtag|\bvaaldtaekt|\bsexuella oevergrepp|\butnyttjad sexuellt",
)

_VIOLENCE = _compile(
    r"\b(slaar|slog|sparker|sparkede|banker|bankede|taesker|taeskede|taever|taevede|kvaeler|kvalte|sparkede|skubber|brænder) "
    r"(mig|os|min soen|min datter|mit barn|vores barn|vores soen|vores datter|min lillebror|min lillesoester|mine soeskende|boernene)\b",
    r"\b(toer|tor) ikke (at )?(gaa|komme|tage) hjem\b",
    r"\b(bange|rædd|raed) for at (gaa|komme|tage) hjem\b",
    r"\btruer med at (slaa|draebe) (mig|os|hende|ham)\b",
    r"\b(hits|hit|beats|beat|kicks|kicked|chokes|choked|hurts|hurt) me\b(?! in (football|soccer|the game))",
    r"\b(afraid|scared) to go home\b",
    r"\bslaar mig\b|\bsparkar mig\b|\bvaagar inte gaa hem\b",
)

# Said about someone else: a friend, a sibling, a pupil.
_ABOUT_OTHER = _compile(
    r"\b(min|mit|mine|vores) (ven|veninde|venner|kammerat|klassekammerat|kaereste|bror|soester|lillebror|lillesoester|storebror|storesoester|elev|kusine|faetter)\b",
    r"\b(en|et) (elev|ven|veninde)\b",
    r"\bmy (friend|best friend|boyfriend|girlfriend|brother|sister|student|pupil)\b",
    r"\b(min|mitt) (kompis|vaen|vaeninna|pojkvaen|flickvaen|bror|syster|elev)\b",
    r"\b(hun|han|she|he|hon) (siger|skriver|sagde|skrev|says|said|writes|wrote|saeger|sa|skriver)\b",
)

# Figurative speech removed before matching: "jeg dør af grin" is laughter, not danger.
_FIGURATIVE = _compile(
    r"\b(doe|doer|dor|do) af (grin|griner|latter|skam|kedsomhed|sult|varme|traethed|nervoesitet|spaending)\b",
    r"\bdoede af (grin|latter|skam|kedsomhed)\b",
    r"\bved at doe af\b",
    r"\bdying (of|from) (laughter|embarrassment|boredom)\b|\bdying to\b|\bkill(ing|ed)? it\b|\bkill time\b",
    r"\b(i died|i am dead|im dead) (laughing|lol)\b|\blol\b",
    r"\b(doer|do|doe) av (skratt|pinsamhet|skam|tristess|traakighet)\b",
    r"\bslaar (mig|os) (\w+ )?(i|paa) (fodbold|spil|skak|ludo|fifa|kort|badminton|tennis|bordtennis)\b",  # "slår mig altid i fifa"
    r"\bcuttet? (haaret|haar|mit haar|videoer|video)\b",
    r"\bdet (her )?slaar mig ihjel\b",
    r"\b(hellere|hellre) (doe|do) (end|aen)\b|\brather die than\b",
    r"\b(ved|er ved) at slaa mig ihjel\b",
    r"\bthought i was (gonna|going to) die\b|\btroede jeg skulle doe\b|\btrodde jag skulle doe\b",
)

# Context that makes a bare "selvmord"/"suicide" a story, a lesson or someone long gone.
_STORY_OR_TEACHING = _compile(
    r"\b(bog|bogen|roman|romanen|novelle|novellen|film|filmen|serie|serien|dokumentar|digt|digtet|opgave|opgaven|stil|lektie|lektier|eksamen)\b",
    r"\b(book|novel|movie|film|series|show|documentary|poem|essay|assignment|homework|lesson)\b",
    r"\b(bok|boken|filmen|serien|uppsats)\b",
    r"\bhvordan (taler|snakker|underviser|arbejder) (man|vi|jeg)\b|\bforebyg|\bundervis|\boplaeg\b|\btema\b",
    r"\bhow (do|can|should) (we|i|teachers) (talk|teach)\b|\bprevention\b",
)
_LONG_AGO = _compile(
    r"\b(begik|begaaet|begaaede) selvmord\b",
    r"\b(committed|died by|died of) suicide\b",
    r"\b(begick|begaatt) sjaelvmord\b",
)
_NEGATION_BEFORE = _compile(
    r"\b(aldrig|ikke|ingen|never|not|no|inte|aldrig)( \w+){0,3} $",
)

# Keywords a misspelling should still find ("selvmort", "sucide", "selmord").
_FUZZY_KEYWORDS = ("selvmord", "suicide", "suicidal", "sjaelvmord", "overdosis", "overdose", "afskedsbrev", "voldtaget")


def _repair_keywords(words: list[str]) -> list[str]:
    """Spell-correct the few words whose misspelling must not hide a crisis."""
    return [_repair_word(word) for word in words]


@functools.lru_cache(maxsize=65536)
def _repair_word(word: str) -> str:
    for keyword in _FUZZY_KEYWORDS:
        if word.startswith(keyword) or len(word) < len(keyword) - 1:
            continue
        if fuzz.ratio(word[: len(keyword)], keyword) >= 80:
            return keyword + word[len(keyword) :] if len(word) > len(keyword) + 2 else keyword
    return word


# How the rules see a message; the learned probability decides within each.
STRONG = "strong"  # a written-out crisis expression, nothing lowers it: the model decides crisis or ask (`none` only when all but certain)
COMBINED = "combined"  # concepts combined into a crisis (or a bare keyword): the model decides
LOWERED = "lowered"  # crisis words inside a story, an idiom, the past, grief or a question: the model decides
HOPELESS = "hopeless"  # hopelessness, exhaustion ("kan ikke mere"), a suspicion of violence at home: ask, as counsellors do (unless the model is all but certain it is calm)
WORRYING = "worrying"  # a warning sign short of a crisis (a means and a time, a farewell ...): the model may ask
OTHER = "other"  # nothing the rules know: only the model can raise it
TOO_SHORT = "too_short"  # a word or two the rules know nothing in ("hej"): too little for the model to ask about
MIN_WORDS_FOR_THE_MODEL_ALONE = 3


@dataclass(frozen=True)
class Evidence:
    """What the rules found in one message, before the learned model is asked."""

    message: str  # normalised
    concepts: frozenset[str]
    rule_kind: str | None  # a crisis the rules recognise on their own
    category: str  # STRONG, COMBINED, LOWERED, HOPELESS, WORRYING, OTHER or TOO_SHORT
    about_other: bool
    urgent: bool

    @property
    def model_message(self) -> str:
        """What the learned model reads (`model_text`)."""
        return model_text(self.message)

    @property
    def features(self) -> frozenset[str]:
        """What the learned model sees beside the letters and words: the concepts and the rules' verdict."""
        return self.concepts | {f"category:{self.category}"}


# Worth the direct question on their own, unless the model all but rules it out (category HOPELESS).
ASKED_UNLESS_RULED_OUT = frozenset({"hopeless", "suspected_violence"})

# Context that lowers risk; a plan or a time "now" keeps the risk (see `is_lowered`).
LOWERING_CONCEPTS = frozenset(
    {
        "past_resolved",
        "past_time",
        "story",
        "game",
        "figurative",
        "temporary",
        "death_of_other",
        "denial",
        "question",
        "panic",
        "first_aid_lesson",
    }
)
RESOLVING_CONCEPTS = frozenset({"past_resolved", "denial", "death_of_other", "question", "panic", "first_aid_lesson"})


# Harm done: fear of dying beside pills taken or a wound is fear of a real danger, not a panic attack
# ("so scared he cannot breathe" stays a panic attack).
_BODY_IN_DANGER = frozenset({"overdose_take", "fresh_injury", "self_harm_act"})


def _resolving(concepts: frozenset[str]) -> frozenset[str]:
    """The concepts that resolve a crisis here. Asking for someone to talk to ("is there someone I can
    talk to", "finns det någon jag kan prata med") is not a general question: it is about oneself.
    Fear of dying ("bange for at jeg dør") is panic, unless pills are taken or a wound is fresh."""
    found = concepts & RESOLVING_CONCEPTS
    if "seeks_someone" in concepts:
        found -= {"question"}
    if concepts & _BODY_IN_DANGER:
        found -= {"panic"}
    return found


_SUICIDE_COMPANIONS = frozenset(
    {"wish", "now", "plan", "means", "burden", "farewell", "hopeless", "method_question", "final", "join_the_dead"}
)


def _explicit_kind(message: str, urgent_now: bool, wish_to_die: bool) -> str | None:
    """The written-out expressions: recognised as they are (never left unanswered)."""
    if _EMERGENCY.search(message):
        return EMERGENCY
    if _SEXUAL_ABUSE.search(message):
        return SEXUAL_ABUSE
    if _OVERDOSE.search(message):
        return OVERDOSE
    if wish_to_die:
        return SUICIDE
    if _SELF_HARM.search(message) and urgent_now:
        return SELF_HARM
    if _VIOLENCE.search(message):
        return VIOLENCE
    return None


def _concept_kind(concepts: frozenset[str]) -> str | None:
    """Concepts combined into a crisis: dying with a wish, a time or a plan; an act with its harm ..."""
    if "emergency_sign" in concepts:
        return EMERGENCY
    if "abuse_act" in concepts and "perpetrator" in concepts:
        return SEXUAL_ABUSE
    if {"overdose_take", "overdose_substance", "overdose_amount"} <= concepts:
        return OVERDOSE
    if {"self_harm_act", "fresh_injury"} <= concepts or {"self_harm_act", "now", "self"} <= concepts:
        return SELF_HARM
    if "violence_act" in concepts and ("now" in concepts or "perpetrator" in concepts):
        return VIOLENCE
    if "threat_secret" in concepts and "perpetrator" in concepts and concepts & {"dying", "violence_act"}:
        return VIOLENCE
    if "dying" in concepts and concepts & _SUICIDE_COMPANIONS:
        return SUICIDE
    if concepts & {"burden", "passive_wish"} or ("method_question" in concepts and "means" in concepts):
        return SUICIDE
    if {"means", "plan"} <= concepts and concepts & {"now", "wish", "overdose_amount"}:  # gathering a means
        return SUICIDE
    if "farewell" in concepts and concepts & {"now", "means", "plan", "close_other", "final"}:
        return SUICIDE
    if {"at_place", "means"} <= concepts and concepts & {"wish", "dying", "final", "farewell", "hopeless"}:
        return SUICIDE  # on a bridge or by the tracks, and wanting to end it
    return None


def _worrying(concepts: frozenset[str]) -> bool:
    """Warning signs that are not a crisis on their own: worth asking about directly."""
    return bool(
        concepts & {"farewell", "self_harm_act", "fresh_injury", "abuse_act", "violence_act"}
        or ("means" in concepts and concepts & {"now", "wish", "plan"})
        or {"plan", "now"} <= concepts
        or {"at_place", "means", "self"} <= concepts
        or {"overdose_take", "overdose_substance"} <= concepts
    )


def _hinted_kind(concepts: frozenset[str]) -> str:
    """The kind for a crisis only the model saw: the most fitting concept, else suicide."""
    for concept, kind in (
        ("emergency_sign", EMERGENCY),
        ("abuse_act", SEXUAL_ABUSE),
        ("overdose_substance", OVERDOSE),
        ("self_harm_act", SELF_HARM),
        ("violence_act", VIOLENCE),
    ):
        if concept in concepts and not ("dying" in concepts and kind in (SELF_HARM, VIOLENCE)):
            return kind
    return SUICIDE


def evidence(text: str) -> Evidence:
    """Normalise and apply the rules (everything but the learned model)."""
    message = " ".join(_repair_keywords(normalise(text).split()))
    concepts = find_concepts(message)
    literal = _FIGURATIVE.sub(" ", message)
    urgent_now = bool(_NOW.search(literal))
    wish_to_die = bool(_SUICIDAL_EXPRESSIONS.search(literal))
    explicit_kind = _explicit_kind(literal, urgent_now, wish_to_die)
    bare_keyword = _bare_suicide_keyword_counts(literal)
    if explicit_kind is None and _FAREWELL_NOTE.search(literal):
        explicit_kind = SUICIDE
    if explicit_kind is None and bare_keyword:  # "tænker på selvmord", not in a story, a question or negated
        explicit_kind = SUICIDE
    rule_kind = explicit_kind or _concept_kind(concepts) or (SUICIDE if bare_keyword else None)
    wish_to_die = wish_to_die and "self" in concepts  # said by the writer, not by someone in a film
    # A written-out wish to die is not excused by a film or a joke, only by "it is over now",
    # a denial, grief, panic or a general question.
    lowered = is_lowered(concepts) and (not wish_to_die or bool(_resolving(concepts)))
    # A life in danger now is not lowered by a game or a story; only by being long ago and over, by
    # fear ("so scared he cannot breathe" is a panic attack) or by a first-aid lesson ("hvad gør man hvis
    # man finder en bevidstløs? vi har førstehjælp i morgen"): then the guide asks instead of sending 112.
    lowered = lowered and (
        rule_kind != EMERGENCY
        or bool(concepts & {"panic", "first_aid_lesson"})
        or ("past_time" in concepts and bool(_resolving(concepts)))
    )
    category = _category(message, rule_kind, explicit_kind is not None, lowered, concepts)
    about_other = bool(_ABOUT_OTHER.search(literal)) or "close_other" in concepts
    urgent = urgent_now or bool(concepts & {"plan", "means"}) or rule_kind in (EMERGENCY, OVERDOSE, SEXUAL_ABUSE)
    return Evidence(message, concepts, rule_kind, category, about_other, urgent)


def _category(message: str, rule_kind: str | None, explicit: bool, lowered: bool, concepts: frozenset[str]) -> str:
    if rule_kind:
        return LOWERED if lowered else STRONG if explicit else COMBINED
    if lowered:
        return OTHER
    if concepts & ASKED_UNLESS_RULED_OUT:
        return HOPELESS
    if _worrying(concepts):
        return WORRYING
    return TOO_SHORT if len(message.split()) < MIN_WORDS_FOR_THE_MODEL_ALONE else OTHER


def _keeps_risk(concepts: frozenset[str]) -> bool:
    """What a story, a game, an idiom, an accident or a goodbye for a while does not outweigh."""
    return bool(
        {"plan", "now"} <= concepts  # a plan for tonight
        or {"violence_act", "means"} <= concepts  # a threat with a weapon
        or concepts & {"burden", "passive_wish", "threat_secret"}  # feeling a burden; "he kills me if I tell"
        or {"dying", "method_question"} <= concepts  # looking up how to die
        or {"means", "method_question"} <= concepts  # asking how many pills it takes, "for fun"
        or ({"self_harm_act", "fresh_injury"} <= concepts and "accident" not in concepts)  # wounds that bleed now
        or ("farewell" in concepts and concepts & {"plan", "final"} and not concepts & {"story", "game", "temporary"})  # "lol"
    )


def is_lowered(concepts: frozenset[str]) -> bool:
    """Whether context lowers the risk of crisis words: see LOWERING_CONCEPTS."""
    # Resolved, denial, grief, panic and general questions hold even beside "now" ("har det godt nu"),
    # but grief does not excuse wanting to join the one who died.
    if _resolving(concepts) and not {"join_the_dead", "wish"} <= concepts:
        return True
    if concepts & {"story", "game", "figurative", "accident", "temporary"} and not _keeps_risk(concepts):
        return True
    # Something long ago is only over when nothing points to now.
    return "past_time" in concepts and not concepts & {"now", "plan"}


DEFAULT_THRESHOLDS = {"crisis": 0.9, "strong": 0.3, "rules": 0.5, "ask": 0.5}


# A written-out emergency, overdose or sexual abuse gets the crisis answer whatever the model says.
ALWAYS_CRISIS_KINDS = frozenset({EMERGENCY, OVERDOSE, SEXUAL_ABUSE})


def context_decides(found: Evidence) -> bool:
    """Whether the context model is asked: a written-out expression that is not always a crisis."""
    return found.category == STRONG and found.rule_kind not in ALWAYS_CRISIS_KINDS


def risk_level(
    category: str,
    probability: float,
    thresholds: dict[str, float],
    rule_kind: str | None = None,
    context_probability: float | None = None,
) -> str:
    """Rules for what must never be missed, the learned probability for `ask` and `crisis`.

    - a written-out crisis (STRONG) gets the crisis answer - unless both learned models find it
      calm: the model of all messages below `strong` and the context model (trained only on
      written-out expressions, reading what surrounds them) below `strong_context` ("den test slog
      mig ihjel", a school essay about a boy who wants to take his life; violence has narrower
      thresholds of its own, `strong_violence*`). Then the guide asks
      directly, and the footer's 112 and line are on that screen too; when both are all but
      certain (`certain_calm`, `certain_calm_context`), it goes on. Neither model reads the
      explicit suicide words themselves (`model_text`), only what is around them. Emergencies,
      overdoses and sexual abuse always get the crisis answer. Hopelessness ("kan ikke mere") is
      asked about unless the model all but rules it out (below `hopeless`: "orker ik mere matematik");
    - where the rules combined concepts into a crisis (COMBINED), the model gives the crisis answer
      when it is very sure (`crisis`) and asks unless it finds the message clearly calm (below
      `combined`, a threshold of its own); where they saw one in a lowering context (LOWERED: a
      negation, a story, something long over), the most it does is ask;
    - otherwise the model asks when it is fairly sure (`rules` where the rules saw warning signs,
      `ask` elsewhere). Without any crisis concept the model alone only ever asks.
    """
    if category == STRONG and rule_kind not in ALWAYS_CRISIS_KINDS and context_probability is not None:
        if _both_below(probability, context_probability, thresholds, "certain_calm"):
            return "none"
        if _both_below(probability, context_probability, thresholds, "strong_violence" if rule_kind == VIOLENCE else "strong"):
            return "ask"
    if category == STRONG:
        return "crisis"
    if category == COMBINED and probability >= thresholds["crisis"]:
        return "crisis"
    if category == HOPELESS:
        return "ask" if probability >= thresholds.get("hopeless", 0.0) else "none"
    if category == TOO_SHORT:
        return "none"
    if category == COMBINED:
        ask_at = thresholds.get("combined", thresholds["rules"])
    else:
        ask_at = thresholds["rules"] if category in (LOWERED, WORRYING) else thresholds["ask"]
    return "ask" if probability >= ask_at else "none"


def _both_below(probability: float, context_probability: float, thresholds: dict[str, float], name: str) -> bool:
    return probability < thresholds.get(name, 0.0) and context_probability < thresholds.get(f"{name}_context", 0.0)


def decide(
    found: Evidence, probability: float | None, thresholds: dict[str, float], context_probability: float | None = None
) -> CrisisCheck:
    if probability is None:  # no model shipped: the rules alone, asking whenever they are unsure
        level = {STRONG: "crisis", COMBINED: "crisis", HOPELESS: "ask", WORRYING: "ask", LOWERED: "ask"}.get(
            found.category, "none"
        )
    else:
        level = risk_level(found.category, probability, thresholds, found.rule_kind, context_probability)
    if level == "crisis":
        return CrisisCheck(found.rule_kind or _hinted_kind(found.concepts), found.about_other, found.urgent)
    if level == "ask":
        return CrisisCheck(None, found.about_other, uncertain=True)
    return NO_CRISIS


@functools.lru_cache(maxsize=1)
def shipped_model() -> LinearTextModel | None:
    return load_model()


def assess(text: str, model: LinearTextModel | None) -> CrisisCheck:
    """The crisis check with a given model (cross-validation passes its own)."""
    if not text or not text.strip():
        return NO_CRISIS
    found = evidence(text)
    probability = _probability(model, found, text) if model else None
    thresholds = model.thresholds if model and model.thresholds else DEFAULT_THRESHOLDS
    context = (
        model.context.probability(found.model_message, frozenset())
        if model and model.context and context_decides(found)
        else None
    )
    return decide(found, probability, thresholds, context)


# A message longer than the model reads is read a few sentences at a time.
LONG_PIECE_CHARS = 300
_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s*")


def _probability(model: LinearTextModel, found: Evidence, text: str) -> float:
    """The model's probability; for a message longer than `MAX_MODEL_CHARS`, the most worrying few
    sentences count, so a crisis at the end of a long, calm letter is not diluted by the rest of it."""
    if len(found.message) <= MAX_MODEL_CHARS:
        return model.probability(found.model_message, found.features)
    pieces, piece = [], ""
    for sentence in _SENTENCE_END.split(text):
        if piece and len(piece) + len(sentence) > LONG_PIECE_CHARS:
            pieces.append(piece)
            piece = ""
        piece = f"{piece} {sentence}"
    pieces.append(piece)
    return max(model.probability(model_text(normalise(piece)[: LONG_PIECE_CHARS * 2]), found.features) for piece in pieces)


def check(text: str) -> CrisisCheck:
    """Look for danger to life or safety in a message. Always cheap; always first."""
    return assess(text, shipped_model())


def _bare_suicide_keyword_counts(message: str) -> bool:
    for match in _SUICIDE_KEYWORDS.finditer(message):
        if _NEGATION_BEFORE.search(message[: match.start()]):
            continue
        if _STORY_OR_TEACHING.search(message) or _LONG_AGO.search(message):
            continue
        return True
    return False
