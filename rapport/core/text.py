"""Text folding for search: what a person types without accents finds names written with them."""

from __future__ import annotations

import unicodedata

# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)


def search_key(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: "Wójcik  Łukasz" gives "wojcik lukasz".

    Stored beside a name and applied to the query, so the database compares plain text and the
    same search works on SQLite (whose LIKE folds ASCII only) and PostgreSQL.
    """
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(plain.translate(_UNDECOMPOSED).split())
