"""The crisis check scored honestly: stratified 5-fold cross-validation on the evaluation cases.

Everything fitted to data (the learned model and its thresholds) is trained on four folds and
scored on the fifth, so no sentence is scored by a model that saw it. The concept lexicons in
knowledge/safety.yaml were written by people who had read these cases, so the rules are not
held out: the figures are an upper estimate for the rules' part. The project's own extra cases
(tests/cases/safety-extra.yaml) are only ever trained on; figures are printed with and without.

Acceptance (issue 8): crises caught (crisis or ask) >= 97%, per language >= 95%; calm messages
given `crisis` <= 2%, given `crisis` or `ask` <= 6%.
"""

import pytest

from bot import train_safety

pytest.importorskip("sklearn")

LANGUAGES = ("da", "en", "sv")


def figures(cases: list[dict], results: list[dict], key: str = "risk") -> dict[str, dict[str, float]]:
    """Per language and overall: share of crises caught, calm given crisis, calm flagged."""
    table = {}
    for language in (*LANGUAGES, "all"):
        chosen = [(case, result) for case, result in zip(cases, results, strict=True) if language in ("all", case["lang"])]
        crises = [result[key] for case, result in chosen if case["label"] == "crisis"]
        calm = [result[key] for case, result in chosen if case["label"] == "calm"]
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
def scored_without_extra(dev_cases):
    return train_safety.cross_validate(dev_cases)


@pytest.fixture(scope="module")
def scored_with_extra(dev_cases):
    return train_safety.cross_validate(dev_cases, train_safety.extra_cases())


def assert_meets_the_bar(table):
    for language in LANGUAGES:
        assert table[language]["caught"] >= 0.95, f"{language}: {table[language]}"
    assert table["all"]["caught"] >= 0.97, table["all"]
    assert table["all"]["calm_crisis"] <= 0.02, table["all"]
    assert table["all"]["calm_flagged"] <= 0.06, table["all"]


def test_cross_validated_without_the_extra_cases(dev_cases, scored_without_extra):
    table = figures(dev_cases, scored_without_extra)
    print("\n" + report("crisis check, 5-fold CV, trained on crisis-dev only:", table))
    print(report("  rules alone (no model):", figures(dev_cases, scored_without_extra, "rules_risk")))
    print(report("  model alone (p >= 0.5):", figures(dev_cases, model_alone(scored_without_extra))))
    letters = model_alone(scored_without_extra, "letters_probability")
    print(report("  letters-only model, no concepts (p >= 0.5):", figures(dev_cases, letters)))
    assert_meets_the_bar(table)


def test_cross_validated_with_the_extra_cases(dev_cases, scored_with_extra):
    table = figures(dev_cases, scored_with_extra)
    print("\n" + report("crisis check, 5-fold CV, trained on crisis-dev folds + safety-extra.yaml:", table))
    assert_meets_the_bar(table)


def test_the_extra_cases_are_separate_from_the_evaluation_cases(dev_cases):
    evaluation = {case["text"].strip().casefold() for case in dev_cases}
    extra = train_safety.extra_cases()
    assert len(extra) >= 50
    assert not [case["text"] for case in extra if case["text"].strip().casefold() in evaluation]
    assert all(case["lang"] in LANGUAGES for case in extra)
