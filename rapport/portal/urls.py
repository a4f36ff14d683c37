from django.urls import path

from rapport.portal import views

app_name = "portal"

urlpatterns = [
    path("portal/", views.home, name="home"),
]
