from io import StringIO

from django.core.management import call_command


def test_models_and_migrations_agree(db):
    # Exits with SystemExit(1) when a model change lacks its migration.
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())
