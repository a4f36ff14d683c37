from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from rapport.alerts.tasks import sweep_urgent_alerts
from rapport.audit.services import audit_checkpoint_if_due
from rapport.dashboards.tasks import refresh_due_dashboards
from rapport.matching.tasks import send_handoff_follow_ups
from rapport.measures.tasks import send_due_links
from rapport.partitions import partitions_ensure
from rapport.plans.tasks import check_plan_reviews
from rapport.trajectories.tasks import refresh_due_trajectories

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run background work: every interval, queue the periodic jobs (measure links and "
        "reminders, urgent-alert notices and escalation) and run everything queued. Run one or "
        "more per installation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between rounds.")
        parser.add_argument("--once", action="store_true", help="One round, then exit (for cron).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.RAPPORT_BASE_URL:
            raise CommandError(
                "Set RAPPORT_BASE_URL (for example https://rapport.example.org) so that emailed "
                "links point to this installation."
            )
        while True:
            close_old_connections()
            # Next months' partitions exist before their first row (PostgreSQL only). Only the
            # tables' owner may add them: under a separate application role (README "Audit
            # trail") `rapport partitions` runs as the owner instead, and rows meanwhile land in
            # the DEFAULT partition, which is correct, only not pruned.
            try:
                partitions_ensure()
            except DatabaseError as error:
                logger.warning("partitions not made ahead: %s", error)
            send_due_links.enqueue()
            sweep_urgent_alerts.enqueue()
            refresh_due_trajectories.enqueue()
            refresh_due_dashboards.enqueue()
            check_plan_reviews.enqueue()
            send_handoff_follow_ups.enqueue()
            Worker(
                queue_names=["default"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id="rapport-worker",
                excluded_queue_names=[],
            ).run()
            # Signed, off-database checkpoints make a wiped or truncated trail detectable.
            audit_checkpoint_if_due()
            if options["once"]:
                return
            time.sleep(options["interval"])
