from django.urls import path

from rapport.progress import views

app_name = "progress"

urlpatterns = [
    path("episodes/<int:episode_id>/progress/", views.episode_progress_page, name="episode"),
    path("episodes/<int:episode_id>/progress/chart.svg", views.episode_chart, name="chart"),
    path("portal/progress/<int:client_id>/", views.portal_page, name="portal"),
    path("portal/progress/<int:client_id>/chart.svg", views.portal_chart_svg, name="portal_chart"),
]
