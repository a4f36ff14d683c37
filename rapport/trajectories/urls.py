from django.urls import path

from rapport.trajectories import views

app_name = "trajectories"

urlpatterns = [
    path("trajectories/", views.overview, name="overview"),
    path("trajectories/refresh/", views.refresh, name="refresh"),
    path("trajectories/<slug:family>/validation/", views.validation, name="validation"),
    path("episodes/<int:episode_id>/trajectory/", views.episode_trajectory, name="episode"),
    path("manage/trajectories/", views.settings_edit, name="settings"),
]
