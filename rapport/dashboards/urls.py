from __future__ import annotations

from django.urls import path

from rapport.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("dashboard/", views.therapist_dashboard, name="therapist"),
    path("dashboard/practice/", views.practice_dashboard, name="practice"),
    path("dashboard/completion/", views.completion, name="completion"),
    path("dashboard/practice/refresh/", views.practice_refresh, name="refresh"),
]
