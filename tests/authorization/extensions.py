"""Domains added after measures and alliance put their matrix objects into `MatrixCast.extra`.

Each extension is a function of the MatrixCast that creates its objects (own, other, foreign —
in adult_episode, other_episode and foreign_episode) and stores them under unique names.
Cases refer to them with `extra("name")` from cases.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.authorization.matrix_cast import MatrixCast

CAST_EXTENSIONS: list[Callable[[MatrixCast], None]] = []

from tests.authorization.cast_exposure import add_exposure  # noqa: E402

CAST_EXTENSIONS.append(add_exposure)

from tests.authorization.cast_plans import add_plans  # noqa: E402

CAST_EXTENSIONS.append(add_plans)

from tests.authorization.cast_reports import add_reports  # noqa: E402

CAST_EXTENSIONS.append(add_reports)

from tests.authorization.cast_matching import add_matching  # noqa: E402

CAST_EXTENSIONS.append(add_matching)
