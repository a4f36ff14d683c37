from django.urls import path

from rapport.practices import views

app_name = "practices"

urlpatterns = [
    path("team/", views.team, name="team"),
    path("manage/", views.manage, name="manage"),
    path("manage/users/", views.user_list, name="user_list"),
    path("manage/users/new/", views.user_new, name="user_new"),
    path("manage/users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("manage/teams/", views.team_list, name="team_list"),
    path("manage/teams/new/", views.team_edit, name="team_new"),
    path("manage/teams/<int:team_id>/", views.team_edit, name="team_edit"),
    path("manage/practice/", views.practice_settings, name="settings"),
]
