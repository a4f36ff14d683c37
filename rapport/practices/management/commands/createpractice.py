from __future__ import annotations

import getpass
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rapport.accounts.models import Role, User
from rapport.audit.services import audit_record
from rapport.practices.models import Practice


class Command(BaseCommand):
    help = "Create a practice and its first admin account (for a new installation)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The practice's name.")
        parser.add_argument("--time-zone", default="Europe/London")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", required=True)
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the admin's password from standard input instead of prompting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["admin_email"].strip().lower()
        if User.objects.filter(email=email).exists():
            raise CommandError(f"an account with the email {email} already exists")
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Admin password: ")
            if getpass.getpass("Again: ") != password:
                raise CommandError("the two passwords differ")
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError("password rejected: " + " ".join(error.messages)) from error
        with transaction.atomic():
            practice = Practice(name=options["name"], time_zone=options["time_zone"])
            try:
                practice.full_clean()
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error
            practice.save()
            admin = User.objects.create_user(
                email, password, full_name=options["admin_name"], practice=practice, role=Role.ADMIN
            )
            audit_record(actor=None, action="create", obj=practice, practice_id=practice.pk)
            audit_record(actor=None, action="create", obj=admin, practice_id=practice.pk)
        self.stdout.write(f"Created {practice.name} with admin {admin.email}.")
