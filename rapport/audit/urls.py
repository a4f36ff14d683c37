from django.urls import path

from rapport.audit import views

app_name = "audit"

urlpatterns = [
    path("manage/audit/", views.audit_trail, name="trail"),
]
