import pytest
from django.urls import reverse

@pytest.mark.parametrize("i", range(200))
def test_probe(cast, web_as, i):
    web = web_as(cast.clinician)
    r = web.get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert r.status_code == 200
