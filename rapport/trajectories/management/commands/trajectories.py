from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.core.validation import FLAG_LEVELS, OUTCOMES, FlagPerformance, Rate
from rapport.practices.models import Practice
from rapport.trajectories.queries import client_outcome_families, trajectory_validation
from rapport.trajectories.refresh import trajectories_refresh


class Command(BaseCommand):
    help = (
        "Expected trajectories. 'refresh' refits every measure of a practice (all practices "
        "without --practice) and classifies every stored score again, without raising alerts. "
        "'validate --family phq9' reports how well early at-risk/off-track flags predicted the "
        "final outcome on the practice's closed episodes (counts only), as text or --json."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh", "validate"])
        parser.add_argument("--practice", type=int, help="Practice id (needed with several).")
        parser.add_argument("--family", help="Measure family to validate, e.g. phq9.")
        parser.add_argument("--json", action="store_true", help="Validation report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "refresh":
            practices = Practice.objects.all()
            if options["practice"] is not None:
                practices = practices.filter(pk=options["practice"])
                if not practices.exists():
                    raise CommandError(f"no practice {options['practice']}")
            for practice in practices:
                for e in trajectories_refresh(practice=practice):
                    self.stdout.write(
                        f"{practice.name}: {e.family} by {e.method} "
                        f"({e.n_clients} clients, {e.n_obs} scores)"
                    )
            return
        self._validate(options)

    def _validate(self, options: dict[str, Any]) -> None:
        practice = self._one_practice(options["practice"])
        family = options["family"]
        families = client_outcome_families(practice.pk)
        if not family or family not in families:
            raise CommandError(f"choose --family from {', '.join(sorted(families))}")
        found = trajectory_validation(practice_id=practice.pk, family=family, actor=None)
        report = found.report
        data: dict[str, Any] = {
            "practice": practice.pk,
            "family": family,
            "closed_episodes": found.n_closed,
            "reason": found.reason,
            "reliability": found.reliability_source,
            "sd": found.sd_source,
            "report": None,
        }
        if report is not None:
            data["report"] = {
                "evaluated": report.n_evaluated,
                "too_short": report.n_too_short,
                "window": report.window,
                "bases": list(report.bases),
                "reasons": list(report.reasons),
                "outcomes": report.outcome_counts,
                "results": [
                    {"outcome": o, "flag": f, **_performance(report.results[(o, f)])}
                    for o in OUTCOMES
                    for f in FLAG_LEVELS
                ],
            }
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"{found.title}: {found.n_closed} closed episodes with an intake")
        if found.reason:
            self.stdout.write(found.reason)
        if report is None:
            return
        self.stdout.write(
            f"judged {report.n_evaluated} (flags at sessions 2–{report.window}), "
            f"classified by {' and '.join(report.bases)}"
        )
        for row in data["report"]["results"]:
            self.stdout.write(
                f"{row['outcome']:>13} | {row['flag']:>9} | TP {row['tp']} FP {row['fp']} "
                f"FN {row['fn']} TN {row['tn']} | sens {_fmt(row['sensitivity'])} "
                f"spec {_fmt(row['specificity'])} PPV {_fmt(row['ppv'])} "
                f"NPV {_fmt(row['npv'])} AUC {_fmt(row['auc'])}"
            )

    def _one_practice(self, practice_id: int | None) -> Practice:
        if practice_id is not None:
            practice = Practice.objects.filter(pk=practice_id).first()
            if practice is None:
                raise CommandError(f"no practice {practice_id}")
            return practice
        practices = list(Practice.objects.all()[:2])
        if len(practices) != 1:
            raise CommandError("give --practice: there is not exactly one practice")
        return practices[0]


def _rate(r: Rate) -> dict[str, Any]:
    return {"count": r.count, "n": r.n, "value": r.value, "low": r.low, "high": r.high}


def _performance(p: FlagPerformance) -> dict[str, Any]:
    return {
        "tp": p.true_positive,
        "fp": p.false_positive,
        "fn": p.false_negative,
        "tn": p.true_negative,
        "sensitivity": _rate(p.sensitivity),
        "specificity": _rate(p.specificity),
        "ppv": _rate(p.ppv),
        "npv": _rate(p.npv),
        "auc": p.auc,
    }


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        value = value["value"]
    return "—" if value is None else f"{value:.2f}"
