"""Loaded by pytest before Django starts: tests run on development settings.

Production-only behaviour (secure cookies, HTTPS redirect, required two-factor) is checked by
tests that switch it on explicitly, and `rapport check --deploy` is run in a subprocess with a
production environment.
"""

import os

os.environ.setdefault("RAPPORT_DEBUG", "1")
os.environ.setdefault("RAPPORT_TESTING", "1")
