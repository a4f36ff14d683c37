from django.urls import path

from rapport.matching import handoff_views, portal_views, views

app_name = "matching"

urlpatterns = [
    path("episodes/<int:episode_id>/reviews/new/", views.review_new, name="review_new"),
    path("reviews/<int:review_id>/", views.review_detail, name="review"),
    path("profile/therapist/", views.profile_own, name="profile_own"),
    path("clients/<int:client_id>/preferences/", views.preferences, name="preferences"),
    path("manage/users/<int:user_id>/profile/", views.profile_edit, name="profile_edit"),
    path("episodes/<int:episode_id>/fit-checks/new/", views.fit_check_new, name="fit_check_new"),
    path(
        "episodes/<int:episode_id>/fit-suggestion/dismiss/",
        views.fit_suggestion_dismiss,
        name="fit_suggestion_dismiss",
    ),
    path("fit-checks/", views.fit_checks, name="fit_checks"),
    path("fit-checks/<int:fit_check_id>/", views.fit_check_detail, name="fit_check"),
    path(
        "fit-checks/<int:fit_check_id>/offer/",
        views.fit_check_offer_view,
        name="fit_check_offer",
    ),
    path(
        "fit-checks/<int:fit_check_id>/choose/",
        views.fit_check_choose_view,
        name="fit_check_choose",
    ),
    path(
        "fit-checks/<int:fit_check_id>/consultation/",
        views.consultation_new,
        name="consultation_new",
    ),
    path("consultations/", views.consultations, name="consultations"),
    path(
        "consultations/<int:session_id>/",
        views.consultation_record_view,
        name="consultation_record",
    ),
    path("therapists/", views.directory, name="directory"),
    path("manage/fit-checks/", views.fit_settings, name="fit_settings"),
    path(
        "portal/clients/<int:client_id>/fit-check/",
        portal_views.portal_fit_check,
        name="portal_fit_check",
    ),
    # The warm handoff (issue 14, part 5).
    path("fit-checks/<int:fit_check_id>/handoff/", handoff_views.handoff_new, name="handoff_new"),
    path("handoffs/", handoff_views.handoffs, name="handoffs"),
    path("manage/handoffs/", handoff_views.handoff_settings, name="handoff_settings"),
    path("handoffs/<int:handoff_id>/", handoff_views.handoff_detail, name="handoff"),
    path("rematch-outcomes/", handoff_views.rematch_outcomes, name="rematch_outcomes"),
    path(
        "portal/clients/<int:client_id>/handoff/",
        handoff_views.portal_handoff,
        name="portal_handoff",
    ),
    path(
        "portal/clients/<int:client_id>/therapist-preferences/",
        portal_views.portal_preferences,
        name="portal_preferences",
    ),
    path(
        "portal/fit-checks/<int:fit_check_id>/choose/",
        portal_views.portal_choose,
        name="portal_choose",
    ),
]
