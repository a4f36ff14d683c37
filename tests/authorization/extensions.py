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
