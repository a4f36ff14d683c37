"""The domain apps stand on their own: the demo, the worker and the CSV analysis tools sit above
them and may import them, never the other way round.

Read from the source (ast), so an import hidden inside a function or under TYPE_CHECKING counts
as much as one at the top of a module.

And a services.py holds writes, each one transaction (transaction.atomic) taking keyword
arguments only. Three kinds of write may be otherwise, each listed with why: a sweep runs one
transaction per item, so that one failure does not undo the rest; a write that joins its
caller's transaction is undone with the caller's write (for the audit trail: a failed write
leaves no event); and a write with a part no transaction can hold (a file, an email) cannot be
one. Reads live in queries.py, policies in rapport.access or on a model.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings

import rapport

PACKAGE = Path(rapport.__file__).parent
ABOVE_THE_DOMAIN = ("rapport.demo", "rapport.operations", "rapport.analysis")


def domain_apps() -> list[str]:
    """Every project app in INSTALLED_APPS but the three above the domain, so a new app is
    checked the day it is installed."""
    return [
        app
        for app in settings.INSTALLED_APPS
        if app.startswith("rapport.") and app not in ABOVE_THE_DOMAIN
    ]


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Absolute names of what `module`'s source imports, relative imports resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parent = parts if is_package else parts[:-1]
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


def forbidden(name: str) -> bool:
    return any(name == top or name.startswith(f"{top}.") for top in ABOVE_THE_DOMAIN)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_domain_apps_and_foundations_are_what_is_checked() -> None:
    apps = domain_apps()
    assert {"rapport.practices", "rapport.measures", "rapport.care", "rapport.portal"} <= set(apps)
    for app in ABOVE_THE_DOMAIN:
        assert app in settings.INSTALLED_APPS  # their commands are found only when installed


def test_no_domain_app_imports_the_demo_the_worker_or_the_analysis_tools() -> None:
    roots = [PACKAGE / app.removeprefix("rapport.") for app in domain_apps()]
    roots += [PACKAGE / "core", PACKAGE / "charts"]
    files = [PACKAGE / "access.py", PACKAGE / "consent.py"] + [
        path for root in roots for path in root.rglob("*.py")
    ]
    assert len(files) > 100
    offending = []
    for path in files:
        name = module_name(path)
        for imported in imported_modules(
            path.read_text(), name, is_package=path.name == "__init__.py"
        ):
            if forbidden(imported):
                offending.append(f"{path.relative_to(PACKAGE.parent)}: {imported}")
    assert offending == []


def test_the_check_sees_imports_inside_functions_and_relative_ones() -> None:
    source = """
from rapport.core.text import search_key

def later():
    from rapport.demo.practice import build_demo_practice
    import rapport.operations.management.commands.worker

from ..analysis import growth
"""
    found = [name for name in imported_modules(source, "rapport.measures.views") if forbidden(name)]
    assert sorted(found) == [
        "rapport.analysis.growth",
        "rapport.demo.practice.build_demo_practice",
        "rapport.operations.management.commands.worker",
    ]


# --- services.py means atomic, keyword-only writes ------------------------------------------------

# The writes that are not one transaction of their own, of the three kinds the module docstring
# allows. The list may only shrink: an entry that is atomic now or no longer exists fails the
# test below; a new function that is not atomic fails the test above it, whatever it is. Every
# public service, listed or not, takes keyword arguments only.
SWEEP = "a sweep: one transaction per item, so one failure does not undo the rest"
IN_CALLER = "a write that joins its caller's transaction on purpose"
OUTSIDE = "a write with a part no transaction can hold"

SERVICES_NOT_ONE_TRANSACTION: dict[str, str] = {
    "alliance.feedback_plans_ensure": IN_CALLER + " (booking a session, starting an episode)",
    "audit.audit_record": IN_CALLER + ": a failed write leaves no event",
    "audit.audit_checkpoint_write": OUTSIDE + ": a signed file written after the checkpoint "
    "event's own short transaction",
    "audit.audit_checkpoint_if_due": SWEEP,
    "audit.audit_seal_all": SWEEP + " (one per batch of events sealed)",
    "measures.discharge_assignments_create": IN_CALLER + " (closing an episode)",
    "measures.link_email": OUTSIDE + ": an email, with nothing in the database to roll back",
    "measures.links_send_due": SWEEP,
    "plans.plan_reviews_check_all": SWEEP,
    "trajectories.trajectory_classify": IN_CALLER + ", in a savepoint of its own: a failure "
    "to classify never undoes the submission it runs in",
    "trajectories.refit_practice": IN_CALLER + " (the refresh and the demo loader audit it)",
}


def _is_atomic(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    if isinstance(target, ast.Attribute):
        return target.attr == "atomic"
    return isinstance(target, ast.Name) and target.id == "atomic"


def _public_functions(source: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        node
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name[0] != "_"
    ]


def _keyword_only(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    arguments = node.args
    return not (arguments.posonlyargs or arguments.args or arguments.vararg)


def services_not_atomic_keyword_only(source: str, app: str) -> list[str]:
    """The public module-level functions of a services.py that take a positional argument or
    are not wrapped in transaction.atomic."""
    return [
        f"{app}.{node.name}"
        for node in _public_functions(source)
        if not (_keyword_only(node) and any(_is_atomic(d) for d in node.decorator_list))
    ]


def services_with_positional_arguments(source: str, app: str) -> list[str]:
    return [f"{app}.{node.name}" for node in _public_functions(source) if not _keyword_only(node)]


def services_files() -> list[Path]:
    files = sorted(PACKAGE.glob("*/services.py"))
    assert len(files) >= 10
    return files


def every_services_exception() -> list[str]:
    return [
        name
        for path in services_files()
        for name in services_not_atomic_keyword_only(path.read_text(), path.parent.name)
    ]


def test_every_public_service_is_keyword_only_and_atomic_or_a_listed_exception() -> None:
    unlisted = set(every_services_exception()) - set(SERVICES_NOT_ONE_TRANSACTION)
    assert sorted(unlisted) == []


def test_the_list_of_exceptions_only_shrinks() -> None:
    stale = set(SERVICES_NOT_ONE_TRANSACTION) - set(every_services_exception())
    assert sorted(stale) == []  # now atomic, moved or gone: strike it off the list


def test_every_public_service_takes_keyword_arguments_only_even_a_listed_exception() -> None:
    positional = [
        name
        for path in services_files()
        for name in services_with_positional_arguments(path.read_text(), path.parent.name)
    ]
    assert positional == []


def test_the_services_check_sees_positional_arguments_and_missing_transactions() -> None:
    source = """
from django.db import transaction
from django.db.transaction import atomic

@transaction.atomic
def good_write(*, actor): ...

@atomic()
def also_good(*, actor): ...

@transaction.atomic
def positional_write(actor, *, note): ...

def not_atomic(*, actor): ...

def _private(actor): ...
"""
    assert services_not_atomic_keyword_only(source, "x") == ["x.positional_write", "x.not_atomic"]
    assert services_with_positional_arguments(source, "x") == ["x.positional_write"]


# --- A views module is a page, not a library ----------------------------------------------------
# What views share lives in rapport/web.py or in a non-view module of its app; only the app's own
# urls.py (and the project's URLconf) imports its views. A middleware importing views would load
# every page to read one constant.


def is_views_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "rapport" and any(p == "views" or p.endswith("_views") for p in parts[2:])


def may_import_views(importer: str, imported: str) -> bool:
    if importer == settings.ROOT_URLCONF:
        return True
    same_app = importer.split(".")[:2] == imported.split(".")[:2]
    return same_app and (importer.endswith(".urls") or is_views_module(importer))


def views_imported_from_outside(source: str, module: str, *, is_package: bool = False) -> list[str]:
    return [
        imported
        for imported in imported_modules(source, module, is_package=is_package)
        if is_views_module(imported) and not may_import_views(module, imported)
    ]


def test_no_module_imports_another_apps_views_and_no_middleware_imports_views() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 100
    offending = [
        f"{path.relative_to(PACKAGE.parent)}: {imported}"
        for path in files
        for imported in views_imported_from_outside(
            path.read_text(), module_name(path), is_package=path.name == "__init__.py"
        )
    ]
    assert offending == []


def test_the_views_check_sees_other_apps_views_middleware_and_imports_inside_functions() -> None:
    source = """
from rapport.accounts.views import say_saved
from rapport.plans import portal_views
from rapport.measures import views

def later():
    from rapport.alliance.views import SVG_IMAGE_CSP
"""
    assert views_imported_from_outside(source, "rapport.plans.views") == [
        "rapport.accounts.views.say_saved",
        "rapport.measures.views",
        "rapport.alliance.views.SVG_IMAGE_CSP",
    ]
    assert views_imported_from_outside(source, "rapport.measures.middleware") == [
        "rapport.accounts.views.say_saved",
        "rapport.plans.portal_views",
        "rapport.measures.views",
        "rapport.alliance.views.SVG_IMAGE_CSP",
    ]
    assert views_imported_from_outside("from . import views", "rapport.measures.urls") == []


# --- mypy --strict over the whole package -------------------------------------------------------

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

# The project's modules that mypy's config leaves less than strictly checked, each with why it
# truly cannot be typed. Empty: every module passes `mypy --strict`. The list may only shrink: a
# module the config relaxes that is not listed fails the test below, and so does a listed one the
# config no longer relaxes (strike it off here too).
MYPY_RELAXED: dict[str, str] = {}

# The one thing an override may do without relaxing the project's own code: let a third-party
# library that ships no types be imported.
LIBRARY_ONLY_SETTINGS = {"module", "ignore_missing_imports"}


def mypy_relaxed_modules(mypy_config: dict[str, Any]) -> list[str]:
    """The modules an override relaxes: by any setting beyond missing library types, or by any
    setting at all on a module of the project."""
    relaxed = []
    for override in mypy_config.get("overrides", []):
        modules = override["module"]
        for module in [modules] if isinstance(modules, str) else modules:
            ours = module == "rapport" or module.startswith("rapport.")
            if ours or set(override) - LIBRARY_ONLY_SETTINGS:
                relaxed.append(module)
    return sorted(relaxed)


def test_mypy_is_strict_and_relaxes_no_module_but_the_listed_ones() -> None:
    mypy_config = tomllib.loads(PYPROJECT.read_text())["tool"]["mypy"]
    assert mypy_config["strict"] is True
    assert [key for key, value in mypy_config.items() if value is False] == []
    assert mypy_relaxed_modules(mypy_config) == sorted(MYPY_RELAXED)
    assert all(MYPY_RELAXED.values())  # each with its reason


def test_the_mypy_check_sees_ignored_errors_relaxed_rules_and_the_projects_own_modules() -> None:
    mypy_config = tomllib.loads(
        """
overrides = [
    {module = ["axes.*", "qrcode.*"], ignore_missing_imports = true},
    {module = ["rapport.access", "rapport.people.views"], ignore_errors = true},
    {module = "rapport.web", disallow_untyped_defs = false},
    {module = "rapport.http", ignore_missing_imports = true},
    {module = "numpy.*", follow_imports = "skip"},
]
"""
    )
    assert mypy_relaxed_modules(mypy_config) == [
        "numpy.*",
        "rapport.access",
        "rapport.http",
        "rapport.people.views",
        "rapport.web",
    ]
