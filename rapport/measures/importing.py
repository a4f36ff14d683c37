"""Importing a practice's own instrument definition (for example one it holds a licence for)."""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError, transaction

from rapport.accounts.models import User
from rapport.audit.services import audit_record
from rapport.core.instruments import InstrumentError, parse_instrument
from rapport.measures.models import InstrumentDefinition
from rapport.measures.registry import is_builtin
from rapport.practices.models import Practice

_VERSION_MAX = InstrumentDefinition._meta.get_field("version").max_length or 32
_TITLE_MAX = InstrumentDefinition._meta.get_field("title").max_length or 200


def instrument_import(
    *, practice: Practice, document: dict[str, Any], imported_by: User | None = None
) -> InstrumentDefinition:
    """Check a definition file and store it for one practice; all or nothing.

    Raises InstrumentError (listing every problem) for a malformed file, an id that would shadow
    a built-in instrument, or a version already imported with different content. Importing the
    very same file again returns the stored definition and stores nothing new.
    """
    instrument = parse_instrument(document)
    problems: list[str] = []
    if is_builtin(instrument.id):
        problems.append(
            f"questionnaire: id '{instrument.id}' is a built-in Rapport instrument; "
            "choose another id"
        )
    if len(instrument.version) > _VERSION_MAX:
        problems.append(f"questionnaire: version is longer than {_VERSION_MAX} characters")
    if len(instrument.title) > _TITLE_MAX:
        problems.append(f"questionnaire: title is longer than {_TITLE_MAX} characters")
    if problems:
        raise InstrumentError(problems)
    stored = json.loads(json.dumps(document))  # exactly what a JSONField will give back

    def existing() -> InstrumentDefinition | None:
        return InstrumentDefinition.objects.filter(
            practice=practice, instrument_id=instrument.id, version=instrument.version
        ).first()

    def same_or_refuse(found: InstrumentDefinition) -> InstrumentDefinition:
        if found.document == stored:
            return found
        raise InstrumentError(
            [
                f"questionnaire: version {instrument.version} of '{instrument.id}' was already "
                "imported with different content; give the changed file a new version"
            ]
        )

    with transaction.atomic():
        found = existing()
        if found is not None:
            return same_or_refuse(found)
        try:
            with transaction.atomic():
                definition = InstrumentDefinition.objects.create(
                    practice=practice,
                    instrument_id=instrument.id,
                    version=instrument.version,
                    title=instrument.title,
                    document=stored,
                    imported_by=imported_by,
                )
        except IntegrityError:
            # Someone imported the same id and version at the same moment.
            found = existing()
            if found is None:
                raise
            return same_or_refuse(found)
        audit_record(actor=imported_by, action="instrument_import", obj=definition)
    return definition
