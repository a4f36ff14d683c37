from django.urls import reverse


def test_every_role_reaches_its_home_page(cast, web_as):
    for user, expected in [
        (cast.clinician, "/caseload/"),
        (cast.supervisor, "/team/"),
        (cast.admin, "/manage/"),
        (cast.adult_client_user, "/portal/"),
        (cast.guardian, "/portal/"),
    ]:
        web = web_as(user)
        response = web.get("/", follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == expected


def test_clinician_sees_client_page_and_records_a_session(cast, web_as):
    web = web_as(cast.clinician)
    page = web.get(reverse("people:client_detail", args=[cast.adult_client.pk]))
    assert page.status_code == 200
    assert "Alex Adult" in page.text
    response = web.post(
        reverse("care:session_detail", args=[cast.adult_session.pk]),
        {
            "attendance": "attended",
            "modality": "phone",
            "duration_minutes": 45,
            "private_notes": "ok",
        },
    )
    assert response.status_code == 302
    cast.adult_session.refresh_from_db()
    assert cast.adult_session.attendance == "attended"
