from django.urls import path

from rapport.alliance import views

app_name = "alliance"

urlpatterns = [
    path("episodes/<int:episode_id>/alliance/", views.episode_alliance, name="episode"),
    path("episodes/<int:episode_id>/alliance/chart.svg", views.episode_chart, name="chart"),
    path("episodes/<int:episode_id>/ruptures/new/", views.rupture_new, name="rupture_new"),
    path("ruptures/<int:rupture_id>/", views.rupture_detail, name="rupture_detail"),
    path("ruptures/<int:rupture_id>/repairs/", views.repair_new, name="repair_new"),
    path("feedback/", views.feedback_inbox, name="inbox"),
    path("alliance/", views.overview, name="overview"),
    path("manage/alliance/", views.settings_edit, name="settings"),
]
