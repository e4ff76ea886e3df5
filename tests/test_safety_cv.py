"""The crisis check scored honestly: stratified 5-fold cross-validation on crisis-dev ∪ the blind set.

Everything fitted to data (the learned model and its thresholds) is trained on four folds and
scored on the fifth, so no sentence is scored by a model that saw it. The concept lexicons in
knowledge/safety.yaml were written by people who had read crisis-dev and 70% of the blind set
(tests/cases/crisis-blind.yaml), so the rules are not held out there: the CV figures are an upper
estimate for the rules' part. The other 30% of the blind set is held aside (never trained on,
never read when writing lexicons): its figures are the honest estimate. The project's own extra
cases (tests/cases/safety-extra.yaml) are only ever trained on; figures with and without.

Acceptance (issue 8): crises caught (crisis or ask) >= 97%, per language >= 95%; calm messages
given `crisis` <= 2%, given `crisis` or `ask` <= 6%. On the crisis-dev part of the cross-validation
the test fails below that bar; with the extra cases added to training it is reported beside it. Over all
the blind sets (written to be hard) and their held-aside parts the false alarms are above it: those
tests print the figures, are marked xfail below the bar, and fail only below a floor that guards
against going backwards.
"""

import pytest

from bot import train_safety
from tests.eval_cases import blind_sources

pytest.importorskip("sklearn")

LANGUAGES = ("da", "en", "sv")


def figures(cases: list[dict], results: list[dict], key: str = "risk") -> dict[str, dict[str, float]]:
    """Per language and overall: share of crises caught, calm given crisis, calm flagged."""
    table = {}
    for language in (*LANGUAGES, "all"):
        chosen = [(case, result) for case, result in zip(cases, results, strict=True) if language in ("all", case["lang"])]
        crises = [result[key] for case, result in chosen if case["label"] == "crisis"]
        calm = [result[key] for case, result in chosen if case["label"] == "calm"]
        if not crises or not calm:  # a blind file written in one or two of the languages
            continue
        table[language] = {
            "caught": sum(risk != "none" for risk in crises) / len(crises),
            "asked": sum(risk == "ask" for risk in crises) / len(crises),
            "calm_crisis": sum(risk == "crisis" for risk in calm) / len(calm),
            "calm_flagged": sum(risk != "none" for risk in calm) / len(calm),
            "crises": len(crises),
            "calm": len(calm),
        }
    return table


def model_alone(results: list[dict], key: str = "probability") -> list[dict]:
    """The learned signal on its own: flagged when its probability is at least one half."""
    return [{"risk": "ask" if result[key] >= 0.5 else "none"} for result in results]


def report(title: str, table: dict[str, dict[str, float]]) -> str:
    lines = [title]
    for language, row in table.items():
        lines.append(
            f"  {language:>3}: caught {row['caught']:6.1%} of {row['crises']:3d} crises (asked {row['asked']:5.1%})"
            f"   calm: crisis {row['calm_crisis']:5.1%}, crisis or ask {row['calm_flagged']:5.1%} of {row['calm']:3d}"
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def dev_cases():
    return train_safety.dev_cases()


@pytest.fixture(scope="module")
def cv_cases(dev_cases):
    return dev_cases + train_safety.blind_cases()


@pytest.fixture(scope="module")
def scored_without_extra(cv_cases):
    return train_safety.cross_validate(cv_cases)


@pytest.fixture(scope="module")
def scored_with_extra(cv_cases):
    return train_safety.cross_validate(cv_cases, train_safety.extra_cases())


# Round 3's floor over all the sets (the figures it reached, less a margin): below this something went
# backwards. The blind sets' calm messages are near-misses written on purpose, so their false alarms
# are far above what the issue allows on evaluation-style messages; the bar itself is asserted on
# crisis-dev below.
FLOOR = {"caught": 0.93, "language_caught": 0.92, "calm_crisis": 0.08, "calm_flagged": 0.16}
HELD_FLOOR = {"caught": 0.89, "calm_flagged": 0.18}


def meets_the_bar(table) -> bool:
    return (
        all(table[language]["caught"] >= 0.95 for language in LANGUAGES)
        and table["all"]["caught"] >= 0.97
        and table["all"]["calm_crisis"] <= 0.02
        and table["all"]["calm_flagged"] <= 0.06
    )


def assert_above_the_floor_and_report_the_bar(table):
    for language in LANGUAGES:
        assert table[language]["caught"] >= FLOOR["language_caught"], f"{language}: {table[language]}"
    assert table["all"]["caught"] >= FLOOR["caught"], table["all"]
    assert table["all"]["calm_crisis"] <= FLOOR["calm_crisis"], table["all"]
    assert table["all"]["calm_flagged"] <= FLOOR["calm_flagged"], table["all"]
    if not meets_the_bar(table):
        pytest.xfail("below the issue-8 bar (97% caught, 95% per language, calm 2% crisis / 6% flagged)")


def print_parts(cases: list[dict], results: list[dict]) -> None:
    """The figures of each source (crisis-dev, each blind-written file) within a cross-validation."""
    for source in ["crisis-dev", *blind_sources()]:
        chosen = [i for i, case in enumerate(cases) if case.get("source", "crisis-dev") == source]
        if chosen:
            print(report(f"  {source} part:", figures([cases[i] for i in chosen], [results[i] for i in chosen])))


def test_cross_validated_without_the_extra_cases(cv_cases, scored_without_extra):
    table = figures(cv_cases, scored_without_extra)
    print("\n" + report("crisis check, 5-fold CV over crisis-dev + the blind sets, trained on the folds only:", table))
    print_parts(cv_cases, scored_without_extra)
    print(report("  rules alone (no model):", figures(cv_cases, scored_without_extra, "rules_risk")))
    print(report("  model alone (p >= 0.5):", figures(cv_cases, model_alone(scored_without_extra))))
    letters = model_alone(scored_without_extra, "letters_probability")
    print(report("  letters-only model, no words or concepts (p >= 0.5):", figures(cv_cases, letters)))
    assert_above_the_floor_and_report_the_bar(table)


def crisis_dev_part(cases: list[dict], results: list[dict]) -> dict[str, dict[str, float]]:
    chosen = [i for i, case in enumerate(cases) if case.get("source", "crisis-dev") == "crisis-dev"]
    return figures([cases[i] for i in chosen], [results[i] for i in chosen])


def test_the_issue_bar_on_crisis_dev_under_cross_validation(cv_cases, scored_without_extra):
    """Issue 8: 5-fold CV, every crisis-dev case scored by a model and thresholds fitted on the other folds (and the
    blind-written sets) only: >= 97% of crises caught (>= 95% per language), calm given the crisis answer <= 2%,
    flagged at all <= 6%. Fails below. (The lexicons were written by people who had read crisis-dev: the hold-out
    sets are the honest check.)"""
    table = crisis_dev_part(cv_cases, scored_without_extra)
    print("\n" + report("crisis-dev under 5-fold CV (without the extra cases):", table))
    assert_the_issue_bar(table)


def test_crisis_dev_under_cross_validation_with_the_extra_cases(cv_cases, scored_with_extra):
    """The same with the project's own cases and the guide's everyday messages added to every fold's training, as
    the shipped model is trained: reported beside it. The calm limits are asserted; the catch rate is asserted at a
    floor and marked xfail below the bar (stop 17: 98.0%, but Swedish 37 of 40, 92.5%)."""
    table = crisis_dev_part(cv_cases, scored_with_extra)
    print("\n" + report("crisis-dev under 5-fold CV (with the extra cases):", table))
    assert table["all"]["caught"] >= 0.96 and all(table[language]["caught"] >= 0.9 for language in LANGUAGES), table
    assert table["all"]["calm_crisis"] <= 0.02 and table["all"]["calm_flagged"] <= 0.06, table
    if not meets_the_bar(table):
        pytest.xfail("crisis-dev under CV with the extra cases: below the issue-8 bar (95% per language)")


def assert_the_issue_bar(table: dict[str, dict[str, float]]) -> None:
    for language in LANGUAGES:
        assert table[language]["caught"] >= 0.95, f"{language}: {table[language]}"
    assert table["all"]["caught"] >= 0.97, table["all"]
    assert table["all"]["calm_crisis"] <= 0.02, table["all"]
    assert table["all"]["calm_flagged"] <= 0.06, table["all"]


@pytest.mark.parametrize(
    "language, field, value",
    [("all", "caught", 0.965), ("sv", "caught", 0.945), ("all", "calm_crisis", 0.025), ("all", "calm_flagged", 0.065)],
)
def test_the_bar_check_fails_just_below_the_bar(language, field, value):
    at_the_bar = {"caught": 0.97, "calm_crisis": 0.02, "calm_flagged": 0.06}
    table = {name: {**at_the_bar, "caught": 0.97 if name == "all" else 0.95} for name in (*LANGUAGES, "all")}
    assert_the_issue_bar(table)  # exactly at the bar passes
    table[language][field] = value
    with pytest.raises(AssertionError):
        assert_the_issue_bar(table)


def test_cross_validated_with_the_extra_cases(cv_cases, scored_with_extra):
    table = figures(cv_cases, scored_with_extra)
    title = "crisis check, 5-fold CV over crisis-dev + the blind sets, trained on the folds + safety-extra.yaml:"
    print("\n" + report(title, table))
    print_parts(cv_cases, scored_with_extra)
    assert_above_the_floor_and_report_the_bar(table)


@pytest.fixture(scope="module")
def held_aside_scored():
    """Each blind file's held-aside 30%, scored by models trained on crisis-dev + the 70% of every blind file."""
    extra = train_safety.extra_cases()
    return {with_extra: train_safety.held_aside_results(extra if with_extra else ()) for with_extra in (False, True)}


@pytest.mark.parametrize("with_extra", [False, True], ids=["without-extra", "with-extra"])
def test_the_blind_cases_held_aside(with_extra, held_aside_scored):
    """Trained on crisis-dev + 70% of each blind set (+ extras); lexicons never read against these."""
    held, results = held_aside_scored[with_extra]
    table = figures(held, results)
    title = "with" if with_extra else "without"
    print("\n" + report(f"30% of each blind set held aside, all together, model {title} the extra cases:", table))
    print_parts(held, results)
    print(report("  rules alone (no model):", figures(held, results, "rules_risk")))
    assert table["all"]["caught"] >= HELD_FLOOR["caught"], table["all"]
    assert table["all"]["calm_flagged"] <= HELD_FLOOR["calm_flagged"], table["all"]
    if not meets_the_bar(table):
        pytest.xfail("below the issue-8 bar on the held-aside blind cases")


def test_the_extra_cases_are_separate_from_the_evaluation_cases(dev_cases):
    evaluation = {case["text"].strip().casefold() for case in dev_cases}
    extra = train_safety.extra_cases()
    assert len(extra) >= 50
    assert not [case["text"] for case in extra if case["text"].strip().casefold() in evaluation]
    assert all(case["lang"] in LANGUAGES for case in extra)


def test_the_blind_sets_are_split_stratified_and_apart_from_crisis_dev(dev_cases):
    train, held = train_safety.blind_split()
    evaluation = {case["text"].strip().casefold() for case in dev_cases}
    assert not [case["text"] for case in train + held if case["text"].strip().casefold() in evaluation]
    assert not {(case["source"], case["id"]) for case in train} & {(case["source"], case["id"]) for case in held}
    assert len(train) + len(held) == len(train_safety.blind_cases())
    assert train_safety.blind_split() == (train, held)  # a fixed seed: the same split on every machine
    for source in blind_sources():
        for language in LANGUAGES:
            for label in ("crisis", "calm"):

                def count(part, source=source, language=language, label=label):
                    return sum(case["source"] == source and case["lang"] == language and case["label"] == label for case in part)

                if count(held) + count(train):  # some files are written in one language only
                    assert abs(count(held) / (count(held) + count(train)) - 0.3) < 0.02, (source, language, label)
