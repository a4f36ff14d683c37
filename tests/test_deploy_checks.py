"""`check --deploy` catches a proxy without RAPPORT_PROXY_COUNT and a missing base URL."""

from __future__ import annotations

from django.core.checks import Tags, run_checks


def deploy_warnings() -> set[str]:
    return {
        m.id
        for m in run_checks(tags=[Tags.security], include_deployment_checks=True)
        if m.id.startswith("rapport.")
    }


def test_the_readme_deploy_example_without_a_proxy_count_is_warned_about(settings):
    settings.RAPPORT_BASE_URL = "https://rapport.example.org"
    settings.RAPPORT_BEHIND_PROXY = True
    settings.RAPPORT_PROXY_COUNT = 0
    assert "rapport.W001" in deploy_warnings()


def test_an_https_base_url_alone_means_a_proxy_is_in_front(settings):
    settings.RAPPORT_BASE_URL = "https://rapport.example.org"
    settings.RAPPORT_BEHIND_PROXY = False
    settings.RAPPORT_PROXY_COUNT = 0
    assert "rapport.W001" in deploy_warnings()


def test_a_declared_proxy_count_satisfies_the_check(settings):
    settings.RAPPORT_BASE_URL = "https://rapport.example.org"
    settings.RAPPORT_BEHIND_PROXY = True
    settings.RAPPORT_PROXY_COUNT = 1
    assert not deploy_warnings() & {"rapport.W001", "rapport.W002", "rapport.W003"}


def test_a_missing_base_url_is_warned_about(settings):
    settings.RAPPORT_BASE_URL = ""
    assert "rapport.W002" in deploy_warnings()


def test_a_plain_http_base_url_is_warned_about_in_production(settings):
    settings.DEBUG = False
    settings.RAPPORT_BASE_URL = "http://rapport.example.org"
    assert "rapport.W003" in deploy_warnings()


def test_the_checks_are_only_part_of_the_deploy_run(settings):
    settings.RAPPORT_BASE_URL = ""
    assert not {m.id for m in run_checks(tags=[Tags.security]) if m.id.startswith("rapport.")}
