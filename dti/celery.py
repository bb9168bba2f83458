"""The Celery app. Broker and eagerness come from settings (REDIS_URL)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dti.settings")

app = Celery("dti")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
