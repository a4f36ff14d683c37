import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
application = get_wsgi_application()

# Everything loaded at start-up (Django, matplotlib, NumPy, SciPy) lives as long as the process;
# frozen, it is not walked again by the collector's full passes, which a chart's many
# short-lived objects trigger in the middle of requests (the p95 tail `make bench` shows).
gc.freeze()
