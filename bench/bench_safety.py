"""Crisis check speed and quality, the new check beside the old regex check in the same run.

    python3 -m bench.bench_safety
    python3 -m bench.bench_safety --writers [--save rows.json]   (the honest measure for decisions)

--writers: each group of writers (crisis-dev, the retired hold-outs crisis-blind-2/17/18/22/23/26/27/28/29, the
blind sets 19/20/21 alone, the other blind files in three groups) scored by a model and thresholds
trained without it: caught / flagged / crisis answer per group and language, and the rules'
category of every calm message flagged (`bot.train_safety.leave_writers_out`); a few minutes.

Speed: time per message of `safety.check` (cold text cache, as for a new message) on the
evaluation and project cases, p50/p99; a 5,000-character message; start-up time and memory
added by the lexicons and the shipped model (each in a fresh interpreter).
Quality: crises caught (crisis or ask) and calm messages flagged, on the same cases, for the
old check (bench/baseline_safety.py, frozen) and the new one. The shipped model was trained on
crisis-dev, every blind-written set and the extra cases, so its figures on crisis-dev are
in-sample; the honest figures are those on the 30% of each blind set held aside (scored by a model
trained without them, as in tests/test_safety_cv.py) and the cross-validated ones over crisis-dev +
the blind sets (each case scored by a model trained without it).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench import baseline_safety
from bot import safety, train_safety
from bot.text import normalise
from tests.conftest import load_cases
from tests.eval_cases import blind_sources

LONG_CALM = (
    "Hej, jeg skriver fordi min søn på 12 har haft det svært i skolen siden efterårsferien. Han er ked af det "
    "om morgenen, siger han har ondt i maven og vil helst blive hjemme. Vi har talt med hans lærer og PPR. "
)
LONG_CRISIS_AT_THE_END = " Men i aften skrev han at han ikke vil leve mere og nu svarer han ikke."


def time_per_message(check, texts: list[str], rounds: int = 5) -> list[float]:
    timings = []
    for _ in range(rounds):
        for text in texts:
            normalise.cache_clear()  # the cold path: every message is new
            start = time.perf_counter()
            check(text)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def best_per_message(check, texts: list[str], rounds: int = 7) -> list[float]:
    """Each message's fastest of several rounds: what the check costs when the machine is not busy."""
    best = [float("inf")] * len(texts)
    for _ in range(rounds):
        for index, text in enumerate(texts):
            normalise.cache_clear()
            start = time.perf_counter()
            check(text)
            best[index] = min(best[index], (time.perf_counter() - start) * 1000)
    return best


def percentiles(timings: list[float]) -> str:
    timings = sorted(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    return f"p50 {statistics.median(timings):.3f} ms  p99 {p99:.3f} ms  (n={len(timings)})"


def best_of(check, text: str, rounds: int = 20) -> float:
    best = float("inf")
    for _ in range(rounds):
        normalise.cache_clear()
        start = time.perf_counter()
        check(text)
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


_STARTUP = """
import sys, time, tracemalloc
if sys.argv[1] == "memory":
    tracemalloc.start()  # slows everything down: time and memory are measured in separate runs
start = time.perf_counter()
from {module} import check
check("hej")
elapsed = (time.perf_counter() - start) * 1000
print(f"{{elapsed:.0f}} {{tracemalloc.get_traced_memory()[1] / 1e6:.1f}}")
"""


def startup(module: str) -> tuple[float, float]:
    """Import + first check in a fresh interpreter: (ms, best of 5; MB peak allocated by Python)."""

    def run(what: str) -> list[float]:
        command = [sys.executable, "-c", _STARTUP.format(module=module), what]
        return [float(value) for value in subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()]

    milliseconds = min(run("time")[0] for _ in range(5))
    return milliseconds, run("memory")[1]


def quality(scored: list[tuple[str, str, str]]) -> dict[str, str]:
    """scored: (risk, label, lang). Per language and overall: crises caught, calm given crisis / flagged."""
    rows = {}
    for language in ("da", "en", "sv", "all"):
        chosen = [(risk, label) for risk, label, lang in scored if language in ("all", lang)]
        crises = [risk for risk, label in chosen if label == "crisis"]
        calm = [risk for risk, label in chosen if label == "calm"]
        if not crises or not calm:
            continue
        caught = sum(risk != "none" for risk in crises)
        calm_crisis = sum(risk == "crisis" for risk in calm)
        flagged = sum(risk != "none" for risk in calm)
        rows[language] = (
            f"caught {caught:3d}/{len(crises):3d} ({caught / len(crises):6.1%})   "
            f"calm given crisis {calm_crisis:3d} ({calm_crisis / len(calm):5.1%}), crisis or ask {flagged:3d}/{len(calm):3d} "
            f"({flagged / len(calm):5.1%})"
        )
    return rows


def print_quality(title: str, labelled: list[tuple[str, str, str]], new_risks: list[str] | None = None) -> None:
    """labelled: (text, label, lang); both checks on the same cases (`new_risks`: the new check's answers, if
    they come from a model other than the shipped one)."""
    print(f"\n{title}")
    old_risks = [baseline_safety.check(text).risk for text, _, _ in labelled]
    for name, risks in (
        ("old regex check", old_risks),
        ("new check      ", new_risks or [safety.check(text).risk for text, _, _ in labelled]),
    ):
        scored = [(risk, label, lang) for risk, (_, label, lang) in zip(risks, labelled, strict=True)]
        for language, row in quality(scored).items():
            print(f"  {name} {language:>3}: {row}")


def writers() -> None:
    """Leave one group of writers out at a time (python3 -m bench.bench_safety --writers [--save FILE])."""
    rows = train_safety.leave_writers_out(train_safety.extra_cases())
    if "--save" in sys.argv:
        import json

        with open(sys.argv[sys.argv.index("--save") + 1], "w", encoding="utf-8") as file:
            json.dump(rows, file, ensure_ascii=False)
    print("Each group of writers scored by a model and thresholds trained without it (+ safety-extra, routine)")
    groups = list(dict.fromkeys(row["group"] for row in rows))
    evaluation = set(train_safety.THRESHOLD_SOURCES)
    for title, chosen in (
        *((group, {group}) for group in groups),
        ("evaluation-style (dev, 2, 17, 18)", evaluation),
        ("all", set(groups)),
    ):
        scored = [(row["risk"], row["label"], row["lang"]) for row in rows if row["group"] in chosen]
        print(f"\n{title}")
        for language, row in quality(scored).items():
            print(f"  {language:>3}: {row}")
    print("\nCalm messages flagged, by the rules' category (all groups)")
    from collections import Counter

    flagged = Counter((row["category"], row["risk"]) for row in rows if row["label"] == "calm" and row["risk"] != "none")
    crises = Counter((row["category"], row["risk"]) for row in rows if row["label"] == "crisis")
    for (category, risk), count in sorted(flagged.items()):
        print(f"  {category:>10} {risk:>6}: {count:4d} calm   (crises there: {crises[(category, risk)]})")


def main() -> None:
    if "--writers" in sys.argv:
        writers()
        return
    dev = train_safety.dev_cases()
    extra = train_safety.extra_cases()
    own = load_cases("safety.yaml")
    texts = [case["text"] for case in dev] + [case["text"] for case in own["crisis"]] + list(own["calm"])

    safety.check("hej")  # loaded, as in a running bot
    print("Crisis check time per message (cold text cache), same cases, same run")
    print(f"  old regex check: {percentiles(time_per_message(baseline_safety.check, texts))}")
    print(f"  new check:       {percentiles(time_per_message(safety.check, texts))}")
    print("  each message's best of 7 rounds (less sensitive to other work on the machine):")
    print(f"  old regex check: {percentiles(best_per_message(baseline_safety.check, texts))}")
    print(f"  new check:       {percentiles(best_per_message(safety.check, texts))}")
    long_calm = (LONG_CALM * 30)[:5000]
    long_crisis = (LONG_CALM * 30)[: 5000 - len(LONG_CRISIS_AT_THE_END)] + LONG_CRISIS_AT_THE_END
    for title, text in (("5,000 characters, calm", long_calm), ("5,000 characters, crisis at the end", long_crisis)):
        old_ms, new_ms = best_of(baseline_safety.check, text), best_of(safety.check, text)
        print(f"  {title}: old {old_ms:.2f} ms, new {new_ms:.2f} ms (best of 20); new says {safety.check(text).risk}")

    old_start, old_memory = startup("bench.baseline_safety")
    new_start, new_memory = startup("bot.safety")
    print("\nStart-up (fresh interpreter: import + first check, best of 5; Python allocations at peak)")
    print(f"  old regex check: {old_start:.0f} ms, {old_memory:.1f} MB")
    print(
        f"  new check:       {new_start:.0f} ms, {new_memory:.1f} MB  (added: {new_start - old_start:+.0f} ms, "
        f"{new_memory - old_memory:+.1f} MB; lexicons + model of {len(safety.shipped_model().ngram_weights)} n-grams)"
    )

    labelled_dev = [(case["text"], case["label"], case["lang"]) for case in dev]
    print_quality("crisis-dev (200 crises, 200 calm): the new check's model was TRAINED on these (in-sample)", labelled_dev)
    labelled_own = [(case["text"], "crisis", "da") for case in own["crisis"]] + [(text, "calm", "da") for text in own["calm"]]
    print_quality("tests/cases/safety.yaml (the old check's own sentences; languages mixed, shown as da)", labelled_own)
    held, results = train_safety.held_aside_results(extra)
    risks = [result["risk"] for result in results]
    for source in blind_sources():
        chosen = [i for i, case in enumerate(held) if case["source"] == source]
        print_quality(
            f"30% of {source}.yaml, held aside (new check: a model trained without it; lexicons never read against it)",
            [(held[i]["text"], held[i]["label"], held[i]["lang"]) for i in chosen],
            [risks[i] for i in chosen],
        )

    cases = dev + train_safety.blind_cases()
    print("\ncrisis-dev + the blind sets, 5-fold stratified cross-validation of the new check")
    print("(no case scored by a model that saw it)")
    for with_extra in (False, True):
        results = train_safety.cross_validate(cases, extra if with_extra else ())
        scored = [(result["risk"], case["label"], case["lang"]) for case, result in zip(cases, results, strict=True)]
        print(f"  trained on the other folds{' + safety-extra.yaml' if with_extra else ' only'}:")
        for language, row in quality(scored).items():
            print(f"    {language:>3}: {row}")


if __name__ == "__main__":
    main()
