from django.urls import path

from rapport.portal import views

app_name = "portal"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/texts/", views.texts, name="texts"),
    path("portal/forms/<int:assignment_id>/", views.assignment, name="assignment"),
]
