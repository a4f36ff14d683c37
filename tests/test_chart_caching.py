"""Charts are drawn once per version of the data they show: the version is the ETag, a browser
that has it gets 304 without a drawing, the drawing is kept compressed and sent compressed, and
no audience is ever served another's drawing. Access is checked (and audited) before any 304."""

from __future__ import annotations

import gzip
import html
import re

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from django.urls import reverse

from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open
from rapport.audit.models import AuditEvent
from rapport.progress import views as progress_views
from rapport.web import CHART_CACHE, chart_response
from tests.test_progress import svg_texts
from tests.test_progress_data import adult_history


@pytest.fixture(autouse=True)
def empty_chart_cache():
    caches[CHART_CACHE].clear()
    yield
    caches[CHART_CACHE].clear()


@pytest.fixture
def history(cast):
    return adult_history(cast.adult_episode)


@pytest.fixture
def draws(monkeypatch):
    """The progress chart's drawings made, counted."""
    made: list[object] = []
    draw = progress_views.render_progress_svg

    def counted(chart, **options):  # type: ignore[no-untyped-def]
        made.append(chart)
        return draw(chart, **options)

    monkeypatch.setattr(progress_views, "render_progress_svg", counted)
    return made


def chart_url(cast) -> str:  # type: ignore[no-untyped-def]
    return reverse("progress:chart", args=[cast.adult_episode.pk])


def test_a_chart_is_drawn_once_and_then_served_from_the_cache(cast, history, web_as, draws):
    web = web_as(cast.clinician)

    first, second = web.get(chart_url(cast)), web.get(chart_url(cast))

    assert first.status_code == second.status_code == 200
    assert len(draws) == 1
    assert first.content == second.content
    assert first["ETag"] == second["ETag"] and first["ETag"].startswith('W/"')
    assert first["Cache-Control"] == "private, no-cache"


def test_a_browser_holding_the_current_version_gets_304_without_a_drawing(
    cast, history, web_as, draws
):
    web = web_as(cast.clinician)
    etag = web.get(chart_url(cast))["ETag"]
    caches[CHART_CACHE].clear()  # a 304 needs neither the drawing nor the cache

    again = web.get(chart_url(cast), HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == "private, no-cache"
    assert len(draws) == 1


def test_a_304_is_an_audited_read_of_the_record(cast, history, web_as):
    web = web_as(cast.clinician)
    etag = web.get(chart_url(cast))["ETag"]

    assert web.get(chart_url(cast), HTTP_IF_NONE_MATCH=etag).status_code == 304

    reads = AuditEvent.objects.filter(
        actor_id=cast.clinician.pk, object_type="care.episode", action="read", outcome="ok"
    )
    assert reads.count() == 2


def test_a_change_to_the_data_gives_a_new_version_and_a_new_drawing(cast, history, web_as, draws):
    web = web_as(cast.clinician)
    before = web.get(chart_url(cast))

    alert_open(
        episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="x", session=history[2]
    )
    after = web.get(chart_url(cast), HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert len(draws) == 2
    assert after.content != before.content


def test_each_layout_is_its_own_version(cast, history, web_as, draws):
    web = web_as(cast.clinician)

    wide = web.get(chart_url(cast))
    narrow = web.get(chart_url(cast) + "?layout=narrow", HTTP_IF_NONE_MATCH=wide["ETag"])

    assert narrow.status_code == 200 and narrow["ETag"] != wide["ETag"]
    assert len(draws) == 2


def test_the_drawing_is_sent_compressed_to_a_browser_that_accepts_gzip(cast, history, web_as):
    web = web_as(cast.clinician)
    plain = web.get(chart_url(cast))

    packed = web.get(chart_url(cast), HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) * 4 < len(plain.content)
    assert "Accept-Encoding" in packed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert packed["ETag"] == plain["ETag"]  # weak: the same chart, however it is encoded


def test_a_clinician_outside_the_care_gets_not_found_even_with_the_current_etag(
    cast, history, web_as
):
    etag = web_as(cast.clinician).get(chart_url(cast))["ETag"]

    refused = web_as(cast.outsider_clinician).get(chart_url(cast), HTTP_IF_NONE_MATCH=etag)

    assert refused.status_code == 404
    denied = AuditEvent.objects.filter(
        actor_id=cast.outsider_clinician.pk, outcome=AuditEvent.Outcome.DENIED
    )
    assert denied.exists()


def test_another_client_gets_not_found_even_with_the_current_etag(cast, history, web_as):
    url = reverse("progress:portal_chart", args=[cast.adult_client.pk])
    etag = web_as(cast.adult_client_user).get(url)["ETag"]

    refused = web_as(cast.adolescent_client_user).get(url, HTTP_IF_NONE_MATCH=etag)

    assert refused.status_code == 404


def test_the_clinician_and_the_client_never_share_a_version_or_a_drawing(cast, history, web_as):
    clinician = web_as(cast.clinician).get(chart_url(cast))
    client = web_as(cast.adult_client_user).get(
        reverse("progress:portal_chart", args=[cast.adult_client.pk]),
        HTTP_IF_NONE_MATCH=clinician["ETag"],
    )

    assert client.status_code == 200
    assert client["ETag"] != clinician["ETag"]
    assert "Session feedback (alliance) · higher is better" in svg_texts(clinician.content)
    assert "Session feedback (alliance) · higher is better" not in svg_texts(client.content)


def test_the_same_data_for_another_audience_or_role_is_drawn_for_it_alone(cast):
    drawn: list[str] = []

    def respond(user, audience: str):  # type: ignore[no-untyped-def]
        request = RequestFactory().get("/chart.svg")
        request.user = user
        return chart_response(
            request,
            audience=audience,
            data=("the same chart",),
            draw=lambda: drawn.append(audience) or b"<svg/>",
        )

    tags = {
        respond(cast.clinician, "clinician")["ETag"],
        respond(cast.adult_client_user, "portal")["ETag"],
        respond(cast.clinician, "portal")["ETag"],
        respond(cast.supervisor, "clinician")["ETag"],
    }

    assert len(tags) == 4
    assert len(drawn) == 4
    assert respond(cast.clinician, "clinician")["ETag"] in tags and len(drawn) == 4


# --- The page's own chart address: the version the page read, remembered for its viewer ----------


@pytest.fixture
def progress_reads(monkeypatch):
    """The progress chart's data read by the chart's request, counted."""
    made: list[object] = []
    read = progress_views.episode_progress

    def counted(episode):  # type: ignore[no-untyped-def]
        made.append(episode)
        return read(episode)

    monkeypatch.setattr(progress_views, "episode_progress", counted)
    return made


def shown_chart(web, cast, *, layout: str = "wide") -> str:  # type: ignore[no-untyped-def]
    """The chart address the clinician's progress page gives, as a browser reads it."""
    page = web.get(reverse("progress:episode", args=[cast.adult_episode.pk]))
    picture = page.content.decode()
    found = re.search(r'<img src="([^"]+)"' if layout == "wide" else r'srcset="([^"]+)"', picture)
    assert found is not None
    return html.unescape(found.group(1))


def test_the_page_names_the_version_it_read_and_its_chart_is_served_without_reading_it_again(
    cast, history, web_as, progress_reads, draws
):
    web = web_as(cast.clinician)
    url = shown_chart(web, cast)
    assert len(progress_reads) == 1  # the page's own reading

    shown = web.get(url)
    again = web.get(url, HTTP_IF_NONE_MATCH=shown["ETag"])

    assert shown.status_code == 200 and again.status_code == 304
    assert len(progress_reads) == 1
    assert len(draws) == 1
    plain = web.get(chart_url(cast))
    assert plain["ETag"] == shown["ETag"] and plain.content == shown.content
    assert shown["Cache-Control"] == "private, no-cache"


def test_the_page_names_the_phone_drawing_of_the_same_version(cast, history, web_as, draws):
    web = web_as(cast.clinician)

    narrow = web.get(shown_chart(web, cast, layout="narrow"))

    assert narrow.status_code == 200
    assert narrow["ETag"] == web.get(chart_url(cast) + "?layout=narrow")["ETag"]
    assert narrow["ETag"] != web.get(chart_url(cast))["ETag"]


def test_a_data_change_gives_the_next_page_view_a_new_chart_address_and_version(
    cast, history, web_as, draws
):
    web = web_as(cast.clinician)
    before_url = shown_chart(web, cast)
    before = web.get(before_url)

    alert_open(
        episode=cast.adult_episode, kind=Alert.Kind.OFF_TRACK, reason="x", session=history[2]
    )
    after_url = shown_chart(web, cast)
    after = web.get(after_url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after_url != before_url
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after.content != before.content
    assert after["ETag"] == web.get(chart_url(cast))["ETag"]


def test_the_remembered_chart_is_still_an_audited_read_of_the_record(cast, history, web_as):
    web = web_as(cast.clinician)
    url = shown_chart(web, cast)
    reads = AuditEvent.objects.filter(
        actor_id=cast.clinician.pk, object_type="care.episode", action="read", outcome="ok"
    )
    before = reads.count()

    etag = web.get(url)["ETag"]
    assert web.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    assert reads.count() == before + 2


def test_a_version_seen_by_one_person_opens_nothing_for_another(
    cast, history, web_as, progress_reads
):
    url = shown_chart(web_as(cast.clinician), cast)
    reads = len(progress_reads)

    # The co-clinician may read the record: they get it read for them, not the remembered one.
    other = web_as(cast.co_clinician).get(url)
    refused = web_as(cast.outsider_clinician).get(url)

    assert other.status_code == 200 and len(progress_reads) == reads + 1
    assert refused.status_code == 404


def test_a_version_seen_on_one_record_opens_nothing_on_another(
    cast, history, web_as, progress_reads
):
    web = web_as(cast.clinician)
    version = shown_chart(web, cast).split("v=")[1]
    reads = len(progress_reads)
    teen = reverse("progress:chart", args=[cast.adolescent_episode.pk])

    response = web.get(f"{teen}?v={version}")

    assert response.status_code == 200 and len(progress_reads) == reads + 1
    assert response["ETag"] != f'W/"{version}"'


def test_a_forged_version_is_answered_with_the_current_chart(cast, history, web_as):
    web = web_as(cast.clinician)
    current = web.get(chart_url(cast))

    forged = web.get(chart_url(cast) + "?v=0123", HTTP_IF_NONE_MATCH='W/"0123"')

    assert forged.status_code == 200 and forged["ETag"] == current["ETag"]


def test_the_client_portal_names_its_own_version_never_the_clinicians(cast, history, web_as):
    clinician_url = shown_chart(web_as(cast.clinician), cast)
    client = web_as(cast.adult_client_user)
    portal = reverse("progress:portal", args=[cast.adult_client.pk])
    found = re.search(r'<img src="([^"]+)"', client.get(portal).content.decode())
    assert found is not None
    client_url = html.unescape(found.group(1))

    mine = client.get(client_url)
    borrowed = client.get(
        reverse("progress:portal_chart", args=[cast.adult_client.pk])
        + "?v="
        + clinician_url.split("v=")[1]
    )

    assert mine.status_code == borrowed.status_code == 200
    assert mine["ETag"] == borrowed["ETag"]  # the client's own chart, read for the client
    assert f'W/"{clinician_url.split("v=")[1]}"' != mine["ETag"]
    assert "Session feedback (alliance) · higher is better" not in svg_texts(mine.content)
