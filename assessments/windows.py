"""The phase calendar: is a window open at a given moment, and if not, why not.

Every moment is a timezone-aware datetime; times shown to people are local
(Asia/Ho_Chi_Minh, ``dd/mm/yyyy HH:MM``). A phase is open from ``opens_at``
until ``closes_at`` plus its grace period. The server enforces these windows:
the assessment transitions and the editing services all ask this module.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Assessment, Campaign, Phase, PhaseKind

# The window's name inside a sentence ("The %(phase)s window closed at ...").
WINDOW_NAMES = {
    PhaseKind.SELF_ASSESSMENT: _("self-assessment"),
    PhaseKind.ROUND_1: _("round-1 appraisal"),
    PhaseKind.EXPLANATION: _("explanation"),
    PhaseKind.ROUND_2: _("round-2 appraisal"),
    PhaseKind.PUBLICATION: _("publication"),
}


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return timezone.now()
    if timezone.is_naive(at):
        raise ValueError("Window checks need a timezone-aware datetime.")
    return at


def local_text(moment: datetime) -> str:
    """``25/11/2026 17:00`` in the project's time zone."""
    return date_format(timezone.localtime(moment), "d/m/Y H:i")


def phase_of(campaign: Campaign, kind: str) -> Phase | None:
    # ``all()`` so that a ``prefetch_related("phases")`` is used when present.
    return next((phase for phase in campaign.phases.all() if phase.kind == kind), None)


def is_open(campaign: Campaign, kind: str, at: datetime | None = None) -> bool:
    phase = phase_of(campaign, kind)
    return phase is not None and phase.is_open(_moment(at))


def has_closed(campaign: Campaign, kind: str, at: datetime | None = None) -> bool:
    """True once the window and its grace period are over."""
    phase = phase_of(campaign, kind)
    return phase is not None and _moment(at) >= phase.ends_at


def window_problem(campaign: Campaign, kind: str, at: datetime | None = None) -> str | None:
    """Why the window is not open now, in words for the user; None when it is open."""
    at = _moment(at)
    phase = phase_of(campaign, kind)
    label = WINDOW_NAMES[PhaseKind(kind)]
    if phase is None or phase.opens_at is None:
        return gettext("The %(phase)s window has not been scheduled.") % {"phase": label}
    if at < phase.opens_at:
        return gettext("The %(phase)s window opens at %(time)s.") % {
            "phase": label,
            "time": local_text(phase.opens_at),
        }
    if at >= phase.ends_at:
        return gettext("The %(phase)s window closed at %(time)s.") % {
            "phase": label,
            "time": local_text(phase.closes_at),
        }
    return None


def self_assessment_problem(assessment: Assessment, at: datetime | None = None) -> str | None:
    """The self-assessment window of one unit: the campaign's, or an administrator's extension."""
    at = _moment(at)
    if assessment.extended_until is not None and at < assessment.extended_until:
        return None
    return window_problem(assessment.campaign, PhaseKind.SELF_ASSESSMENT, at)
