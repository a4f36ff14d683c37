"""The domain apps stand on their own: the demo, the worker and the CSV analysis tools sit above
them and may import them, never the other way round.

Read from the source (ast), so an import hidden inside a function or under TYPE_CHECKING counts
as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

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
    files = [PACKAGE / "access.py"] + [path for root in roots for path in root.rglob("*.py")]
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
