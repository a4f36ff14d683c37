from django.urls import path

from rapport.interop import views

app_name = "interop"

urlpatterns = [
    path("interop/clients/<int:client_id>/fhir.json", views.client_fhir, name="client_fhir"),
    path("interop/practice/fhir.json", views.practice_fhir, name="practice_fhir"),
    path("interop/practice/import/", views.fhir_import, name="fhir_import"),
    path("interop/practice/research/", views.research_export, name="research_export"),
]
