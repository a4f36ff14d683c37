"""Request ids come only from the trusted proxy; powerful browser features are switched off."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_a_request_id_sent_by_a_client_is_ignored_when_not_behind_a_proxy(client, settings):
    settings.RAPPORT_BEHIND_PROXY = False
    response = client.get(reverse("accounts:login"), HTTP_X_REQUEST_ID="forged-id-12345")
    assert response["X-Request-ID"] != "forged-id-12345"
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_the_trusted_proxys_request_id_is_kept_and_recorded(cast, web_as, settings):
    from rapport.audit.models import AuditEvent

    settings.RAPPORT_BEHIND_PROXY = True
    response = web_as(cast.clinician).get(
        reverse("people:client_detail", args=[cast.adult_client.pk]),
        HTTP_X_REQUEST_ID="proxy-req-0001",
    )
    assert response["X-Request-ID"] == "proxy-req-0001"
    assert AuditEvent.objects.latest("id").request_id == "proxy-req-0001"


@pytest.mark.parametrize(
    "incoming",
    ["short", "x" * 65, "has space 12345", "new\nline-123456", "semi;colon-1234", "ünïcode-12345"],
)
def test_a_malformed_request_id_from_the_proxy_is_replaced(client, settings, incoming):
    settings.RAPPORT_BEHIND_PROXY = True
    response = client.get(reverse("accounts:login"), HTTP_X_REQUEST_ID=incoming)
    assert GENERATED.fullmatch(response["X-Request-ID"])


def test_every_response_switches_off_camera_microphone_and_location(client, cast, web_as):
    responses = [
        client.get(reverse("accounts:login")),
        client.get("/no-such-page/"),
        web_as(cast.clinician).get(reverse("people:client_detail", args=[cast.adult_client.pk])),
    ]
    for response in responses:
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy
