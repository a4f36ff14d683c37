"""Production settings are the default: these run the real settings module in a subprocess."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
RAPPORT = Path(sys.executable).parent / "rapport"


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DATABASE_"))}
    env.update(
        RAPPORT_SECRET_KEY=secrets.token_urlsafe(60),
        RAPPORT_AUDIT_KEY=secrets.token_urlsafe(40),
        RAPPORT_ALLOWED_HOSTS="rapport.example.org",
        RAPPORT_SQLITE_PATH=str(tmp_path / "prod.sqlite3"),
        DJANGO_SETTINGS_MODULE="rapport.settings",
    )
    env.update(extra)
    return env


def read_settings(env: dict[str, str], *names: str) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: repr(getattr(s, n)) for n in {list(names)!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    # As the README's deploy example: the public address, behind one TLS proxy.
    deployed = production_env(
        tmp_path, RAPPORT_BASE_URL="https://rapport.example.org", RAPPORT_PROXY_COUNT="1"
    )
    result = subprocess.run(
        [str(RAPPORT), "check", "--deploy", "--fail-level", "WARNING"],
        env=deployed,
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_is_the_default_and_is_locked_down(tmp_path):
    values = read_settings(
        production_env(tmp_path),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_SSL_REDIRECT",
        "RAPPORT_REQUIRE_STAFF_2FA",
        "USE_TZ",
    )
    assert values == {
        "DEBUG": "False",
        "SESSION_COOKIE_SECURE": "True",
        "CSRF_COOKIE_SECURE": "True",
        "SESSION_COOKIE_HTTPONLY": "True",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_SSL_REDIRECT": "True",
        "RAPPORT_REQUIRE_STAFF_2FA": "True",
        "USE_TZ": "True",
    }


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["RAPPORT_SECRET_KEY"]
    result = subprocess.run(
        [str(RAPPORT), "check"], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "RAPPORT_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_url_selects_postgresql(tmp_path):
    env = production_env(tmp_path, DATABASE_URL="postgresql://app:pw@db.internal:5432/rapport")
    values = read_settings(env, "DATABASES")
    assert "django.db.backends.postgresql" in values["DATABASES"]
    assert "db.internal" in values["DATABASES"]


def test_a_replica_url_adds_a_replica_alias_that_tests_mirror_onto_the_primary(tmp_path):
    env = production_env(
        tmp_path,
        DATABASE_URL="postgresql://app:pw@db.internal:5432/rapport",
        DATABASE_REPLICA_URL="postgresql://app:pw@replica.internal:5432/rapport",
    )
    databases = read_settings(env, "DATABASES")["DATABASES"]
    assert "'replica': {" in databases and "replica.internal" in databases
    assert "'MIRROR': 'default'" in databases


def test_behind_a_transaction_pooler_connections_are_not_kept_and_cursors_are_client_side(
    tmp_path,
):
    env = production_env(
        tmp_path, DATABASE_URL="postgresql://app:pw@pgbouncer:6432/rapport", RAPPORT_DB_POOLED="1"
    )
    databases = read_settings(env, "DATABASES")["DATABASES"]
    assert "'DISABLE_SERVER_SIDE_CURSORS': True" in databases
    assert "'CONN_MAX_AGE': 0" in databases


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"DATABASE_REPLICA_URL": "postgresql://app@replica/rapport"}, "needs DATABASE_URL"),
        (
            {"DATABASE_URL": "postgresql://app@db/rapport", "DATABASE_REPLICA_URL": "replica"},
            "DATABASE_REPLICA_URL must be a PostgreSQL URL",
        ),
        (
            {
                "DATABASE_URL": "postgresql://app@db/rapport",
                "DATABASE_REPLICA_URL": "sqlite:///copy.sqlite3",
            },
            "DATABASE_REPLICA_URL must be a PostgreSQL URL",
        ),
        ({"DATABASE_URL": "postgresql://app@db"}, "DATABASE_URL must be a PostgreSQL URL"),
    ],
)
def test_a_bad_database_url_is_refused_at_start_with_what_it_should_look_like(
    tmp_path, extra, message
):
    result = subprocess.run(
        [sys.executable, "-m", "rapport", "check"],
        env=production_env(tmp_path, **extra),
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_demo_refuses_to_run_under_production_settings(tmp_path):
    env = production_env(tmp_path)
    # The refusal comes before the database is touched (the message says why, not a missing
    # table), so no migration is needed to show it.
    result = subprocess.run(
        [str(RAPPORT), "demo"], env=env, cwd=PROJECT, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "development only" in result.stderr


def run_rapport(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rapport", *args],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_production_refuses_to_start_without_an_audit_key(tmp_path):
    env = production_env(tmp_path)
    del env["RAPPORT_AUDIT_KEY"]
    result = run_rapport(env, "check")
    assert result.returncode == 2
    assert "RAPPORT_AUDIT_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_too_short_audit_key_is_refused_with_one_line(tmp_path):
    result = run_rapport(production_env(tmp_path, RAPPORT_AUDIT_KEY="short"), "check")
    assert result.returncode == 2
    assert "too short" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_audit_keyring_comes_from_a_file_with_the_current_key_named(tmp_path):
    keyfile = tmp_path / "audit.keys"
    keyfile.write_text(f"2025:{'a' * 40}\n2026:{'b' * 40}\n")
    env = production_env(tmp_path, RAPPORT_AUDIT_KEY_FILE=str(keyfile), RAPPORT_AUDIT_KEY_ID="2026")
    del env["RAPPORT_AUDIT_KEY"]
    shown = read_settings(env, "RAPPORT_AUDIT_KEYRING")["RAPPORT_AUDIT_KEYRING"]
    assert shown == "Keyring(ids=['2025', '2026'], current_id='2026')"
    assert "a" * 40 not in shown


@pytest.mark.parametrize(
    "name, bad",
    [
        ("RAPPORT_STAFF_IDLE_MINUTES", "0"),
        ("RAPPORT_HSTS_SECONDS", "-1"),
        ("RAPPORT_EMAIL_PORT", "smtp"),
        ("RAPPORT_DASHBOARD_MIN_CASELOAD", "0"),
        ("RAPPORT_AUDIT_CHECKPOINT_MINUTES", "1e9"),
    ],
)
def test_every_whole_number_setting_refuses_a_value_out_of_its_range_in_one_line(
    tmp_path, name, bad
):
    result = subprocess.run(
        [str(RAPPORT), "check"],
        env=production_env(tmp_path, **{name: bad}),
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert f"{name} must be a whole number from" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "value", ["https://fhir.example.org/fhir/", "fhir.example.org", "https://x.org/fhir?a=1"]
)
def test_a_malformed_fhir_base_stops_the_start(tmp_path, value):
    env = production_env(
        tmp_path, RAPPORT_BASE_URL="https://rapport.example.org", RAPPORT_FHIR_BASE=value
    )

    started = subprocess.run(
        [sys.executable, "-c", "import rapport.settings"],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )

    assert started.returncode != 0
    assert "RAPPORT_FHIR_BASE must be an http(s) address" in started.stderr


def test_the_fhir_base_defaults_to_the_sites_address_followed_by_fhir(tmp_path):
    env = production_env(tmp_path, RAPPORT_BASE_URL="https://rapport.example.org/")

    values = read_settings(env, "RAPPORT_FHIR_BASE")

    assert values == {"RAPPORT_FHIR_BASE": repr("https://rapport.example.org/fhir")}


def test_without_any_address_the_fhir_base_is_left_empty_not_invented(tmp_path):
    assert read_settings(production_env(tmp_path), "RAPPORT_FHIR_BASE") == {
        "RAPPORT_FHIR_BASE": repr("")
    }
