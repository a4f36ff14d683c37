"""Other domains react to a stored response (alliance alerts, later: progress) without measures
having to know about them. Who listens is listed in rapport/signals.py."""

from django.dispatch import Signal

# Sent inside the submitting transaction with `response`; a receiver that fails rolls it all back.
response_submitted = Signal()

# Sent with `episode` before a session's assignments are worked out, so that other domains can
# make sure their own measures are planned (session feedback is planned by default).
assignments_preparing = Signal()
