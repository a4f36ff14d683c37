"""axe-core finds no serious or critical WCAG 2.2 A/AA violation on any kind of page, for any
role, on a phone or a desktop, in the demo practice.

One browser; one context per role and viewport, signed in once, visiting all that role's page
kinds (the table PAGES). axe (tests/vendor/axe-core, never served by the app) is in each page
from its start (an init script); the contexts bypass the app's Content-Security-Policy so that
its script may run.
A failure lists every violation with its page, role, viewport, rule and the elements at fault.

On the way, what axe cannot see: the client, guardian, adolescent and child forms are answered
with the keyboard only (Tab, Space, arrows, Enter) to their thank-you page; each 0-10 scale names
its anchors on its end answers, in answer boxes of 44 px or more each way (phone or desktop); a
child's version has every answer box and button that large.
No page may scroll sideways (reflow, which axe does not measure).
Charts are not drawn (axe reads an image's text alternative); their colours are checked in
tests/test_chart_legibility.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.browser import (  # noqa: F401 (fixtures)
    DEMO_PASSWORD,
    PHONE,
    TIMEOUT_MS,
    browser_fixture,
    demo_fixture,
)

pytestmark = [pytest.mark.browser]
if os.environ.get("PYTEST_XDIST_WORKER"):
    # See tests/test_browser.py: only under xdist, where `--strict-markers` knows the mark.
    pytestmark.append(pytest.mark.xdist_group(__name__))

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
DESKTOP_TALL = {"width": 1280, "height": 900}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP_TALL}
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
RUN_AXE = """async (tags) => {
    const result = await axe.run(document, {
        runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
    });
    return result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => ({rule: v.id, targets: v.nodes.map((n) => n.target.join(" "))}));
}"""
DOMAIN = "demo.rapport.test"
# Who signs in for a role (None: nobody, the pages reached from a link in an email).
LOGINS = {
    "client": f"client@{DOMAIN}",
    "guardian": f"guardian@{DOMAIN}",
    "adolescent": None,
    "child": None,
    "clinician": f"clinician@{DOMAIN}",
    "supervisor": f"supervisor@{DOMAIN}",
    "admin": f"admin@{DOMAIN}",
}


@dataclass(frozen=True)
class Kind:
    name: str
    role: str
    path: str  # formatted with the ids of demo objects (see `_demo_ids`)
    # Then answered with the keyboard only; the thank-you page it leads to is checked too.
    by_keyboard: bool = False
    status: int = 200
    before_signing_in: bool = False
    # Posted first (with the page's CSRF token): what starts the page, as a button would.
    start: str = ""


# Every page kind, with the role that sees it (a staff page seen by several staff roles is
# visited by the one whose data makes it fullest). "Thank-you" is reached by sending a form.
PAGES = (
    Kind("sign-in", "client", "/accounts/login/", before_signing_in=True),
    Kind("password reset", "client", "/accounts/password-reset/", before_signing_in=True),
    Kind("password choice", "client", "{password_link}", before_signing_in=True),
    Kind("check-in form (link)", "client", "/m/{adult_checkin}/", by_keyboard=True),
    Kind("feedback form (link)", "client", "/m/{adult_feedback}/"),
    Kind("portal home", "client", "/portal/"),
    Kind("portal form", "client", "/portal/forms/{adult_feedback_id}/"),
    Kind("portal progress", "client", "/portal/progress/{adult_client}/"),
    Kind("portal plan", "client", "/portal/clients/{adult_client}/plan/"),
    Kind("portal ladder", "client", "/portal/ladders/{ladder}/"),
    Kind("link that no longer works", "client", "/m/not-a-link/", status=410),
    Kind("portal home", "guardian", "/portal/"),
    Kind("check-in form (link)", "guardian", "/m/{guardian_checkin}/", by_keyboard=True),
    Kind("portal form", "guardian", "/portal/forms/{guardian_feedback_id}/"),
    Kind("portal progress", "guardian", "/portal/progress/{child_client}/"),
    Kind("check-in form (link)", "adolescent", "/m/{adolescent_checkin}/"),
    Kind("feedback form (link)", "adolescent", "/m/{adolescent_feedback}/", by_keyboard=True),
    Kind("check-in form (link)", "child", "/m/{child_checkin}/", by_keyboard=True),
    Kind("feedback form (link)", "child", "/m/{child_feedback}/", by_keyboard=True),
    Kind("caseload", "clinician", "/caseload/"),
    # With the episode's status form (active / on hold), which has no page of its own.
    Kind("client page", "clinician", "/clients/{adult_client}/"),
    Kind("client form", "clinician", "/clients/{adult_client}/edit/"),
    Kind("client preferences", "clinician", "/clients/{adult_client}/preferences/"),
    Kind("session page", "clinician", "/sessions/{adult_session}/"),
    Kind("measures", "clinician", "/episodes/{adult_episode}/measures/"),
    Kind("response", "clinician", "/responses/{adult_response}/"),
    Kind("alerts", "clinician", "/alerts/"),
    Kind("alliance", "clinician", "/episodes/{adult_episode}/alliance/"),
    Kind("feedback inbox", "clinician", "/feedback/"),
    Kind("plan", "clinician", "/episodes/{adult_episode}/plan/"),
    Kind("plan version", "clinician", "/plan-versions/{adult_version}/"),
    Kind("plan comparison", "clinician", "/plan-versions/{adult_version}/compare/"),
    Kind("rupture", "clinician", "/ruptures/{rupture}/"),
    Kind("progress", "clinician", "/episodes/{adult_episode}/progress/"),
    Kind("trajectory", "clinician", "/episodes/{adult_episode}/trajectory/"),
    Kind("ladders", "clinician", "/episodes/{ladder_episode}/ladders/"),
    Kind("ladder", "clinician", "/ladders/{ladder}/"),
    Kind("dashboard", "clinician", "/dashboard/"),
    Kind("progress report", "clinician", "/reports/episode/{adult_episode}/progress/"),
    Kind("plan report", "clinician", "/reports/episode/{adult_episode}/plan/"),
    Kind("discharge report", "clinician", "/reports/episode/{closed_episode}/discharge/"),
    Kind("new client form", "clinician", "/clients/new/"),
    Kind("two-step sign-in", "clinician", "/accounts/two-factor/"),
    Kind("therapist profile", "clinician", "/profile/therapist/"),
    Kind("episode closing form", "clinician", "/episodes/{adult_episode}/close/"),
    Kind("episode transfer form", "clinician", "/episodes/{adult_episode}/transfer/"),
    Kind("episode team form", "clinician", "/episodes/{adult_episode}/team/"),
    Kind("problem form", "clinician", "/problems/{problem}/"),
    Kind("goal form", "clinician", "/plan-goals/{goal}/"),
    Kind("ladder form", "clinician", "/ladders/{ladder}/edit/"),
    Kind("case review", "clinician", "/reviews/{case_review}/"),
    # Last of the clinician's: the device stays in client mode, where nothing else opens.
    Kind(
        "client-mode form",
        "clinician",
        "/client-mode/",
        by_keyboard=True,
        start="/assignments/{adult_feedback_id}/client-mode/",
    ),
    Kind("team", "supervisor", "/team/"),
    Kind("practice dashboard", "supervisor", "/dashboard/practice/"),
    Kind("practice report", "supervisor", "/reports/practice/{last_month}/"),
    Kind("alliance overview", "supervisor", "/alliance/"),
    Kind("trajectories", "supervisor", "/trajectories/"),
    Kind("trajectory validation", "supervisor", "/trajectories/phq9/validation/"),
    Kind("manage", "admin", "/manage/"),
    Kind("users", "admin", "/manage/users/"),
    Kind("user form", "admin", "/manage/users/{clinician_user}/"),
    Kind("new user form", "admin", "/manage/users/new/"),
    Kind("break-glass form", "admin", "/clients/{adult_client}/break-glass/"),
    Kind("teams", "admin", "/manage/teams/"),
    Kind("practice settings", "admin", "/manage/practice/"),
    Kind("default measures", "admin", "/manage/default-measures/"),
    Kind("alliance settings", "admin", "/manage/alliance/"),
    Kind("trajectory settings", "admin", "/manage/trajectories/"),
    Kind("client directory", "admin", "/manage/clients/"),
    Kind("audit trail", "admin", "/manage/audit/"),
)
# What the browser reads of a measure form: its questions in order ("scale" or "text"), 0-10
# scales whose end answers do not name their anchors, and answer boxes smaller than 44 px square:
# a 0-10 scale's, and in a child's version every answer box and button.
FORM_FACTS = """() => {
    const form = document.querySelector("form.answers");
    const questions = [...form.querySelectorAll(".question")].map(
        (q) => q.tagName === "FIELDSET" ? "scale" : "text");
    const unnamed = [...form.querySelectorAll(".question.slider")].filter((q) => {
        const radios = q.querySelectorAll("input[type=radio]");
        const ends = [radios[0], radios[radios.length - 1]];
        return !ends.every((r) => (r.getAttribute("aria-label") || "").includes("—"));
    }).map((q) => q.querySelector("legend").textContent.trim());
    const targets = form.classList.contains("for-children") ? ".option, button"
        : ".question.slider .option";
    const small = [...form.querySelectorAll(targets)].filter((el) => {
            const box = el.getBoundingClientRect();
            return box.width < 44 || box.height < 44;
        }).map((el) => el.textContent.trim());
    return {questions, unnamed, small, children: form.classList.contains("for-children")};
}"""


def _open_forms(episode, respondent: str) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
    """Links to a check-in before a session starting now and to feedback about one just held,
    and the feedback assignment's id (for the portal's own form page)."""
    from rapport.care.models import Attendance, Modality, Session
    from rapport.measures.services import (
        link_issue,
        measure_plan_set,
        session_assignments_ensure,
    )

    for family in ("checkin", "feedback"):
        measure_plan_set(
            actor=episode.primary_clinician,
            episode=episode,
            family=family,
            respondent=respondent,
            schedule="every_session",
        )
    now = timezone.now()
    found = {}
    for family, start, attendance in (
        ("checkin", now + timedelta(minutes=5), Attendance.SCHEDULED),
        ("feedback", now - timedelta(hours=2), Attendance.ATTENDED),
    ):
        session = Session.objects.create(
            episode=episode,
            clinician=episode.primary_clinician,
            scheduled_start=start,
            duration_minutes=50,
            modality=Modality.VIDEO,
            attendance=attendance,
        )
        [found[family]] = [
            a
            for a in session_assignments_ensure(session=session)
            if a.plan.family == family
            and a.respondent == respondent
            # Of the two parents, the one with the demo login.
            and (respondent != "guardian" or a.respondent_user.email == LOGINS["guardian"])
        ]
    return (
        link_issue(actor=None, assignment=found["checkin"])[1],
        link_issue(actor=None, assignment=found["feedback"])[1],
        found["feedback"].pk,
    )


def _demo_ids() -> dict[str, object]:
    from rapport.accounts.models import User
    from rapport.alliance.models import Rupture
    from rapport.care.models import Episode
    from rapport.exposure.models import Ladder
    from rapport.matching.services import review_open
    from rapport.people.models import Client
    from rapport.plans.models import PlanGoal, PlanVersion, Problem

    adult = Client.objects.get(user__email=LOGINS["client"])
    episode = Episode.objects.filter(client=adult).latest("start_date")
    version = PlanVersion.objects.filter(episode=episode).latest("pk")
    problem = Problem.objects.filter(episode=episode).first()
    goal = PlanGoal.objects.filter(version=version).first()
    assert problem is not None and goal is not None
    # An open review: its page is the form to complete.
    review = review_open(actor=episode.primary_clinician, episode=episode)
    held = episode.sessions.filter(attendance="attended").latest("scheduled_start")
    # The portal client's own ladder.
    ladder = Ladder.objects.get(episode__client=adult)
    rupture = Rupture.objects.filter(episode=episode).first()
    assert rupture is not None
    return {
        "adult_client": adult.pk,
        "adult_episode": episode.pk,
        "adult_session": held.pk,
        "adult_response": episode.responses.latest("completed_at").pk,
        "adult_version": version.pk,
        "problem": problem.pk,
        "goal": goal.pk,
        "case_review": review.pk,
        "password_link": reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(adult.user_id)),
                "token": default_token_generator.make_token(adult.user),
            },
        ),
        "child_client": _young_clients()[0].pk,
        "ladder": ladder.pk,
        "ladder_episode": ladder.episode_id,
        "rupture": rupture.pk,
        "closed_episode": Episode.objects.filter(
            primary_clinician__email=LOGINS["clinician"], status="closed"
        )
        .earliest("pk")
        .pk,
        "clinician_user": User.objects.get(email=LOGINS["clinician"]).pk,
        "last_month": (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
    }


def _young_clients():  # type: ignore[no-untyped-def]
    """The guardian login's two children, the younger first."""
    from rapport.people.models import GuardianLink

    links = GuardianLink.objects.filter(guardian__email=LOGINS["guardian"]).select_related("client")
    return sorted((link.client for link in links), key=lambda c: c.date_of_birth, reverse=True)


def _forms() -> dict[str, object]:
    """Forms waiting for each respondent (fresh ones for each viewport: some are sent)."""
    from rapport.care.models import Episode
    from rapport.people.models import Client

    def latest(client) -> Episode:  # type: ignore[no-untyped-def]
        return Episode.objects.filter(client=client).latest("start_date")

    child, adolescent = _young_clients()
    adult = latest(Client.objects.get(user__email=LOGINS["client"]))
    forms: dict[str, object] = {}
    forms["adult_checkin"], forms["adult_feedback"], forms["adult_feedback_id"] = _open_forms(
        adult, "client"
    )
    forms["child_checkin"], forms["child_feedback"], _ = _open_forms(latest(child), "client")
    forms["adolescent_checkin"], forms["adolescent_feedback"], _ = _open_forms(
        latest(adolescent), "client"
    )
    forms["guardian_checkin"], _, forms["guardian_feedback_id"] = _open_forms(
        latest(child), "guardian"
    )
    return forms


def _sign_in(page, base_url: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def _violations(page, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    found = [
        f"{where}: {v['rule']} at {'; '.join(v['targets'])}"
        for v in page.evaluate(RUN_AXE, WCAG_AA)
    ]
    # WCAG 1.4.10 (reflow), which axe does not measure: a page wider than the screen hides its
    # right edge on a phone (a client's long email address once did, on the client page).
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if sideways > 0:
        found.append(f"{where}: scrolls sideways by {sideways} px (reflow, WCAG 1.4.10)")
    return found


def _answer_with_the_keyboard(page, where: str, role: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Tab to the first question, then through each: Space picks a scale's first answer and the
    right arrow moves along it; a written answer is typed. Enter on the send button."""
    facts = page.evaluate(FORM_FACTS)
    problems = [f"{where}: scale without its anchors: {name}" for name in facts["unnamed"]]
    problems += [f"{where}: target under 44 px: {text}" for text in facts["small"]]
    if facts["children"] != (role == "child"):
        problems.append(f"{where}: shown as a child's version: {facts['children']}")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('form.answers .question') !== null"):
            break
    for number, question in enumerate(facts["questions"]):
        if number:
            page.keyboard.press("Tab")
        if question == "scale":
            page.keyboard.press("Space")
            for _ in range(3):
                page.keyboard.press("ArrowRight")
        else:
            page.keyboard.type("Talking it through")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.value")
    if focused != "submit":
        return [*problems, f"{where}: Tab after the last question reached {focused!r}"]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if "/m/done/" not in page.url and "/client-mode/unlock/" not in page.url:
        return [*problems, f"{where}: sending with the keyboard led to {page.url}"]
    return problems


def test_no_page_has_a_serious_or_critical_accessibility_violation(demo, live_server, browser):
    ids = _demo_ids()
    found: list[str] = []
    visited = 0
    for size, viewport in VIEWPORTS.items():
        ids.update(_forms())
        for role, email in LOGINS.items():
            context = browser.new_context(viewport=viewport, locale="en-GB", bypass_csp=True)
            context.set_default_timeout(TIMEOUT_MS)
            # axe is in every page from its start: adding it to each page after loading sent its
            # half a megabyte over the wire again, a fifth of the walk's time.
            context.add_init_script(script=AXE)
            # axe reads an image's text alternative, not the picture: charts are not drawn.
            context.route("**/*.svg*", lambda route: route.abort())
            page = context.new_page()
            kinds = sorted(
                (kind for kind in PAGES if kind.role == role),
                key=lambda kind: not kind.before_signing_in,
            )
            signed_in = email is None
            for kind in kinds:
                if not signed_in and not kind.before_signing_in:
                    _sign_in(page, live_server.url, email)
                    signed_in = True
                where = f"{kind.name} ({role}, {size})"
                if kind.start:
                    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
                    page.request.post(
                        live_server.url + kind.start.format(**ids),
                        form={"csrfmiddlewaretoken": token},
                    )
                response = page.goto(live_server.url + kind.path.format(**ids))
                visited += 1
                if response is None or response.status != kind.status:
                    found.append(f"{where}: {page.url} answered {response and response.status}")
                    continue
                found += _violations(page, where)
                if kind.by_keyboard:
                    found += _answer_with_the_keyboard(page, where, role)
                    found += _violations(page, f"thank-you after {where}")
            context.close()
    assert visited == 2 * len(PAGES)
    assert not found, "\n".join(found)
