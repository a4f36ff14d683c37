from django.urls import path

from rapport.people import views

app_name = "people"

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("clients/new/", views.client_new, name="client_new"),
    path("clients/<int:client_id>/", views.client_detail, name="client_detail"),
    path("clients/<int:client_id>/edit/", views.client_edit, name="client_edit"),
    path("clients/<int:client_id>/break-glass/", views.break_glass, name="break_glass"),
    path("clients/<int:client_id>/guardians/new/", views.guardian_new, name="guardian_new"),
    path("clients/<int:client_id>/portal-invite/", views.portal_invite, name="portal_invite"),
    path("guardians/<int:link_id>/", views.guardian_link_edit, name="guardian_link_edit"),
    path("manage/clients/", views.client_directory, name="client_directory"),
    path("sms/replies/", views.text_reply, name="text_reply"),
]
