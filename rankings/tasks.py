"""Celery tasks: thin wrappers over services, safe to run again."""

from celery import shared_task

from assessments.models import Campaign

from . import services


@shared_task
def recompute_campaign(campaign_id: int, stages: list[str] | None = None) -> int | None:
    """Compute a campaign's summaries and rankings (every stage by default); the run's id.

    None when the campaign no longer exists (deleted after the task was queued).
    """
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return None
    # A run left "running" by a killed worker counts as failed before this one starts.
    services.runs_abandon_stale(campaign=campaign)
    return services.campaign_recompute(campaign=campaign, stages=stages).pk


@shared_task
def requeue_waiting_computations() -> int:
    """Hourly: abandoned runs count as failed; computations Redis did not take are queued again."""
    return services.recompute_requeue_waiting()
