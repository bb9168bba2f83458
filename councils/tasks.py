"""Celery tasks of the appraisal: thin wrappers, safe to run again (see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import reminders


@shared_task
def send_council_reminders() -> int:
    """Hourly: member reminders before each round closes, unit notices of the explanation."""
    return reminders.council_reminders_send()
