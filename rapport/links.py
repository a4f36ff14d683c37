"""Absolute links for emails, always from RAPPORT_BASE_URL, and the FHIR base.

Never from the request: a Host header is chosen by whoever sends the request, and the worker
has no request at all. `rapport check --deploy` warns when RAPPORT_BASE_URL is unset.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def base_url() -> str:
    base = str(settings.RAPPORT_BASE_URL).strip().rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            "RAPPORT_BASE_URL is not set (e.g. https://rapport.example.org): emailed links "
            "cannot be built."
        )
    return base


def absolute_url(path: str, base: str | None = None) -> str:
    """`path` (from reverse()) under RAPPORT_BASE_URL; `base` overrides it (the worker's
    callers and tests name it explicitly)."""
    root = base.strip().rstrip("/") if base else base_url()
    return f"{root}/{path.lstrip('/')}"


def fhir_base() -> str:
    """The canonical base of everything Rapport sends as FHIR (RAPPORT_FHIR_BASE): never
    invented, so that a receiver can tell one practice's resources from another's."""
    base = str(settings.RAPPORT_FHIR_BASE)
    if not base:
        raise ImproperlyConfigured(
            "RAPPORT_FHIR_BASE (or RAPPORT_BASE_URL) is not set: exported resources need the "
            "address they are known by."
        )
    return base
