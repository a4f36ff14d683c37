"""Other domains react to an alert being opened (a plan review hook listens for off-track and
low-goals alerts) without the rule that opened it knowing about them. Who listens is listed in
rapport/signals.py."""

from django.dispatch import Signal

# Sent inside the opening transaction with `alert`; a receiver that fails rolls it all back.
alert_opened = Signal()
