"""Instrument definitions and scoring, checked against the published PHQ-9 and GAD-7 facts.

Bands and cut-offs: Kroenke, Spitzer & Williams 2001 (J Gen Intern Med 16:606-613) for the PHQ-9,
Spitzer et al. 2006 (Arch Intern Med 166:1092-1097) for the GAD-7. Missing PHQ-9 items: NHS Data
Dictionary (up to two missing items take the mean of the answered ones).
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import pytest

from rapport.core.instruments import (
    AnswerError,
    Instrument,
    InstrumentError,
    band_for,
    clean_answers,
    item_text,
    parse_instrument,
    score,
    validate_answers,
)

PFIZER = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with "
    "an educational grant from Pfizer Inc. No permission required to reproduce, translate, "
    "display or distribute."
)
SHIPPED = [
    "phq9",
    "gad7",
    "checkin-adult",
    "checkin-child",
    "checkin-caregiver",
    "feedback-client",
    "feedback-child",
    "feedback-guardian",
    "feedback-therapist",
    "goal-progress",
    "scared-child",
    "scared-parent",
]
THIRD_PARTY = ("phq9", "gad7", "scared-child", "scared-parent")
RAPPORT_SCALES = [name for name in SHIPPED if name not in THIRD_PARTY]
CHILD_VERSIONS = ["checkin-child", "feedback-child", "goal-progress"]


def document(name: str) -> dict[str, Any]:
    text = (resources.files("rapport.instruments") / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)


def load(name: str) -> Instrument:
    return parse_instrument(document(name))


@pytest.fixture(scope="module")
def phq9() -> Instrument:
    return load("phq9")


@pytest.fixture(scope="module")
def gad7() -> Instrument:
    return load("gad7")


def answers_totalling(instrument: Instrument, total: int, **fixed: int) -> dict[str, int]:
    """Answers to every scored item that add up to `total`, filling items in order with 3s."""
    answers = {link: value for link, value in fixed.items()}
    remaining = total - sum(answers.values())
    for link_id in instrument.total_items:
        if link_id in answers:
            continue
        answers[link_id] = min(3, remaining)
        remaining -= answers[link_id]
    assert remaining == 0, "total out of reach"
    return answers


# --- A tiny made-up definition for the generic rules ----------------------------------------


def tiny_definition() -> dict[str, Any]:
    """Three 1-5 items; item b is reverse-scored; subscale 'ab'; one risk rule on c."""

    def option(value: int) -> dict[str, Any]:
        return {
            "valueCoding": {
                "system": "https://example.org/t",
                "code": f"a{value}",
                "display": f"{value}",
            },
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                    "valueDecimal": value,
                }
            ],
        }

    def item(link_id: str) -> dict[str, Any]:
        return {
            "linkId": link_id,
            "text": f"Question {link_id}",
            "type": "choice",
            "required": True,
            "answerOption": [option(v) for v in range(1, 6)],
        }

    return {
        "questionnaire": {
            "resourceType": "Questionnaire",
            "id": "tiny",
            "url": "https://example.org/fhir/Questionnaire/tiny",
            "version": "1",
            "name": "Tiny",
            "title": "Tiny test scale",
            "status": "draft",
            "item": [item("a"), item("b"), item("c")],
        },
        "scoring": {
            "short_title": "Tiny",
            "kind": "outcome",
            "respondent": "client",
            "age_bands": ["adult"],
            "family": "tiny",
            "total_items": ["a", "b", "c"],
            "subscales": {"ab": ["a", "b"]},
            "reverse_items": ["b"],
            "missing": {"max_missing": 1, "prorate": True},
            "direction": "lower",
            "bands": [
                {"min": 3, "max": 8, "label": "Low", "severity": 0},
                {"min": 9, "max": 15, "label": "High", "severity": 1},
            ],
            "cutoff": 9,
            "risk_rules": [{"item": "c", "min_value": 4, "message": "c is high", "urgent": False}],
            "attribution": "Made up for tests.",
            "sources": [{"supports": ["bands", "cutoff"], "citation": "Invented for this test."}],
        },
    }


# --- PHQ-9 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_totals_fall_in_the_published_severity_bands(phq9, total, band):
    result = score(phq9, answers_totalling(phq9, total))
    assert result.total == total
    assert result.band is not None and result.band.label == band
    assert result.complete and not result.prorated and result.missing == ()


def test_phq9_scores_range_from_0_to_27_with_severity_rising_band_by_band(phq9):
    assert phq9.score_range == (0, 27)
    assert [b.severity for b in phq9.bands] == [0, 1, 2, 3, 4]
    assert phq9.cutoff == 10
    assert phq9.direction == "lower"


def test_phq9_item_9_answered_several_days_raises_an_urgent_flag_even_with_a_total_of_1(phq9):
    result = score(phq9, answers_totalling(phq9, 1, **{"phq9-9": 1}))
    assert result.total == 1
    assert result.band is not None and result.band.label == "Minimal"
    assert [(flag.link_id, flag.urgent) for flag in result.flags] == [("phq9-9", True)]


def test_phq9_item_9_answered_not_at_all_raises_no_flag_even_with_a_severe_total(phq9):
    result = score(phq9, answers_totalling(phq9, 24, **{"phq9-9": 0}))
    assert result.band is not None and result.band.label == "Severe"
    assert result.flags == ()


def test_the_item_9_flag_fires_when_too_many_items_are_missing_for_a_total(phq9):
    result = score(phq9, {"phq9-9": "2"})
    assert result.total is None
    assert [flag.link_id for flag in result.flags] == ["phq9-9"]


def test_phq9_with_two_missing_items_is_prorated_from_the_mean_of_the_answered_items(phq9):
    answers = {f"phq9-{n}": 1 for n in range(1, 8)}  # items 8 and 9 missing: 7 / 7 * 9 = 9
    result = score(phq9, answers)
    assert result.total == 9
    assert result.prorated
    assert result.missing == ("phq9-8", "phq9-9")
    assert not result.complete


def test_a_prorated_total_is_rounded_half_up_onto_the_whole_number_bands(phq9):
    answers = answers_totalling(phq9, 4)
    answers["phq9-9"] = None  # 8 answered summing 4: 4 / 8 * 9 = 4.5, reported as 5 (Mild)
    result = score(phq9, answers)
    assert result.total == 5
    assert result.band is not None and result.band.label == "Mild"


def test_a_prorated_fraction_below_a_half_rounds_down(phq9):
    answers = {f"phq9-{n}": v for n, v in zip(range(1, 9), [3, 3, 3, 2, 2, 0, 0, 0], strict=True)}
    result = score(phq9, answers)  # 13 / 8 * 9 = 14.625 -> 15; 12 / 8 * 9 = 13.5 -> 14
    assert result.total == 15
    answers["phq9-1"] = 2
    assert score(phq9, answers).total == 14


def test_phq9_with_three_missing_items_has_no_total_and_no_band(phq9):
    answers = {f"phq9-{n}": 3 for n in range(1, 7)}
    result = score(phq9, answers)
    assert result.total is None
    assert result.band is None
    assert not result.prorated
    assert result.missing == ("phq9-7", "phq9-8", "phq9-9")


def test_the_difficulty_question_is_asked_but_not_scored(phq9):
    difficulty = phq9.item("phq9-difficulty")
    assert not difficulty.scored and not difficulty.required
    assert [o.label for o in difficulty.options] == [
        "Not difficult at all",
        "Somewhat difficult",
        "Very difficult",
        "Extremely difficult",
    ]
    answers = answers_totalling(phq9, 12)
    answers["phq9-difficulty"] = 3
    assert score(phq9, answers).total == 12
    assert len(phq9.scored_items) == 9


def test_phq9_answers_are_the_published_four_choices_scored_0_to_3(phq9):
    for item in phq9.scored_items:
        assert [(o.value, o.label) for o in item.options] == [
            (0, "Not at all"),
            (1, "Several days"),
            (2, "More than half the days"),
            (3, "Nearly every day"),
        ]
        assert [o.code for o in item.options] == ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def test_phq9_and_gad7_carry_their_loinc_panel_total_and_item_codes(phq9, gad7):
    assert phq9.loinc_panel == "44249-1"
    assert phq9.loinc_total == "44261-6"
    assert [item.loinc for item in phq9.scored_items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    assert phq9.item("phq9-9").loinc == "44260-8"
    assert gad7.loinc_panel == "69737-5"
    assert gad7.loinc_total == "70274-6"
    assert [item.loinc for item in gad7.scored_items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]


def test_phq9_and_gad7_keep_the_pfizer_attribution(phq9, gad7):
    for instrument in (phq9, gad7):
        assert instrument.attribution == PFIZER
        assert instrument.questionnaire["copyright"] == PFIZER


def test_published_figures_come_with_their_sources(phq9, gad7):
    assert any("J Gen Intern Med 2001;16(9):606-613" in s for s in phq9.sources)
    assert any("Arch Intern Med 2006;166(10):1092-1097" in s for s in gad7.sources)
    assert phq9.reliability == 0.89  # Kroenke 2001, PHQ Primary Care Study
    assert gad7.reliability == 0.92  # Spitzer 2006
    # No general-population norms are shipped: the app falls back on the practice's data.
    assert phq9.functional_mean is None and gad7.clinical_mean is None


# --- GAD-7 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_totals_fall_in_the_published_severity_bands(gad7, total, band):
    result = score(gad7, answers_totalling(gad7, total))
    assert result.total == total
    assert result.band is not None and result.band.label == band


def test_gad7_scores_range_from_0_to_21_with_a_cut_off_of_10(gad7):
    assert gad7.score_range == (0, 21)
    assert gad7.cutoff == 10
    assert band_for(gad7, 22) is None


def test_gad7_needs_all_seven_items_for_a_total(gad7):
    answers = answers_totalling(gad7, 6)
    answers["gad7-7"] = None
    result = score(gad7, answers)
    assert result.total is None
    assert result.missing == ("gad7-7",)


# --- Generic rules (made-up definition) ---------------------------------------------------


def test_reverse_scored_items_count_as_lowest_plus_highest_minus_the_answer():
    tiny = parse_instrument(tiny_definition())
    assert tiny.item("b").reverse and not tiny.item("a").reverse
    result = score(tiny, {"a": 5, "b": 5, "c": 5})
    assert result.total == 5 + 1 + 5
    assert result.subscales == {"ab": 6}
    result = score(tiny, {"a": 1, "b": 2, "c": 1})
    assert result.total == 1 + 4 + 1


def test_risk_rules_compare_the_raw_answer_not_the_reversed_score():
    tiny = parse_instrument(tiny_definition())
    assert score(tiny, {"a": 1, "b": 1, "c": 4}).flags[0].message == "c is high"
    assert score(tiny, {"a": 1, "b": 1, "c": 3}).flags == ()


def test_subscales_follow_the_missing_item_rule_over_their_own_items():
    tiny = parse_instrument(tiny_definition())
    result = score(tiny, {"a": 2, "b": None, "c": 3})  # b missing: total 5 / 2 * 3 = 7.5 -> 8
    assert result.total == 8
    assert result.subscales == {"ab": 4}  # a alone: 2 / 1 * 2
    assert result.prorated


def test_a_fractional_total_belongs_to_the_band_below_the_next_boundary():
    tiny = parse_instrument(tiny_definition())
    assert band_for(tiny, 8.5).label == "Low"  # type: ignore[union-attr]
    assert band_for(tiny, 9).label == "High"  # type: ignore[union-attr]
    assert band_for(tiny, None) is None


def test_score_refuses_a_value_the_item_does_not_allow():
    tiny = parse_instrument(tiny_definition())
    with pytest.raises(AnswerError) as raised:
        score(tiny, {"a": 9, "b": 1, "c": 1})
    assert raised.value.errors == {"a": "Choose one of the answers"}


# --- Checking answers ---------------------------------------------------------------------


def test_validate_answers_names_each_problem_by_link_id(phq9):
    answers: dict[str, object] = {f"phq9-{n}": "1" for n in range(1, 10)}
    answers.update({"phq9-2": "4", "phq9-3": "often", "phq9-4": True, "phq9-5": "", "nope": "1"})
    assert validate_answers(phq9, answers) == {
        "nope": "This question is not part of this form",
        "phq9-2": "Choose one of the answers",
        "phq9-3": "Choose one of the answers",
        "phq9-4": "Choose one of the answers",
        "phq9-5": "Please answer this question",
    }


def test_validate_answers_accepts_form_strings_and_leaves_optional_items_blank(phq9):
    answers = {f"phq9-{n}": " 2 " for n in range(1, 10)}
    assert validate_answers(phq9, answers) == {}


def test_slider_answers_must_be_whole_numbers_from_0_to_10():
    checkin = load("checkin-adult")
    answers = {"checkin-feeling": "11", "checkin-home": "2.5", "checkin-school": "-1"}
    assert validate_answers(checkin, answers) == {
        "checkin-feeling": "Choose a number from 0 to 10",
        "checkin-home": "Choose a whole number from 0 to 10",
        "checkin-school": "Choose a number from 0 to 10",
        "checkin-overall": "Please answer this question",
    }
    assert validate_answers(checkin, answers, require=False).keys() == {
        "checkin-feeling",
        "checkin-home",
        "checkin-school",
    }


def test_free_text_must_be_text_and_not_too_long():
    feedback = load("feedback-client")
    sliders = {link: 8 for link in feedback.total_items}
    assert validate_answers(feedback, {**sliders, "feedback-better": 5}) == {
        "feedback-better": "Write your answer as text"
    }
    assert "feedback-better" in validate_answers(
        feedback, {**sliders, "feedback-better": "x" * 4001}
    )
    assert validate_answers(feedback, sliders) == {}


def test_clean_answers_gives_ints_trimmed_text_and_none_for_blanks():
    feedback = load("feedback-client")
    cleaned = clean_answers(
        feedback,
        {
            "feedback-bond": "9",
            "feedback-goals": 7,
            "feedback-approach": "",
            "feedback-better": "  More time at the end.  ",
        },
    )
    assert cleaned == {
        "feedback-bond": 9,
        "feedback-goals": 7,
        "feedback-approach": None,
        "feedback-overall": None,
        "feedback-helped": None,
        "feedback-better": "More time at the end.",
    }
    with pytest.raises(AnswerError):
        clean_answers(feedback, {"feedback-bond": "eleven"})


# --- Reading definitions ------------------------------------------------------------------


def test_a_malformed_definition_lists_every_problem_at_once():
    broken = tiny_definition()
    q, s = broken["questionnaire"], broken["scoring"]
    q["status"] = "published"
    q["item"][1]["linkId"] = "a"  # duplicate
    del q["item"][2]["answerOption"][1]["extension"]  # no ordinalValue
    q["item"][2]["answerOption"][2]["extension"][0]["valueDecimal"] = 1  # repeats value 1
    s["bands"][1]["min"] = 10  # gap between 8 and 10
    s["risk_rules"][0]["item"] = "zz"
    s["total_items"].append("missing-item")
    s["direction"] = "down"
    s["typo"] = True
    with pytest.raises(InstrumentError) as raised:
        parse_instrument(broken)
    problems = raised.value.problems
    expected = [
        "questionnaire: status 'published' is not one of active, draft, retired, unknown",
        "item 'a': linkId is used more than once",
        "item 'c': answerOption 2 has no ordinalValue",
        "item 'c': answerOption 3 repeats the value 1",
        "scoring.total_items: 'missing-item' is not an item of this questionnaire",
        "scoring: direction 'down' is not one of lower, higher",
        "scoring: unknown key 'typo'",
        "scoring.risk_rules[1]: item 'zz' is not an item",
    ]
    for line in expected:
        assert line in problems
    assert any("gap between 'Low' (to 8) and 'High' (from 10)" in p for p in problems)
    assert len(problems) >= len(expected) + 1
    assert all("\n" not in problem for problem in problems)


def test_bands_must_cover_the_score_range_without_overlap():
    broken = tiny_definition()
    broken["scoring"]["bands"] = [
        {"min": 4, "max": 9, "label": "Low", "severity": 0},
        {"min": 9, "max": 14, "label": "High", "severity": 1},
    ]
    with pytest.raises(InstrumentError) as raised:
        parse_instrument(broken)
    assert set(raised.value.problems) == {
        "scoring.bands: 'Low' and 'High' overlap",
        "scoring.bands: the lowest band starts at 4, not 3",
        "scoring.bands: the highest band ends at 14, not 15",
    }


def test_a_published_figure_without_a_source_is_refused():
    broken = tiny_definition()
    broken["scoring"]["reliability"] = 0.8
    broken["scoring"]["sources"] = [{"supports": ["bands"], "citation": "Somewhere."}]
    with pytest.raises(InstrumentError) as raised:
        parse_instrument(broken)
    assert raised.value.problems == [
        "scoring: cutoff has no source (add one with supports ['cutoff'])",
        "scoring: reliability has no source (add one with supports ['reliability'])",
    ]


def test_items_of_unsupported_types_and_sliders_without_bounds_are_refused():
    broken = tiny_definition()
    broken["questionnaire"]["item"].append({"linkId": "g", "text": "Group", "type": "group"})
    broken["questionnaire"]["item"].append({"linkId": "n", "text": "Number", "type": "integer"})
    broken["questionnaire"]["item"].append({"linkId": "w", "text": "Odd", "type": "widget"})
    with pytest.raises(InstrumentError) as raised:
        parse_instrument(broken)
    assert raised.value.problems == [
        "item 'g': type 'group' is not supported (use choice, integer, text or string)",
        "item 'n': an integer item needs a minValue extension",
        "item 'n': an integer item needs a maxValue extension",
        "item 'w': type 'widget' is not a FHIR item type",
    ]


def test_a_document_that_is_not_a_definition_is_refused_with_reasons():
    with pytest.raises(InstrumentError) as raised:
        parse_instrument({"questionnaire": [], "extra": 1})
    assert raised.value.problems == [
        "definition: unknown key 'extra'",
        "definition: 'questionnaire' is missing, empty or not an object",
        "definition: 'scoring' is missing, empty or not an object",
    ]


# --- Shipped files ------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_definition_parses_and_is_named_after_its_id(name):
    instrument = load(name)
    assert instrument.id == name
    assert instrument.questionnaire["status"] == "active"
    assert instrument.questionnaire["url"] == f"Questionnaire/{name}"
    assert instrument.version
    assert instrument.sources


def test_every_shipped_file_is_listed_here():
    names = {
        entry.name.removesuffix(".json")
        for entry in resources.files("rapport.instruments").iterdir()
        if entry.name.endswith(".json")
    }
    assert names == set(SHIPPED)


@pytest.mark.parametrize("name", RAPPORT_SCALES)
def test_rapport_scales_are_0_to_10_sliders_where_higher_is_better_and_no_norms_are_claimed(name):
    instrument = load(name)
    assert instrument.direction == "higher"
    assert instrument.bands == () and instrument.cutoff is None and instrument.reliability is None
    for item in instrument.scored_items:
        assert (item.kind, item.min_value, item.max_value) == ("slider", 0, 10)
        assert item.min_label and item.max_label


def test_checkin_versions_share_a_family_and_item_ids_so_they_can_be_compared():
    versions = [load(name) for name in ("checkin-adult", "checkin-child", "checkin-caregiver")]
    assert {v.family for v in versions} == {"checkin"}
    assert len({v.total_items for v in versions}) == 1
    assert load("checkin-caregiver").respondent == "guardian"
    assert "your child" in load("checkin-caregiver").item("checkin-feeling").text


@pytest.mark.parametrize(
    "name", ["feedback-client", "feedback-child", "feedback-guardian", "feedback-therapist"]
)
def test_session_feedback_totals_bond_goals_approach_and_overall_from_0_to_40(name):
    feedback = load(name)
    assert feedback.kind == "alliance"
    assert feedback.family == "feedback"
    assert feedback.total_items == (
        "feedback-bond",
        "feedback-goals",
        "feedback-approach",
        "feedback-overall",
    )
    assert feedback.score_range == (0, 40)
    # The therapist is not asked what helped: only the people in the client's chair are.
    written = ["feedback-better"] if name == "feedback-therapist" else WRITTEN_FEEDBACK
    assert [item.link_id for item in feedback.text_items] == written
    answers = {"feedback-bond": 10, "feedback-goals": 9, "feedback-approach": 8}
    answers |= {"feedback-overall": 7, "feedback-better": "Less homework talk."}
    assert score(feedback, answers).total == 34
    assert score(feedback, answers | {"feedback-helped": "The plan."}).total == 34


WRITTEN_FEEDBACK = ["feedback-helped", "feedback-better"]


@pytest.mark.parametrize("name", ["feedback-client", "feedback-child", "feedback-guardian"])
def test_session_feedback_asks_what_helped_in_words_just_before_what_could_be_better(name):
    feedback = load(name)
    helped = feedback.item("feedback-helped")

    assert (helped.kind, helped.required) == ("text", False)
    assert "helped" in helped.text and helped.text.endswith("?")
    link_ids = [item.link_id for item in feedback.items]
    assert link_ids[-2:] == WRITTEN_FEEDBACK
    # An added item is a new minor version; the answers given under 1.0.0 stay valid.
    assert feedback.version == "1.1.0"
    ratings = ("bond", "goals", "approach", "overall")
    assert validate_answers(feedback, {f"feedback-{k}": 8 for k in ratings}) == {}
    assert document(name)["questionnaire"]["date"] == "2026-12-07"


def test_the_childs_form_asks_what_helped_in_a_childs_words():
    assert load("feedback-child").item("feedback-helped").text == "What helped you most today?"


@pytest.mark.parametrize("name", ["feedback-client", "feedback-child", "feedback-guardian"])
def test_session_feedback_tells_the_respondent_who_will_read_their_answers(name):
    assert "will read your answers" in load(name).description


def test_goal_progress_is_one_0_to_10_template_item_filled_with_the_goal():
    goal = load("goal-progress")
    (item,) = goal.items
    assert item.text == "How close are you to this goal?"
    assert item.context == "goal"
    assert goal.kind == "goal" and goal.score_range == (0, 10)
    assert item_text(item, {"goal": "Sleep through most nights"}) == (
        "How close are you to this goal? (Sleep through most nights)"
    )
    assert item_text(item) == "How close are you to this goal?"


# --- Readability of Rapport's own wording --------------------------------------------------
#
# Flesch-Kincaid grade level (Kincaid, Fishburne, Rogers & Chissom 1975, Naval Technical
# Training Command Research Branch Report 8-75):
#     0.39 * words/sentences + 11.8 * syllables/words - 15.59
# US grade 5 is read by 10- to 11-year-olds, so child versions must score 5 or below; the
# other Rapport scales aim at plain language (grade 8 or below). Text checked: the instructions
# and every item's question (slider end labels are labels, not sentences). Syllables are
# counted with a common heuristic: runs of vowels (a, e, i, o, u, y) in the word, less one for a
# silent final "e" (not "-le", "-ee", "-ye"), at least one per word. It is within about one
# syllable of a dictionary count for everyday words, which is what a grade-level check needs.

_VOWEL_RUNS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    word = re.sub(r"[^a-z]", "", word.lower())
    if not word:
        return 0
    count = len(_VOWEL_RUNS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(1, count)


def sentences_of(instrument: Instrument) -> list[str]:
    texts = [instrument.description, *(item.text for item in instrument.items)]
    return [s for text in texts for s in re.split(r"[.?!:]+", text) if re.search(r"[A-Za-z]", s)]


def flesch_kincaid_grade(sentences: list[str]) -> float:
    words = [w for s in sentences for w in re.findall(r"[A-Za-z']+", s)]
    total_syllables = sum(syllables(w) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * total_syllables / len(words) - 15.59


@pytest.mark.parametrize(
    ("word", "count"),
    [("cat", 1), ("make", 1), ("happy", 2), ("table", 2), ("family", 3), ("therapist", 3)],
)
def test_the_syllable_heuristic_counts_everyday_words_like_a_dictionary(word, count):
    assert syllables(word) == count


def test_the_grade_formula_gives_the_textbook_value_for_a_simple_sentence():
    # 6 words, 6 syllables, 1 sentence: 0.39 * 6 + 11.8 * 1 - 15.59 = -1.45
    assert flesch_kincaid_grade(["The cat sat on the mat"]) == pytest.approx(-1.45)


@pytest.mark.parametrize("name", CHILD_VERSIONS)
def test_child_versions_read_at_grade_5_or_below_with_no_long_words(name):
    instrument = load(name)
    sentences = sentences_of(instrument)
    assert flesch_kincaid_grade(sentences) <= 5
    long_words = {w for s in sentences for w in re.findall(r"[A-Za-z']+", s) if syllables(w) > 3}
    assert long_words == set()


@pytest.mark.parametrize("name", RAPPORT_SCALES)
def test_rapport_scales_are_written_in_plain_language(name):
    assert flesch_kincaid_grade(sentences_of(load(name))) <= 8


def test_a_parsed_instrument_does_not_share_state_with_its_document():
    raw = document("phq9")
    before = copy.deepcopy(raw)
    parse_instrument(raw)
    assert raw == before


def test_a_definition_printed_with_the_former_placeholder_host_reads_as_rapports_own_names():
    old = document("goal-progress")
    text = json.dumps(old).replace(
        '"Questionnaire/', '"https://rapport.example/fhir/Questionnaire/'
    )
    text = text.replace(
        '"StructureDefinition/item', '"https://rapport.example/fhir/StructureDefinition/item'
    )
    assert "rapport.example" in text

    instrument = parse_instrument(json.loads(text))

    assert "rapport.example" not in json.dumps(instrument.questionnaire)
    assert instrument.questionnaire["url"] == "Questionnaire/goal-progress"
    assert instrument.items[0].context == "goal"


def test_a_relative_url_other_than_a_questionnaires_own_name_is_refused():
    wrong = document("phq9")
    wrong["questionnaire"]["url"] = "phq9"

    with pytest.raises(InstrumentError, match="url must be an absolute canonical URL"):
        parse_instrument(wrong)
