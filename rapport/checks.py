"""Deployment checks shown by `rapport check --deploy`: settings that look forgotten."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def proxy_declared(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Behind a reverse proxy every request seems to come from the proxy's address unless
    RAPPORT_PROXY_COUNT says how many proxies to look past; address limits would then treat
    all users as one. Rapport does not terminate TLS itself, so an https base URL or a trusted
    proxy header means a proxy is in front."""
    proxied = settings.RAPPORT_BEHIND_PROXY or settings.RAPPORT_BASE_URL.startswith("https://")
    if proxied and not settings.RAPPORT_PROXY_COUNT:
        return [
            Warning(
                "Rapport seems to run behind a reverse proxy, but RAPPORT_PROXY_COUNT is not set.",
                hint=(
                    "Set RAPPORT_PROXY_COUNT to the number of proxies in front (usually 1); "
                    "otherwise every sign-in seems to come from the proxy's address."
                ),
                id="rapport.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def base_url_set(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Emailed links (measure links, reminders, password resets, urgent alerts) are built
    from RAPPORT_BASE_URL only, never from a request's Host header."""
    base = settings.RAPPORT_BASE_URL
    if not base.startswith(("https://", "http://")):
        return [
            Warning(
                "RAPPORT_BASE_URL is not set: emailed links cannot be built.",
                hint="Set RAPPORT_BASE_URL to where people reach Rapport, e.g. "
                "https://rapport.example.org.",
                id="rapport.W002",
            )
        ]
    if not settings.DEBUG and base.startswith("http://"):
        return [
            Warning(
                "RAPPORT_BASE_URL is not https: emailed links would travel unencrypted.",
                hint="Use the https address your reverse proxy serves.",
                id="rapport.W003",
            )
        ]
    return []
