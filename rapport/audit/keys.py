"""Where the audit keys come from: the environment or a file, never the database.

Imported by the settings module, so it must not import Django models.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rapport.core.auditchain import Keyring, KeyringError, derived_keyring, parse_keyring


def keyring_from_environment(
    environ: Mapping[str, str], *, development_secret: str | None
) -> Keyring | None:
    """The keyring named by RAPPORT_AUDIT_KEYS, RAPPORT_AUDIT_KEY or RAPPORT_AUDIT_KEY_FILE.

    Without any of them a key derived from `development_secret` is used when one is given
    (development and tests); otherwise None: the caller decides whether that is an error.
    Raises KeyringError with a one-line reason for a malformed or unreadable key.
    """
    current_id = environ.get("RAPPORT_AUDIT_KEY_ID", "").strip() or None
    sources = [
        name
        for name in ("RAPPORT_AUDIT_KEYS", "RAPPORT_AUDIT_KEY", "RAPPORT_AUDIT_KEY_FILE")
        if environ.get(name, "").strip()
    ]
    if len(sources) > 1:
        raise KeyringError(f"give the audit keys in one place, not in {' and '.join(sources)}")
    if not sources:
        return derived_keyring(development_secret) if development_secret else None
    source = sources[0]
    if source == "RAPPORT_AUDIT_KEY_FILE":
        path = Path(environ[source].strip())
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise KeyringError(f"cannot read the audit key file {path}: {error.strerror}") from None
    else:
        text = environ[source]
    return parse_keyring(text, current_id=current_id)
