"""The matrix, plans: problem lists, plan versions and goals, reviews, and the portal's plan.

Staff pages follow the care of their episode, like the alliance pages: "own" is on the adult's
episode, "other" on outsider_clinician's, "foreign" in another practice (cast_plans.py). The
portal pages are the client's own plan (adult_client), and the adolescent's, which their
guardian may read and answer too; nobody else's.
"""

from __future__ import annotations

from tests.authorization.cases import (
    CLINICAL_404,
    CLINICAL_405,
    LOGIN,
    OTHER_200,
    OTHER_302,
    OWN_200,
    OWN_302,
    PORTAL_NOBODY_404,
    READ_FOREIGN_404,
    READ_OTHER_200,
    READ_OTHER_302,
    READ_OWN_200,
    READ_OWN_302,
    Case,
    extra,
    get,
    post,
    row,
)
from tests.authorization.payloads_plans import (
    ACCEPT,
    ANSWER,
    DRAFT,
    GOAL,
    MOVE_DOWN,
    PLAN_CONTENT,
    PROBLEM,
    REPLY,
    REVIEW,
    count,
    rating,
    reorder,
)

# Columns:              adm  sup  osup cli  co   out  adult teen grd  anon
PORTAL_ADULT_200 = row(403, 403, 403, 403, 403, 403, 200, 404, 404, LOGIN)
PORTAL_TEEN_200 = row(403, 403, 403, 403, 403, 403, 404, 200, 200, LOGIN)
PORTAL_ADULT_302 = row(403, 403, 403, 403, 403, 403, 302, 404, 404, LOGIN)
PORTAL_TEEN_302 = row(403, 403, 403, 403, 403, 403, 404, 302, 302, LOGIN)
# Only the client rates their own goals; a guardian is refused by role.
RATE_ADULT_302 = row(403, 403, 403, 403, 403, 403, 302, 404, 403, LOGIN)
RATE_TEEN_302 = row(403, 403, 403, 403, 403, 403, 404, 302, 403, LOGIN)
RATE_NOBODY_404 = row(403, 403, 403, 403, 403, 403, 404, 404, 403, LOGIN)

EPISODES = {"own": "adult_episode", "other": "other_episode", "foreign": "foreign_episode"}
STATUS_200 = {"own": OWN_200, "other": OTHER_200, "foreign": CLINICAL_404}
STATUS_302 = {"own": OWN_302, "other": OTHER_302, "foreign": CLINICAL_404}
# Pages of the record an admin may read under break-glass: without a grant, 404.
READ_200 = {"own": READ_OWN_200, "other": READ_OTHER_200, "foreign": READ_FOREIGN_404}
READ_302 = {"own": READ_OWN_302, "other": READ_OTHER_302, "foreign": READ_FOREIGN_404}


def on_episode(*, gets: bool, data: object = None, readable: bool = False) -> list[Case]:
    ok = READ_200 if readable else STATUS_200
    cases = [get(t, ok[t], episode_id=e) for t, e in EPISODES.items()] if gets else []
    if data is not None:
        cases += [
            post(t, STATUS_302[t], data(t) if callable(data) else data, episode_id=e)  # type: ignore[arg-type]
            for t, e in EPISODES.items()
        ]
    return cases


def on_object(
    kwarg: str, thing: str, *, gets: bool, data: object = None, readable: bool = False
) -> list[Case]:
    targets = ("own", "other", "foreign")
    ok, saved = (READ_200, READ_302) if readable else (STATUS_200, STATUS_302)
    cases = (
        [get(t, ok[t], **{kwarg: extra(f"plans_{t}_{thing}")}) for t in targets]
        if gets
        else [get("own", CLINICAL_405, **{kwarg: extra(f"plans_own_{thing}")})]
    )
    if data is not None:
        cases += [post(t, saved[t], data, **{kwarg: extra(f"plans_{t}_{thing}")}) for t in targets]
    return cases


CLIENTS = {"own": "adult_client", "teen": "adolescent_client", "foreign": "foreign_client"}


def portal_get(kwarg: str, ref: object) -> list[Case]:
    return [
        get("own", PORTAL_ADULT_200, **{kwarg: ref("own")}),  # type: ignore[operator]
        get("teen", PORTAL_TEEN_200, **{kwarg: ref("teen")}),  # type: ignore[operator]
        get("foreign", PORTAL_NOBODY_404, **{kwarg: ref("foreign")}),  # type: ignore[operator]
    ]


def client_ref(target: str) -> str:
    return CLIENTS[target]


def version_ref(target: str):  # type: ignore[no-untyped-def]
    return extra(f"plans_{target}_version")


PLANS_ROUTES: dict[str, list[Case]] = {
    "plans:episode": on_episode(gets=True, readable=True),
    "plans:problem_new": on_episode(gets=True, data=PROBLEM),
    "plans:reorder": [
        get("own", CLINICAL_405, episode_id="adult_episode"),
        *on_episode(gets=False, data=reorder),
    ],
    "plans:problem_edit": on_object("problem_id", "problem", gets=True, data=PROBLEM),
    "plans:problem_move": on_object("problem_id", "problem", gets=False, data=MOVE_DOWN),
    # Each cast episode has a draft already: both methods lead to it.
    "plans:draft_new": [
        *[get(t, STATUS_302[t], episode_id=e) for t, e in EPISODES.items()],
        *on_episode(gets=False, data=DRAFT),
    ],
    "plans:version": on_object("version_id", "draft", gets=True, data=PLAN_CONTENT, readable=True),
    "plans:goal_new": on_object("version_id", "draft", gets=True, data=GOAL),
    "plans:propose": on_object("version_id", "draft", gets=False, data={}),
    "plans:answer": on_object("version_id", "version", gets=False, data=ANSWER),
    "plans:reply": on_object("version_id", "version", gets=False, data=REPLY),
    "plans:compare": on_object("version_id", "draft", gets=True, readable=True),
    "plans:print": on_object("version_id", "version", gets=True, readable=True),
    "plans:goal_edit": on_object("goal_id", "goal", gets=True, data=GOAL),
    "plans:goal_remove": on_object("goal_id", "goal", gets=False, data={}),
    "plans:rating_new": [
        get("own", CLINICAL_405, episode_id="adult_episode"),
        *on_episode(gets=False, data=rating),
    ],
    "plans:count_new": [
        get("own", CLINICAL_405, episode_id="adult_episode"),
        *on_episode(gets=False, data=count),
    ],
    "plans:review_new": on_episode(gets=True, data=REVIEW),
    "plans:portal_plan": portal_get("client_id", client_ref),
    "plans:portal_print": portal_get("version_id", version_ref),
    "plans:portal_decide": [
        get(
            "own",
            row(403, 403, 403, 403, 403, 403, 405, 405, 405, LOGIN),
            version_id=version_ref("own"),
        ),
        post("own", PORTAL_ADULT_302, ACCEPT, version_id=version_ref("own")),
        post("teen", PORTAL_TEEN_302, ACCEPT, version_id=version_ref("teen")),
        post("foreign", PORTAL_NOBODY_404, ACCEPT, version_id=version_ref("foreign")),
    ],
    "plans:portal_rating": [
        post("own", RATE_ADULT_302, rating("own"), client_id="adult_client"),
        post("teen", RATE_TEEN_302, rating("teen"), client_id="adolescent_client"),
        post("foreign", RATE_NOBODY_404, rating("foreign"), client_id="foreign_client"),
    ],
}
