"""`make bench`: speed figures, each as a ratio against a baseline measured in the same run.

Each section is a module under rapport/speed with a `run() -> bool` (True when its goals
are met) that prints its own figures.
"""

from __future__ import annotations

import importlib
import time

SECTIONS = [
    "rapport.speed.growth",
    "rapport.speed.charts",
    "rapport.speed.dashboards",
    "rapport.speed.caseload",
    "rapport.speed.effectiveness",
    "rapport.speed.reports",
    "rapport.speed.fhir_export",
    "rapport.speed.research_export",
]


def main() -> None:
    started = time.perf_counter()
    missed = [name for name in SECTIONS if not importlib.import_module(name).run()]
    verdict = "all goals met" if not missed else f"a goal was MISSED in {', '.join(missed)}"
    print(f"bench finished in {time.perf_counter() - started:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
