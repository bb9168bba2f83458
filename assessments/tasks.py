"""Celery tasks: thin wrappers over services, safe to run again (see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import services


@shared_task
def send_self_assessment_reminders() -> int:
    """Hourly: reminders 3 days and 1 day before the self-assessment closes, each sent once."""
    return services.reminders_send()


@shared_task
def open_due_explanations() -> int:
    """Hourly: the calendar opens the explanation of appraised units once its window opens."""
    return services.explanations_open_due()
