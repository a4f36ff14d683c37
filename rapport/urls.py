from django.urls import include, path

from rapport.api.site import api
from rapport.practices import views as practice_views

urlpatterns = [
    path("", practice_views.home, name="home"),
    path("healthz", practice_views.healthz, name="healthz"),
    path("accounts/", include("rapport.accounts.urls")),
    path("api/v1/", api.urls),
    path("", include("rapport.people.urls")),
    path("", include("rapport.care.urls")),
    path("", include("rapport.practices.urls")),
    path("", include("rapport.audit.urls")),
    path("", include("rapport.portal.urls")),
    path("", include("rapport.measures.urls")),
    path("", include("rapport.alerts.urls")),
    path("", include("rapport.alliance.urls")),
    path("", include("rapport.plans.urls")),
    path("", include("rapport.exposure.urls")),
    path("", include("rapport.trajectories.urls")),
    path("", include("rapport.progress.urls")),
    path("", include("rapport.dashboards.urls")),
    path("", include("rapport.reports.urls")),
    path("", include("rapport.interop.urls")),
    path("", include("rapport.matching.urls")),
]
