"""Every page of the demo, as every demo login, answers without a server error.

Each login signs in through the login form and walks breadth-first from its home page along
same-origin GET links (anchors and images, so charts are drawn too). Pages whose content depends
most on the data — a client, an episode's alliance, progress, plan, trajectory and ladders — are
visited for every object reached (once across all logins); other routes for a few objects each
(a PDF for one), which keeps the walk bounded. Then every route of the URLconf the walk did not
reach is requested with ids of demo objects (ids seen during the walk first), so a page linked
from nowhere is not missed. Refusals (403, 404, 405) are fine here; the authorization matrix
checks who may see what.
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.db.models import Model
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import NoReverseMatch, Resolver404

from tests.demo_snapshot import demo_practice

TODAY = dt.date(2026, 3, 18)
# Visited for every object the walk reaches; other routes for PER_ROUTE objects each.
EVERY_OBJECT = {
    "people:client_detail",
    "alliance:episode",
    "alliance:chart",
    "progress:episode",
    "progress:chart",
    "progress:portal",
    "progress:portal_chart",
    "plans:episode",
    "trajectories:episode",
    "exposure:episode_ladders",
    "exposure:ladder_detail",
    "exposure:chart",
    "exposure:portal_chart",
}
PER_ROUTE = 2
# A PDF is drawn by WeasyPrint (about a second each): one of each per login. Their content is
# checked against the page they print in tests/test_reports_*.py.
PER_PDF_ROUTE = 1
MAX_PAGES_PER_LOGIN = 400
# Not followed: signing out ends the walk, and the client-mode hand-over locks the session.
SKIP = {"accounts:logout", "measures:client_mode_start"}
# URL parameters whose model is not named after them.
PARAMETER_MODELS = {
    "link": "people.GuardianLink",
    "plan": "measures.MeasurePlan",
    "version": "plans.PlanVersion",
    "goal": "plans.PlanGoal",
}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"a": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.found.append(value)


def links_on(page_url: str, html: str) -> Iterator[str]:
    parser = _Links()
    parser.feed(html)
    for href in parser.found:
        url = urljoin(f"http://testserver{page_url}", href)
        parts = urlsplit(url)
        if parts.scheme in {"http", "https"} and parts.netloc == "testserver":
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if not parts.path.startswith("/static/"):
                yield path


def route_of(path: str) -> tuple[str, dict[str, object]] | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name, match.kwargs


class Walk:
    def __init__(self, email: str, password: str, covered: set[str]) -> None:
        self.who = email
        self.web = WebClient()
        self.password = password
        self.visited: set[str] = set()
        # Object pages an earlier login already saw: a supervisor need not repeat the caseloads.
        self.covered = covered
        self.per_route: dict[str, int] = {}
        self.seen_values: dict[str, list[object]] = {}
        self.errors: list[str] = []
        self.html: dict[str, str] = {}  # every HTML page this login was shown, by path
        self.sign_in()

    def sign_in(self) -> None:
        signed = self.web.post(
            reverse("accounts:login"), {"username": self.who, "password": self.password}
        )
        assert signed.status_code == 302, f"{self.who} could not sign in"

    def get(self, path: str) -> str | None:
        self.visited.add(path)
        try:
            response = self.web.get(path)
        except Exception as error:  # noqa: BLE001 - every failure is collected, then reported
            frame = traceback.extract_tb(error.__traceback__)[-1]
            self.errors.append(
                f"{self.who} GET {path}: {type(error).__name__}: {error} "
                f"({frame.filename}:{frame.lineno})"
            )
            return None
        if response.status_code >= 500:
            self.errors.append(f"{self.who} GET {path}: {response.status_code}")
            return None
        if response.status_code in (301, 302) and "Location" in response:
            return f'<a href="{response["Location"]}"></a>'
        if response.get("Content-Type", "").startswith("text/html"):
            self.html[path] = response.content.decode()
            return self.html[path]
        return None

    def wanted(self, path: str) -> bool:
        if path in self.visited:
            return False
        route = route_of(path)
        if route is None:
            return False
        name, kwargs = route
        if name in SKIP:
            return False
        for key, value in kwargs.items():
            self.seen_values.setdefault(key, [])
            if value not in self.seen_values[key]:
                self.seen_values[key].append(value)
        if name in EVERY_OBJECT and path not in self.covered:
            self.covered.add(path)
            return True
        limit = PER_PDF_ROUTE if name.endswith("_pdf") else PER_ROUTE
        return self.per_route.get(name, 0) < limit

    def breadth_first(self) -> None:
        queue = deque(["/"])
        while queue and len(self.visited) < MAX_PAGES_PER_LOGIN:
            path = queue.popleft()
            if path != "/" and not self.wanted(path):
                continue
            route = route_of(path)
            if route is not None:
                self.per_route[route[0]] = self.per_route.get(route[0], 0) + 1
            html = self.get(path)
            if html:
                queue.extend(link for link in links_on(path, html) if link not in self.visited)

    def every_route(self) -> None:
        reached = {route[0] for path in self.visited if (route := route_of(path))}
        for name, parameters in url_routes():
            if name in reached or name in SKIP:
                continue
            for kwargs in instances(parameters, self.seen_values):
                try:
                    path = reverse(name, kwargs=kwargs)
                except NoReverseMatch:
                    continue
                if path not in self.visited:
                    self.get(path)
            # A page may have signed the walker out; start afresh.
            if "_auth_user_id" not in self.web.session:
                self.sign_in()


def url_routes() -> list[tuple[str, list[tuple[str, str]]]]:
    """(name, [(parameter, converter)]) for every named route of the URLconf."""
    found: list[tuple[str, list[tuple[str, str]]]] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif pattern.name:
                route = prefix + str(pattern.pattern)
                parameters = [(p, c) for c, p in re.findall(r"<(?:(\w+):)?(\w+)>", route)]
                found.append((":".join(filter(None, [namespace, pattern.name])), parameters))

    walk(get_resolver().url_patterns, "", "")
    return found


def model_for(parameter: str) -> type[Model] | None:
    stem = parameter.removesuffix("_id")
    if stem in PARAMETER_MODELS:
        return apps.get_model(PARAMETER_MODELS[stem])
    for model in apps.get_models():
        if model.__name__.lower() == stem.replace("_", ""):
            return model
    return None


def instances(
    parameters: list[tuple[str, str]], seen: dict[str, list[object]]
) -> list[dict[str, object]]:
    """Up to two sets of values for a route's parameters: seen in the walk, else demo objects."""
    choices: dict[str, list[object]] = {}
    for parameter, converter in parameters:
        values = list(seen.get(parameter, []))[:2]
        if not values:
            model = model_for(parameter)
            if model is not None:
                pks = list(model._default_manager.order_by("pk").values_list("pk", flat=True))
                values = pks[:1] + pks[-1:]
            elif converter == "int":
                values = [1]
            else:
                values = ["phq9" if parameter == "family" else "not-a-real-value"]
        choices[parameter] = values or [1]
    width = max((len(v) for v in choices.values()), default=1)
    return [{p: v[min(i, len(v) - 1)] for p, v in choices.items()} for i in range(width)]


@dataclass(frozen=True)
class DemoWalk:
    pages: int
    errors: list[str]
    html: dict[tuple[str, str], str]  # (login, path) → the HTML that login was shown


_DONE: list[DemoWalk] = []


def walk_the_demo() -> DemoWalk:
    """Build the demo and walk it as every login, once per test process: the walk takes minutes,
    and both this module (server errors) and tests/test_wording.py (what people read) check it.
    The first caller needs the database; the HTML is kept, not the rows."""
    if _DONE:
        return _DONE[0]
    summary = demo_practice(today=TODAY)
    errors: list[str] = []
    html: dict[tuple[str, str], str] = {}
    pages = 0
    covered: set[str] = set()
    for login in summary.logins:
        walk = Walk(login.email, login.password, covered)
        walk.breadth_first()
        assert len(walk.visited) > 3, f"{login.email} reached almost nothing: {walk.visited}"
        walk.every_route()
        errors += walk.errors
        pages += len(walk.visited)
        html.update({(login.email, path): page for path, page in walk.html.items()})
    _DONE.append(DemoWalk(pages, errors, html))
    return _DONE[0]


# About 100 s of processor time: on its own worker, so it does not hold up a group of short tests
# (tests/test_wording.py reads the same walk, so it is in the same group).
@pytest.mark.xdist_group("demo_walk")
def test_every_demo_page_as_every_demo_login_answers_without_a_server_error(db: None) -> None:
    walked = walk_the_demo()
    assert walked.pages > 200
    assert not walked.errors, "\n".join(walked.errors)
