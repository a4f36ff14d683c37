"""`rapport tokens create --user EMAIL --scope read|write|fhir [--days N] [--name NAME]`.

An admin (an operator with the server's keys) makes a personal access token for a member of
staff, say for a practice's integration. The token is printed once; only its hash is kept. The
creation is audited as made by the system.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rapport.accounts.models import ApiToken, User
from rapport.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Make a personal access token for the JSON API and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        create = sub.add_parser("create", help="Make a token and print it once.")
        create.add_argument("--user", required=True, help="The staff member's email.")
        create.add_argument("--scope", required=True, choices=ApiToken.Scope.values)
        create.add_argument(
            "--days",
            type=int,
            default=None,
            help=(
                f"How many days it works (default {settings.RAPPORT_API_TOKEN_DAYS}, "
                f"at most {settings.RAPPORT_API_TOKEN_MAX_DAYS})."
            ),
        )
        create.add_argument("--name", default="Made on the command line")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=str(options["user"]).strip().lower()).first()
        if user is None:
            raise CommandError(f"no account with the email {options['user']}")
        try:
            token, text = api_token_create(
                actor=None,
                user=user,
                name=options["name"],
                scope=options["scope"],
                days=options["days"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stderr.write(
            f"Token “{token.name}” for {user.email}, scope {token.scope}, works until "
            f"{token.expires_at:%Y-%m-%d %H:%M %Z}. It is printed once; keep it safe."
        )
        self.stdout.write(text)
