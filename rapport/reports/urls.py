from django.urls import path, re_path

from rapport.reports import views

app_name = "reports"

# Each report is a page and, at the same address with ".pdf", the same page printed.
urlpatterns = [
    path("reports/episode/<int:episode_id>/progress/", views.progress_page, name="progress"),
    path("reports/episode/<int:episode_id>/progress.pdf", views.progress_pdf, name="progress_pdf"),
    path("reports/episode/<int:episode_id>/plan/", views.plan_page, name="plan"),
    path("reports/episode/<int:episode_id>/plan.pdf", views.plan_pdf, name="plan_pdf"),
    path("reports/episode/<int:episode_id>/discharge/", views.discharge_page, name="discharge"),
    path(
        "reports/episode/<int:episode_id>/discharge.pdf", views.discharge_pdf, name="discharge_pdf"
    ),
    path(
        "reports/episode/<int:episode_id>/discharge/write/",
        views.discharge_write,
        name="discharge_write",
    ),
    path("reports/episode/<int:episode_id>/send/", views.report_send, name="send"),
    # A link emailed to a client or guardian: single use, no sign-in (the token is the key).
    path("r/<str:token>/", views.report_download, name="download"),
    # Any four digits and two: a month that does not exist is refused with its reason (400).
    re_path(r"^reports/practice/(?P<month>\d{4}-\d{2})/$", views.practice_page, name="practice"),
    re_path(
        r"^reports/practice/(?P<month>\d{4}-\d{2})\.pdf$", views.practice_pdf, name="practice_pdf"
    ),
]
