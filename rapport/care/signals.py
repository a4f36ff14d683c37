"""Events of care that other domains react to (measures plan forms for a session, send the
discharge measures) without care having to know about them. Who listens is listed in
rapport/signals.py.

Each is sent inside the transaction of the write that caused it, with `send` rather than
`send_robust`: a receiver that fails rolls the whole write back, as for a submitted response."""

from django.dispatch import Signal

# Sent with `actor` and `episode` when a client's episode of care begins.
episode_opened = Signal()

# Sent with `episode` once it is closed and its future sessions are cancelled.
episode_closed = Signal()

# Sent with `session` once it is booked.
session_booked = Signal()

# Sent with `session` once what happened is recorded (attendance, modality, length, notes).
session_recorded = Signal()
