"""Every contact detail against its source text (issue 10: no detail without a source).

A phone number, e-mail, web address or street address in the catalogue stands only if the text
it is cited from says it:

- an offer (or one of its fields) citing a page (`source_url`, `field_sources`) is checked
  against that page's excerpt in `knowledge/sources/pages/` (the file whose `URL:` line is it);
- everything else against the project's own sources: the brief (`catalogue-brief.md`),
  `national-lines.md` and the seeds.

Numbers are compared by their digits (spaces ignored), web addresses without scheme, `www.`
and trailing slash, e-mails and addresses as written (case and spacing ignored). Numbers,
e-mails and web addresses written inside the texts (`contact.how`, `hours`) are checked too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.catalogue import Catalogue
from bot.schema import Offer

SOURCES_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
PAGES = "pages"
PROJECT_SOURCES = ("catalogue-brief.md", "national-lines.md")

_URL_LINE = re.compile(r"^URL:\s*(\S+)\s*$", re.MULTILINE)
_DATE_LINE = re.compile(r"^Date:\s*(\d{4}-\d{2}(?:-\d{2})?)", re.MULTILINE)
# Numbers as people write them in the texts: 8 digits (in pairs or not), 116 111, 112, 114, 1177.
_NUMBER_IN_TEXT = re.compile(r"(?<![\d.])(?:\d{2} \d{2} \d{2} \d{2}|\d{4} \d{4}|\d{8}|116 ?111|11[24]|1177)(?![\d])")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN_IN_TEXT = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+(?:dk|se|no|global|org|com)(?:/[^\s)]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class Excerpt:
    path: Path
    url: str
    date: str | None
    text: str


def load_excerpts(sources_dir: Path = SOURCES_DIR) -> dict[str, Excerpt]:
    """The page excerpts, by the normalised address on their `URL:` line."""
    excerpts: dict[str, Excerpt] = {}
    for path in sorted((sources_dir / PAGES).glob("*.md")):
        text = path.read_text(encoding="utf-8")
        match = _URL_LINE.search(text)
        if match is None:
            continue
        date = _DATE_LINE.search(text)
        excerpts[normalise_url(match.group(1))] = Excerpt(path, match.group(1), date.group(1) if date else None, text)
    return excerpts


def project_sources_text(sources_dir: Path = SOURCES_DIR) -> str:
    parts = [(sources_dir / name).read_text(encoding="utf-8") for name in PROJECT_SOURCES if (sources_dir / name).exists()]
    parts += [path.read_text(encoding="utf-8") for path in sorted((sources_dir / "seeds").glob("*.txt"))]
    return "\n".join(parts)


def normalise_url(url: str) -> str:
    url = re.sub(r"^https?://", "", url.strip(), flags=re.IGNORECASE)
    url = re.sub(r"^www\.", "", url, flags=re.IGNORECASE)
    return url.rstrip("/").lower()


def _digits(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text)


def _says(source: str, kind: str, value: str) -> bool:
    if kind in ("phone", "sms", "number"):
        return re.sub(r"\D", "", value) in _digits(source)
    if kind in ("web", "domain"):
        flat = re.sub(r"https?://", "", source, flags=re.IGNORECASE).lower()
        flat = re.sub(r"(?<![a-z0-9.-])www\.", "", flat)
        pattern = r"(?<![a-z0-9.-])" + re.escape(normalise_url(value)) + r"(?![a-z0-9-])"
        return re.search(pattern, flat) is not None
    if kind == "address":
        street = value.split(",")[0]
        return " ".join(street.lower().split()) in " ".join(source.lower().split())
    return " ".join(value.lower().split()) in " ".join(source.lower().split())  # e-mail


def unsourced_details(catalogue: Catalogue, sources_dir: Path = SOURCES_DIR) -> list[str]:
    """Every contact detail no cited text states, as `offer-id: field value (checked against …)`."""
    excerpts = load_excerpts(sources_dir)
    project_text = project_sources_text(sources_dir)
    problems: list[str] = []
    for offer in catalogue.offers:
        problems.extend(_offer_problems(offer, excerpts, project_text))
    return problems


def _offer_problems(offer: Offer, excerpts: dict[str, Excerpt], project_text: str) -> list[str]:
    problems: list[str] = []
    cited_urls = {offer.source_url} if offer.source_url else set()
    cited_urls |= {source.url for source in (offer.field_sources or {}).values() if source.url}
    for url in sorted(cited_urls):
        if normalise_url(url) not in excerpts:
            problems.append(f"{offer.id}: cites {url} but knowledge/sources/pages/ has no excerpt with that URL")

    def text_for(field: str) -> tuple[str, str]:
        source = offer.source_of(field)
        if source is not None and source.url is not None:
            excerpt = excerpts.get(normalise_url(source.url))
            return (excerpt.text if excerpt else ""), (excerpt.path.name if excerpt else source.url)
        return project_text, "the brief, national-lines.md and the seeds"

    contact = offer.contact
    for field in ("phone", "sms", "email", "web", "address"):
        value = getattr(contact, field)
        if value:
            source_text, where = text_for(field)
            if not _says(source_text, field, value):
                problems.append(f"{offer.id}: {field} {value!r} is not in {where}")

    # Numbers, e-mails and addresses written inside the words: any text the offer cites may state them.
    cited_text = "\n".join(excerpts[normalise_url(url)].text for url in cited_urls if normalise_url(url) in excerpts)
    all_text = cited_text + "\n" + project_text
    texts = [text for local in (contact.how, offer.hours) if local for text in (local.da, local.en, local.sv) if text]
    for text in texts:
        for number in _NUMBER_IN_TEXT.findall(text):
            if not _says(all_text, "number", number):
                problems.append(f"{offer.id}: the number {number!r} in its text is not in its sources")
        for email in _EMAIL_IN_TEXT.findall(text):
            if not _says(all_text, "email", email):
                problems.append(f"{offer.id}: the e-mail {email!r} in its text is not in its sources")
        for domain in _DOMAIN_IN_TEXT.findall(_EMAIL_IN_TEXT.sub("", text)):
            if not _says(all_text, "domain", domain.rstrip(".,")):
                problems.append(f"{offer.id}: the address {domain!r} in its text is not in its sources")
    return problems
