from django.urls import path

from rapport.measures import views

app_name = "measures"

urlpatterns = [
    path("manage/default-measures/", views.default_measures, name="default_measures"),
    path("m/done/", views.link_done, name="link_done"),
    path("m/<str:token>/", views.link_form, name="link_form"),
    path("client-mode/", views.client_mode_form, name="client_mode_form"),
    path("client-mode/unlock/", views.client_mode_unlock, name="client_mode_unlock"),
    path(
        "assignments/<int:assignment_id>/client-mode/",
        views.client_mode_start,
        name="client_mode_start",
    ),
    path("assignments/<int:assignment_id>/link/", views.assignment_link, name="assignment_link"),
    path(
        "assignments/<int:assignment_id>/complete/",
        views.assignment_complete,
        name="assignment_complete",
    ),
    path("episodes/<int:episode_id>/measures/", views.episode_measures, name="episode_measures"),
    path("measure-plans/<int:plan_id>/stop/", views.plan_stop, name="plan_stop"),
    path("responses/<int:response_id>/", views.response_detail, name="response_detail"),
    path("responses/<int:response_id>/fhir/", views.response_fhir, name="response_fhir"),
]
