"""The web pages (templates/web/): the staff overview, the step models, the unmet needs, and
the chat page - rendered the same for the web server and for the static export.

    Pages                  renders each page to an HTML string
    export(OUTDIR)         `run_bot.py site OUTDIR`: the staff pages as static files

Links between pages are relative (`root` is the way back to the site's root), so the same
HTML works served at /tilbud/ and from any folder a municipality puts the export in.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import yaml
from markupsafe import Markup

from bot import overview
from bot.catalogue import Catalogue
from bot.needs import NeedRow
from bot.render import template_environment
from bot.schema import LANGUAGES

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"
STATIC = Path(__file__).resolve().parent / "web"
LANGUAGE_NAMES = {"da": "Dansk", "en": "English", "sv": "Svenska"}


@cache
def ui_texts() -> dict[str, dict[str, str]]:
    return yaml.safe_load((TEMPLATES / "ui.yaml").read_text(encoding="utf-8"))


def pick_language(accept_language: str | None) -> str:
    """The first of da/en/sv the browser asks for (by q-value), otherwise Danish."""
    choices = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip()[:2].lower()
        if code in LANGUAGES and quality > 0:
            choices.append((-quality, position, code))
    return min(choices)[2] if choices else "da"


class Pages:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.environment = template_environment(TEMPLATES)

    def _render(self, template: str, language: str, root: str, **context) -> str:
        ui = ui_texts()[language]
        self.environment.filters["role_label"] = lambda role: ui[f"role.{role}"]
        return self.environment.get_template(template).render(
            lang=language,
            ui=ui,
            root=root,
            municipalities=[
                (municipality_id, self.catalogue.municipalities[municipality_id].name.get(language))
                for municipality_id in overview.local_municipalities(self.catalogue)
            ],
            **context,
        )

    # ------------------------------------------------------------------ chat
    def chat(
        self, language: str, reply_html: str, options, crisis: bool, max_text: int, root: str = "/", status: str = ""
    ) -> str:
        languages = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
        return self._render(
            "chat.html",
            language,
            root,
            reply_html=Markup(reply_html),  # built and cleaned by the web adapter
            options=options,
            crisis=crisis,
            languages=languages,
            max_text=max_text,
            status=status,
        )

    # ------------------------------------------------------------------ staff
    def offers(self, language: str, filters: overview.Filters, root: str) -> str:
        cards = [overview.offer_card(offer, self.catalogue, language) for offer in self.catalogue.offers]
        shown = [card for card in cards if filters.matches(self.catalogue.offers_by_id[card["id"]], card["search"])]
        areas = [(area_id, municipality.name.get(language)) for area_id, municipality in self.catalogue.municipalities.items()]
        areas += [(area, ui_texts()[language][f"national_{area}"]) for area in overview.NATIONAL_AREAS]
        verify = [
            (self._area_name(area, language), [overview.offer_card(offer, self.catalogue, language) for offer in offers])
            for area, offers in overview.to_verify(self.catalogue).items()
        ]
        return self._render(
            "tilbud.html",
            language,
            root,
            cards=shown,
            shown=len(shown),
            filters=filters,
            areas=areas,
            levels=overview.LEVELS,
            topics=[(topic_id, topic.label.get(language)) for topic_id, topic in self.catalogue.topics.items()],
            roles=overview.ROLES,
            statuses=overview.STATUSES,
            verify=verify,
        )

    def municipality(self, municipality_id: str, language: str, root: str) -> str:
        rows = overview.step_model(self.catalogue, municipality_id)
        for row in rows:
            row["topic_label"] = self.catalogue.topics[row["topic"]].label.get(language)
        return self._render(
            "kommune.html",
            language,
            root,
            id=municipality_id,
            name=self.catalogue.municipalities[municipality_id].name.get(language),
            rows=rows,
            step_levels=overview.STEP_LEVELS,
            verify=overview.to_verify(self.catalogue).get(municipality_id, []),
        )

    def needs(self, rows: list[NeedRow], enabled: bool, language: str, root: str) -> str:
        topics = self.catalogue.topics
        shown = [
            {
                "municipality_name": self._area_name(row.municipality, language),
                "topic_label": topics[row.topic].label.get(language) if row.topic in topics else "–",
                "results": row.results,
                "without_local": row.without_local,
            }
            for row in rows
        ]
        top = max((row.without_local or 0 for row in rows), default=0) or 1
        return self._render("behov.html", language, root, rows=shown, enabled=enabled, top=top)

    def _area_name(self, area: str, language: str) -> str:
        municipality = self.catalogue.municipalities.get(area)
        if municipality:
            return municipality.name.get(language)
        return ui_texts()[language].get(f"national_{area}", "–")


def export(catalogue: Catalogue, outdir: str | Path, needs: list[NeedRow], counting: bool, language: str = "da") -> list[Path]:
    """Write the staff pages and their CSS/JS under `outdir`; returns the files written."""
    outdir = Path(outdir)
    pages = Pages(catalogue)
    files: dict[Path, str] = {
        outdir / "index.html": '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=tilbud/">'
        '<title>Trivselsguiden</title><a href="tilbud/">Trivselsguiden</a>\n',
        outdir / "tilbud" / "index.html": pages.offers(language, overview.Filters(), "../"),
        outdir / "tilbud" / "behov" / "index.html": pages.needs(needs, counting, language, "../../"),
    }
    for municipality_id in overview.local_municipalities(catalogue):
        files[outdir / "tilbud" / "kommune" / municipality_id / "index.html"] = pages.municipality(
            municipality_id, language, "../../../"
        )
    written = []
    for path, html in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        written.append(path)
    (outdir / "static").mkdir(parents=True, exist_ok=True)
    for asset in ("app.css", "app.js"):
        written.append(Path(shutil.copyfile(STATIC / asset, outdir / "static" / asset)))
    return written
