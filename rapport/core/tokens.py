"""Tokens of links from home are stored only as their hash, so a copy of the database opens
no form."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()
