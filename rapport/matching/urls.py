from django.urls import path

from rapport.matching import views

app_name = "matching"

urlpatterns = [
    path("episodes/<int:episode_id>/reviews/new/", views.review_new, name="review_new"),
    path("reviews/<int:review_id>/", views.review_detail, name="review"),
    path("profile/therapist/", views.profile_own, name="profile_own"),
    path("clients/<int:client_id>/preferences/", views.preferences, name="preferences"),
    path("manage/users/<int:user_id>/profile/", views.profile_edit, name="profile_edit"),
]
