"""Routing speed and quality, printed, each beside its baseline in the same run.

    python3 run_bot.py ... is not needed: run with the project's venv,
    .venv/bin/python -m bench.bench_routing

Speed: time per message through `Guide.assess` (safety, understanding, routing) on the real
catalogue and on generated catalogues of 1,000, 10,000 and 100,000 offers (copies of the
real offers spread over many generated municipalities, as a national catalogue would be).
Quality: top-1 and top-3 on the shared dev cases and on the project's own cases
(tests/cases/routing-extra.yaml), for our routing and for a BM25 baseline (bm25s over each
offer's names, summary and topic words), filtered by the same eligibility - and, layer by
layer, cross-validated: the learned topic signal is retrained for each of 5 folds on the topic
phrases and the other folds' cases, and scored only on the cases it did not see.

    .venv/bin/python -m bench.bench_routing          # all of it
    .venv/bin/python -m bench.bench_routing --cv     # the cross-validated quality only
    .venv/bin/python -m bench.bench_routing --held-aside   # the held-aside blind cases, one figure
    .venv/bin/python -m bench.bench_routing --lofo   # leave one blind file out, each scored whole
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import sys
import time
from dataclasses import dataclass

import yaml

from bot import understand
from bot.catalogue import Catalogue, load_catalogue
from bot.guide import Guide
from bot.routing import Need, is_eligible, rank
from bot.schema import LocalText, Municipality
from bot.text import normalise
from bot.topic_train import (
    BLIND_FILES,
    CASE_FILES,
    FOLDS,
    blind_split,
    case_examples,
    fit,
    folds,
    phrase_examples,
    repository_cases,
)
from tests.eval_cases import routing_dev_cases


def need_of(case: dict) -> Need:
    return Need(
        role=case.get("role"),
        age=case.get("age"),
        municipality=case.get("municipality"),
        language=case.get("lang") or "da",
        severity=case.get("severity"),
    )


def generated_catalogue(real: Catalogue, size: int, seed: int = 1) -> Catalogue:
    rng = random.Random(seed)
    municipalities = dict(real.municipalities)
    generated = max(1, size // 40)
    for number in range(generated):
        municipalities[f"gen{number}"] = Municipality(name=LocalText(da=f"Kommune {number}"), country="dk", towns=[f"By{number}"])
    offers = list(real.offers)
    local_templates = [offer for offer in real.offers if not offer.is_national]
    while len(offers) < size:
        template = rng.choice(local_templates)
        offers.append(
            template.model_copy(update={"id": f"{template.id}-{len(offers)}", "area": f"gen{rng.randrange(generated)}"})
        )
    return dataclasses.replace(real, offers=offers, municipalities=municipalities)


def time_per_message(guide: Guide, cases: list[dict], municipality_for=None, rounds: int = 20) -> list[float]:
    timings = []
    for _ in range(rounds):
        for case in cases:
            need = need_of(case)
            if municipality_for:
                need = Need(need.role, need.age, municipality_for(case), need.language, need.topics, need.severity)
            normalise.cache_clear()  # measure the cold path: every message is new
            start = time.thread_time()
            guide.assess(case["text"], need)
            timings.append((time.thread_time() - start) * 1000)
    return timings


def percentiles(timings: list[float]) -> str:
    timings = sorted(timings)
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    return f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  (n={len(timings)})"


def top_k_rates(cases: list[dict], ranked_ids) -> tuple[float, float]:
    """Share of routed cases whose expected offer is first, and among the first three."""
    top1 = top3 = routed = 0
    for case in cases:
        expected = case["expect"].get("offers_any")
        if not expected:
            continue
        routed += 1
        offers = ranked_ids(case)
        top1 += bool(offers[:1] and offers[0] in expected)
        top3 += bool(set(offers[:3]) & set(expected))
    return top1 / routed, top3 / routed


def bm25_ranker(catalogue: Catalogue):
    import bm25s

    def document(offer) -> str:
        topic_words = " ".join(
            word for topic in offer.topics for words in catalogue.topics[topic].words.values() for word in words
        )
        return normalise(f"{offer.name.da} {offer.name.en or ''} {offer.summary.da} {offer.summary.en or ''} {topic_words}")

    retriever = bm25s.BM25()
    corpus = bm25s.tokenize([document(offer) for offer in catalogue.offers], stopwords=None, show_progress=False)
    retriever.index(corpus, show_progress=False)

    def ranked_ids(case: dict) -> list[str]:
        need = need_of(case)
        query = bm25s.tokenize([normalise(case["text"])], stopwords=None, show_progress=False)
        results, scores = retriever.retrieve(query, k=len(catalogue.offers), show_progress=False)
        hits = [catalogue.offers[index] for index, score in zip(results[0], scores[0], strict=True) if score > 0]
        return [offer.id for offer in hits if is_eligible(offer, need, catalogue, need.severity)]

    return ranked_ids


@dataclass
class Tally:
    """Expected offer first / in the top three / a forbidden offer shown, over routed cases."""

    routed: int = 0
    first: int = 0
    top3: int = 0
    forbidden: int = 0

    def add(self, case: dict, offers: list[str]) -> None:
        expect = case["expect"]
        self.forbidden += bool(set(offers) & set(expect.get("forbid", [])))
        if expect.get("offers_any"):
            self.routed += 1
            self.first += bool(offers[:1] and offers[0] in expect["offers_any"])
            self.top3 += bool(set(offers[:3]) & set(expect["offers_any"]))

    def __str__(self) -> str:
        if not self.routed:
            return "no cases"
        first, top3 = self.first / self.routed, self.top3 / self.routed
        return f"top-1 {first:4.0%}  top-3 {top3:4.0%}  forbidden shown {self.forbidden}  (n={self.routed})"


def guide_with(catalogue: Catalogue, model, topic_words: bool = True) -> Guide:
    guide = Guide(catalogue)
    guide.understander.topic_model = model
    guide.understander.use_topic_words = topic_words
    return guide


def cross_validated(catalogue: Catalogue, settings: list[tuple[str, bool, bool]], grid=None) -> dict:
    """Tallies per (setting, case set, language), every case scored by a model that never saw it.

    `settings`: (name, topic words on, learned signal on). The topic words are not fitted to the
    cases, so "words only" needs no folds; the learned signal is retrained per fold.
    `grid`: optional (threshold, weight) pairs to try for combining the two (all scored on held-out folds).
    """
    cases = repository_cases()
    dev_ids = {case["id"] for case in routing_dev_cases()}
    blind_sets = {case["id"]: path.stem.removeprefix("routing-") for path in BLIND_FILES for case in blind_split(path)[0]}
    phrases = phrase_examples(catalogue)
    tallies: dict = {}
    saved = understand.LEARNED_THRESHOLD, understand.LEARNED_WEIGHT
    try:
        for held_out in folds(cases):
            seen = [case for case in cases if case not in held_out]
            model = fit(phrases + case_examples(seen, catalogue))
            for name, topic_words, learned in settings:
                for threshold, weight in grid if (grid and learned) else [saved]:
                    understand.LEARNED_THRESHOLD, understand.LEARNED_WEIGHT = threshold, weight
                    guide = guide_with(catalogue, model if learned else None, topic_words)
                    label = f"{name} t={threshold} w={weight}" if grid and learned else name
                    for case in held_out:
                        offers = guide.assess(case["text"], need_of(case)).offer_ids
                        which = "dev" if case["id"] in dev_ids else blind_sets.get(case["id"], "extra")
                        for key in ((label, which, "all"), (label, which, case.get("lang") or "da"), (label, "both", "all")):
                            tallies.setdefault(key, Tally()).add(case, offers)
    finally:
        understand.LEARNED_THRESHOLD, understand.LEARNED_WEIGHT = saved
    return tallies


BLIND_SETS = tuple(path.stem.removeprefix("routing-") for path in BLIND_FILES)
LAYERS = [("topic words only", True, False), ("learned signal only", False, True), ("words + learned", True, True)]


def print_cross_validation(catalogue: Catalogue) -> None:
    print(f"Cross-validated quality ({FOLDS} folds over the repository's routing cases; each case scored unseen)")
    tallies = cross_validated(catalogue, LAYERS)
    for name, _, _ in LAYERS:
        print(f"  {name}:")
        for which in ("dev", "extra", *BLIND_SETS, "both"):
            if (name, which, "all") in tallies:
                print(f"    {which:<14} {tallies[(name, which, 'all')]}")
        for language in ("da", "en", "sv"):
            if (name, "both", language) in tallies or (name, "extra", language) in tallies:
                merged = Tally()
                for which in ("dev", "extra", *BLIND_SETS):
                    part = tallies.get((name, which, language))
                    if part:
                        for field in ("routed", "first", "top3", "forbidden"):
                            setattr(merged, field, getattr(merged, field) + getattr(part, field))
                print(f"      {language}: {merged}")


def print_held_aside(catalogue: Catalogue) -> None:
    """The blind cases held aside (never trained or tuned on), scored as a whole per file - one
    figure each, no case shown, so looking at it cannot tune the guide to them."""
    guide = Guide(catalogue)
    print("Blind cases held aside (30% of each file by municipality, never trained or tuned on):")
    every = Tally()
    for path in BLIND_FILES:
        tally = Tally()
        for case in blind_split(path)[1]:
            offers = guide.assess(case["text"], need_of(case)).offer_ids
            tally.add(case, offers)
            every.add(case, offers)
        print(f"  {path.stem:<22} {tally}")
    print(f"  {'all':<22} {every}")


def leave_one_file_out(catalogue: Catalogue) -> dict[str, tuple[Tally, Tally]]:
    """Per blind file: the learned signal trained without that file (none of its cases, tuning
    or held aside), the file scored whole - the closest thing to a new writer. Returns
    {file: (whole file, its tuning part)}; the held-aside part's own figure is `--held-aside`."""
    phrases = phrase_examples(catalogue)
    results: dict[str, tuple[Tally, Tally]] = {}
    for path in BLIND_FILES:
        tune, aside = blind_split(path)
        left_out = {case["id"] for case in tune + aside}
        seen = [case for case in repository_cases() if case["id"] not in left_out]
        guide = guide_with(catalogue, fit(phrases + case_examples(seen, catalogue)))
        whole, tuning = Tally(), Tally()
        tune_ids = {case["id"] for case in tune}
        for case in tune + aside:
            offers = guide.assess(case["text"], need_of(case)).offer_ids
            whole.add(case, offers)
            if case["id"] in tune_ids:
                tuning.add(case, offers)
        results[path.stem] = (whole, tuning)
    return results


def print_leave_one_file_out(catalogue: Catalogue) -> None:
    print("Leave one blind file out (the learned signal trained without the file; the file scored whole):")
    every = Tally()
    for name, (whole, _) in leave_one_file_out(catalogue).items():
        print(f"  {name:<22} {whole}")
        for field in ("routed", "first", "top3", "forbidden"):
            setattr(every, field, getattr(every, field) + getattr(whole, field))
    print(f"  {'all':<22} {every}")


def routing_time_per_message(guide: Guide, cases: list[dict], rounds: int = 20) -> list[float]:
    """Understanding + routing only: the part of the 2 ms budget that is ours (safety has the rest)."""
    timings = []
    for _ in range(rounds):
        for case in cases:
            need = need_of(case)
            normalise.cache_clear()
            start = time.thread_time()
            rank(guide.catalogue, Guide.merge(need, guide.understander.read(case["text"], need.language)))
            timings.append((time.thread_time() - start) * 1000)
    return timings


def main() -> None:
    cases = routing_dev_cases()
    extra = yaml.safe_load(CASE_FILES[1].read_text(encoding="utf-8"))
    real = load_catalogue()
    if "--cv" in sys.argv:
        print_cross_validation(real)
        return
    if "--held-aside" in sys.argv:
        print_held_aside(real)
        return
    if "--lofo" in sys.argv:
        print_leave_one_file_out(real)
        return
    guide = Guide(real)
    words_only = guide_with(real, None)
    every = cases + extra
    # CPU time of this thread: on a shared machine wall time mostly measures waiting for a CPU.
    print(f"CPU time per message on the real catalogue ({len(real.offers)} offers; {len(every)} dev + extra messages)")
    print(f"  understanding + routing, words + learned:        {percentiles(routing_time_per_message(guide, every))}")
    print(f"  understanding + routing, topic words only:       {percentiles(routing_time_per_message(words_only, every))}")
    print(f"  safety + understanding + routing (Guide.assess): {percentiles(time_per_message(guide, every))}")
    for size in (1_000, 10_000, 100_000):
        start = time.perf_counter()
        big = generated_catalogue(real, size)
        big_guide = Guide(big)
        built = time.perf_counter() - start
        generated_names = [name for name in big.municipalities if name.startswith("gen")]
        timings = time_per_message(big_guide, cases, lambda case, names=generated_names: random.choice(names), rounds=5)
        print(f"  generated {size:>7,} offers (built in {built:.1f} s): {percentiles(timings)}")
    print("\nQuality, in sample (the learned signal was trained on these cases; see the cross-validated figures below)")
    bm25 = bm25_ranker(real)
    for name, case_set in (("shared dev", cases), ("project extra", extra)):
        our_top1, our_top3 = top_k_rates(case_set, lambda case: guide.assess(case["text"], need_of(case)).offer_ids)
        bm25_top1, bm25_top3 = top_k_rates(case_set, bm25)
        print(f"  {name:<14} Trivselsguiden top-1 {our_top1:4.0%}  top-3 {our_top3:4.0%}")
        print(f"  {name:<14} BM25 (bm25s)   top-1 {bm25_top1:4.0%}  top-3 {bm25_top3:4.0%}")
    print()
    print_cross_validation(real)


if __name__ == "__main__":
    main()
