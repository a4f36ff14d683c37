"""Personal access tokens: made on the account page (shown once) or by `rapport tokens create`,
stored only as a hash, expiring, revocable, and the only way in for a program."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.models import ApiToken
from rapport.accounts.queries import api_token_for
from rapport.accounts.services import api_token_create, api_token_revoke
from rapport.audit.models import AuditEvent
from tests.conftest import signed_in

TOKEN = re.compile(r"rapport_pat_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")
CLIENTS = "/api/v1/clients"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_a_token_is_stored_only_as_its_hash_and_finds_its_user(cast):
    made, token = api_token_create(
        actor=cast.clinician, user=cast.clinician, name="sync", scope="read"
    )

    assert TOKEN.fullmatch(token)
    stored = ApiToken.objects.get(pk=made.pk)
    assert token not in {stored.token_hash, stored.key_id, stored.name}
    assert api_token_for(token).user == cast.clinician
    assert api_token_for(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert AuditEvent.objects.filter(action="create", object_type="accounts.apitoken").exists()


def test_expired_revoked_and_deactivated_tokens_open_nothing(cast):
    web = signed_in(None)
    _, expired = api_token_create(actor=None, user=cast.clinician, name="a", scope="read", days=1)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked_row, revoked = api_token_create(actor=None, user=cast.clinician, name="b", scope="read")
    api_token_revoke(actor=cast.clinician, token=revoked_row)
    _, of_leaver = api_token_create(actor=None, user=cast.co_clinician, name="c", scope="read")
    cast.co_clinician.is_active = False
    cast.co_clinician.save()

    for token in (expired, revoked, of_leaver, "rapport_pat_nonsense"):
        reply = web.get(CLIENTS, **bearer(token))
        assert reply.status_code == 401, token
        assert reply.json()["detail"]
        assert reply["WWW-Authenticate"].startswith("Bearer")


def test_a_token_lives_the_default_days_and_never_longer_than_the_maximum(cast, settings):
    settings.RAPPORT_API_TOKEN_DAYS = 30
    settings.RAPPORT_API_TOKEN_MAX_DAYS = 60
    made, _ = api_token_create(actor=None, user=cast.clinician, name="x", scope="read")

    assert (made.expires_at - made.created_at).days == 30
    with pytest.raises(Exception, match="1 to 60 days"):
        api_token_create(actor=None, user=cast.clinician, name="x", scope="read", days=61)
    with pytest.raises(Exception, match="practice staff"):
        api_token_create(actor=None, user=cast.adult_client_user, name="x", scope="read")


def test_the_account_page_shows_a_new_token_once_and_a_double_submit_makes_no_second(cast):
    web = signed_in(cast.clinician)
    page = reverse("accounts:api_tokens")
    form = {"name": "Nightly sync", "scope": "write", "days": "30"}
    key = "6f1c1d8e-0000-4000-8000-000000000001"

    first = web.post(page, {**form, "submission_key": key})
    again = web.post(page, {**form, "submission_key": key})

    assert first.status_code == 200
    [shown] = TOKEN.findall(first.content.decode())
    assert api_token_for(shown).name == "Nightly sync"
    assert again.status_code == 302
    assert ApiToken.objects.filter(user=cast.clinician).count() == 1
    listing = web.get(page).content.decode()
    assert "Nightly sync" in listing and not TOKEN.search(listing)


def test_the_account_page_refuses_a_lifetime_beyond_the_maximum(cast, settings):
    settings.RAPPORT_API_TOKEN_MAX_DAYS = 60
    web = signed_in(cast.clinician)
    data = {
        "name": "n",
        "scope": "read",
        "days": "61",
        "submission_key": "6f1c1d8e-0000-4000-8000-000000000002",
    }

    reply = web.post(reverse("accounts:api_tokens"), data)

    assert reply.status_code == 200
    assert "Allowed: 1 to 60" in reply.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_works_for_ones_own_token_only_and_is_audited(cast):
    mine, token = api_token_create(actor=None, user=cast.clinician, name="mine", scope="read")
    theirs, _ = api_token_create(actor=None, user=cast.co_clinician, name="theirs", scope="read")
    web = signed_in(cast.clinician)

    assert web.post(reverse("accounts:api_token_revoke", args=[theirs.pk])).status_code == 404
    assert web.post(reverse("accounts:api_token_revoke", args=[mine.pk])).status_code == 302
    assert api_token_for(token) is None
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert AuditEvent.objects.filter(action="revoke", object_id=str(mine.pk)).exists()


def test_the_command_prints_the_token_once_for_an_admin_to_hand_over(cast):
    out, err = StringIO(), StringIO()

    call_command(
        "tokens",
        "create",
        "--user",
        cast.admin.email,
        "--scope",
        "fhir",
        "--days",
        "7",
        stdout=out,
        stderr=err,
    )

    token = out.getvalue().strip()
    found = api_token_for(token)
    assert found.user == cast.admin and found.scope == "fhir"
    assert (found.expires_at - found.created_at) == timedelta(days=7)
    assert token not in err.getvalue()
    with pytest.raises(CommandError, match="no account"):
        call_command("tokens", "create", "--user", "nobody@example.org", "--scope", "read")
