"""Routing speed and quality, printed, each beside its baseline in the same run.

    python3 run_bot.py ... is not needed: run with the project's venv,
    .venv/bin/python -m bench.bench_routing

Speed: time per message through `Guide.assess` (safety, understanding, routing) on the real
catalogue and on generated catalogues of 1,000, 10,000 and 100,000 offers (copies of the
real offers spread over many generated municipalities, as a national catalogue would be).
Quality: top-1 and top-3 on the shared dev cases for our routing and for a BM25 baseline
(bm25s over each offer's names, summary and topic words), filtered by the same eligibility.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import time

from bot.catalogue import Catalogue, load_catalogue
from bot.guide import Guide
from bot.routing import Need, is_eligible
from bot.schema import Municipality
from bot.text import normalise
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
        municipalities[f"gen{number}"] = Municipality(name={"da": f"Kommune {number}"}, country="dk", towns=[f"By{number}"])
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
            start = time.perf_counter()
            guide.assess(case["text"], need)
            timings.append((time.perf_counter() - start) * 1000)
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


def main() -> None:
    cases = routing_dev_cases()
    real = load_catalogue()
    guide = Guide(real)
    print("Routing time per message (safety + understanding + routing, cold caches)")
    print(f"  real catalogue ({len(real.offers)} offers):   {percentiles(time_per_message(guide, cases))}")
    for size in (1_000, 10_000, 100_000):
        start = time.perf_counter()
        big = generated_catalogue(real, size)
        big_guide = Guide(big)
        built = time.perf_counter() - start
        generated_names = [name for name in big.municipalities if name.startswith("gen")]
        timings = time_per_message(big_guide, cases, lambda case, names=generated_names: random.choice(names), rounds=5)
        print(f"  generated {size:>7,} offers (built in {built:.1f} s): {percentiles(timings)}")
    print("\nQuality on the shared dev cases (expected offer first / in the top three)")
    our_top1, our_top3 = top_k_rates(cases, lambda case: guide.assess(case["text"], need_of(case)).offer_ids)
    bm25_top1, bm25_top3 = top_k_rates(cases, bm25_ranker(real))
    print(f"  Trivselsguiden routing: top-1 {our_top1:.0%}  top-3 {our_top3:.0%}")
    print(f"  BM25 baseline (bm25s):  top-1 {bm25_top1:.0%}  top-3 {bm25_top3:.0%}")


if __name__ == "__main__":
    main()
