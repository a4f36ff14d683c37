from django.urls import path

from rapport.care import views

app_name = "care"

urlpatterns = [
    path("sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("episodes/<int:episode_id>/sessions/new/", views.session_new, name="session_new"),
    path("episodes/<int:episode_id>/close/", views.episode_close_view, name="episode_close"),
    path(
        "episodes/<int:episode_id>/transfer/", views.episode_transfer_view, name="episode_transfer"
    ),
    path("episodes/<int:episode_id>/team/", views.episode_team_view, name="episode_team"),
    path("episodes/<int:episode_id>/status/", views.episode_status_view, name="episode_status"),
]
