"""Events about the people around a client that other domains react to. Who listens is listed in
rapport/signals.py."""

from django.dispatch import Signal

# Sent with `link` inside the transaction that ends a guardian's link to a client; a receiver
# that fails rolls the change back.
guardian_link_ended = Signal()
