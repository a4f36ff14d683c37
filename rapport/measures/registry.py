"""Where instruments come from: Rapport's built-in files, then a practice's imported definitions."""

from __future__ import annotations

import copy
import json
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from rapport.core.instruments import Instrument, InstrumentError, parse_instrument
from rapport.measures.models import InstrumentDefinition

BUILTIN_PACKAGE = "rapport.instruments"
# Built in with their scoring only (the wording may not be redistributed): a version of the same
# measure that a practice imports with the licensed wording is chosen before them.
SCORING_ONLY = frozenset({"scared-child", "scared-parent"})


@cache
def _builtin_files() -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for entry in sorted(resources.files(BUILTIN_PACKAGE).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        document = json.loads(entry.read_text(encoding="utf-8"))
        instrument_id = document["questionnaire"]["id"]
        if entry.name != f"{instrument_id}.json":
            raise RuntimeError(f"{entry.name} holds instrument '{instrument_id}'")
        documents[instrument_id] = document
    return documents


def builtin_documents() -> dict[str, dict[str, Any]]:
    """Every built-in definition by instrument id (read once; a copy is returned)."""
    return copy.deepcopy(_builtin_files())


@cache
def builtin_instruments() -> dict[str, Instrument]:
    """Every built-in instrument, parsed once. A broken shipped file fails loudly here."""
    parsed: dict[str, Instrument] = {}
    for instrument_id, document in _builtin_files().items():
        try:
            parsed[instrument_id] = parse_instrument(document)
        except InstrumentError as error:
            raise RuntimeError(f"built-in instrument {instrument_id} is broken: {error}") from error
    return parsed


def _imported(practice_id: int) -> dict[str, InstrumentDefinition]:
    """The newest imported definition of each instrument id for a practice."""
    newest: dict[str, InstrumentDefinition] = {}
    for definition in InstrumentDefinition.objects.filter(practice_id=practice_id).order_by(
        "instrument_id", "-imported_at", "-pk"
    ):
        newest.setdefault(definition.instrument_id, definition)
    return newest


@lru_cache(maxsize=256)
def _parse_text(text: str) -> Instrument:
    return parse_instrument(json.loads(text))


def _from_definition(definition: InstrumentDefinition) -> Instrument:
    # Keyed by content, not by row: a parsed copy can never go stale.
    return _parse_text(json.dumps(definition.document, sort_keys=True))


def get_instrument(instrument_id: str, *, practice_id: int | None = None) -> Instrument:
    """A built-in instrument, else the newest definition that practice imported with that id."""
    builtin = builtin_instruments().get(instrument_id)
    if builtin is not None:
        return builtin
    if practice_id is not None:
        definition = (
            InstrumentDefinition.objects.filter(
                practice_id=practice_id, instrument_id=instrument_id
            )
            .order_by("-imported_at", "-pk")
            .first()
        )
        if definition is not None:
            return _from_definition(definition)
        raise LookupError(
            f"no instrument '{instrument_id}': it is not built in and this practice has not "
            "imported it"
        )
    raise LookupError(f"no built-in instrument '{instrument_id}'")


def is_builtin(instrument_id: str) -> bool:
    return instrument_id in _builtin_files()


def instruments_for(practice_id: int | None) -> list[Instrument]:
    """Built-in instruments, then the practice's imported ones (newest version of each)."""
    found = list(builtin_instruments().values())
    if practice_id is not None:
        found += [_from_definition(d) for d in _imported(practice_id).values()]
    return found


def outcome_families(
    practice_id: int | None, *, respondents: tuple[str, ...] = ("client",)
) -> dict[str, list[Instrument]]:
    """The one answer to "which instruments are outcome measures": the practice's outcome
    instruments answered by these respondents, by family, in registry order (built-in first).
    Session feedback and goal ratings are not outcome measures."""
    families: dict[str, list[Instrument]] = {}
    for instrument in instruments_for(practice_id):
        if instrument.is_outcome and instrument.respondent in respondents:
            families.setdefault(instrument.family, []).append(instrument)
    return families


def choose_version(
    family: str, *, respondent: str, age_band: str, practice_id: int | None = None
) -> Instrument:
    """The version of a measure for this respondent and the client's age band.

    For example family "checkin": a child client gets checkin-child, their guardian
    checkin-caregiver. When several versions fit, the one made for the fewest age bands (the
    most specific) wins, then a built-in one, then the lowest id — except that a built-in
    version holding the scoring only (SCORING_ONLY) gives way to any version the practice
    imported with its wording.
    """
    age_band = str(age_band)
    candidates = [
        instrument
        for instrument in instruments_for(practice_id)
        if instrument.family == family
        and instrument.respondent == respondent
        and age_band in instrument.age_bands
    ]
    if not candidates:
        known = {instrument.family for instrument in instruments_for(practice_id)}
        if family not in known:
            raise LookupError(f"no measure family '{family}'")
        raise LookupError(
            f"no version of '{family}' for a {respondent} of a client in the {age_band} age band"
        )
    candidates.sort(
        key=lambda i: (i.id in SCORING_ONLY, len(i.age_bands), not is_builtin(i.id), i.id)
    )
    return candidates[0]
