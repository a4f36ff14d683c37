from django.urls import path

from rapport.exposure import views

app_name = "exposure"

urlpatterns = [
    path("episodes/<int:episode_id>/ladders/", views.episode_ladders, name="episode_ladders"),
    path("episodes/<int:episode_id>/ladders/new/", views.ladder_new, name="ladder_new"),
    path("ladders/<int:ladder_id>/", views.ladder_detail, name="ladder_detail"),
    path("ladders/<int:ladder_id>/edit/", views.ladder_edit, name="ladder_edit"),
    path("ladders/<int:ladder_id>/chart.svg", views.chart, name="chart"),
    path("ladders/<int:ladder_id>/steps/", views.step_new, name="step_new"),
    path("ladders/<int:ladder_id>/practice/", views.attempt_new, name="attempt_new"),
    path("ladder-steps/<int:step_id>/", views.step_edit, name="step_edit"),
    path("ladder-steps/<int:step_id>/move/", views.step_move_view, name="step_move"),
    path("portal/ladders/<int:ladder_id>/", views.portal_ladder, name="portal"),
    path("portal/ladders/<int:ladder_id>/chart.svg", views.portal_chart, name="portal_chart"),
]
