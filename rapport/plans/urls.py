from django.urls import path

from rapport.plans import portal_views, views

app_name = "plans"

urlpatterns = [
    path("episodes/<int:episode_id>/plan/", views.episode_plan, name="episode"),
    path("episodes/<int:episode_id>/problems/new/", views.problem_new, name="problem_new"),
    path("episodes/<int:episode_id>/problems/order/", views.problems_reorder, name="reorder"),
    path("problems/<int:problem_id>/", views.problem_edit, name="problem_edit"),
    path("problems/<int:problem_id>/move/", views.problem_move, name="problem_move"),
    path("episodes/<int:episode_id>/plan/new/", views.draft_new, name="draft_new"),
    path("plan-versions/<int:version_id>/", views.version_detail, name="version"),
    path("plan-versions/<int:version_id>/goals/new/", views.goal_new, name="goal_new"),
    path("plan-versions/<int:version_id>/propose/", views.version_propose, name="propose"),
    path("plan-versions/<int:version_id>/answer/", views.answer_record, name="answer"),
    path("plan-versions/<int:version_id>/reply/", views.changes_reply, name="reply"),
    path("plan-versions/<int:version_id>/compare/", views.version_compare, name="compare"),
    path("plan-versions/<int:version_id>/print/", views.version_print, name="print"),
    path("plan-goals/<int:goal_id>/", views.goal_edit, name="goal_edit"),
    path("plan-goals/<int:goal_id>/remove/", views.goal_remove, name="goal_remove"),
    path("episodes/<int:episode_id>/goal-ratings/", views.rating_new, name="rating_new"),
    path("episodes/<int:episode_id>/goal-counts/", views.count_new, name="count_new"),
    path("episodes/<int:episode_id>/plan/review/", views.review_new, name="review_new"),
    path("portal/clients/<int:client_id>/plan/", portal_views.portal_plan, name="portal_plan"),
    path(
        "portal/plan-versions/<int:version_id>/answer/",
        portal_views.portal_decide,
        name="portal_decide",
    ),
    path(
        "portal/clients/<int:client_id>/goal-ratings/",
        portal_views.portal_rating,
        name="portal_rating",
    ),
    path(
        "portal/plan-versions/<int:version_id>/print/",
        portal_views.portal_print,
        name="portal_print",
    ),
]
