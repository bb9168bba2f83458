"""The appraisal's e-mails: reminders to members and notices to units.

- A member with unfinished appraisals is reminded three days and one day
  before round 1 or round 2 closes.
- A unit is told when its round-1 results are available (the moment it moves
  to Explanation, by the organizer or by the calendar), and three days and one
  day before the explanation window closes, while it is in Explanation.

Every e-mail has its ``Notice`` row, written in the transaction that decides
to send it and unique per (kind, phase, member or assessment), so that no
e-mail goes out twice, however often the hourly job runs. The mail itself
leaves after commit; a mail server failure is logged, never retried (at worst
one notice lost, never two sent).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments import selectors as assessment_selectors
from assessments import windows
from assessments.models import Assessment, AssessmentState, Phase, PhaseKind

from . import selectors
from .models import CouncilMember, Notice, NoticeKind, Round

logger = logging.getLogger(__name__)

LEADS = (
    (timedelta(days=1), NoticeKind.MEMBER_ONE_DAY, NoticeKind.EXPLANATION_ONE_DAY),
    (timedelta(days=3), NoticeKind.MEMBER_THREE_DAYS, NoticeKind.EXPLANATION_THREE_DAYS),
)
ROUND_OF_PHASE = {PhaseKind.ROUND_1: Round.ONE, PhaseKind.ROUND_2: Round.TWO}


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:  # the Notice row is kept: never twice, at worst lost
        logger.exception("Appraisal notice to %s could not be sent", message.to)


def _record(**fields) -> bool:
    """Write the Notice row; False when another run already did."""
    try:
        with transaction.atomic():
            Notice.objects.create(**fields)
    except IntegrityError:
        return False
    return True


def _closing_soon(kinds, now: datetime):
    """Open phases of ``kinds`` that close within three days, each with its notice pair."""
    phases = Phase.objects.filter(
        kind__in=kinds,
        opens_at__lte=now,
        closes_at__gt=now,
        closes_at__lte=now + LEADS[-1][0],
    ).select_related("campaign")
    for phase in phases:
        left = phase.closes_at - now
        member_kind, unit_kind = next((m, u) for lead, m, u in LEADS if left <= lead)
        yield phase, member_kind, unit_kind


def _footer() -> list[str]:
    return ["", _("This message was sent automatically by the DTI assessment system.")]


# --- members ----------------------------------------------------------------------------


def _in_site_language(build):
    """Mail goes out in the site's language (Vietnamese), whoever triggered it."""

    def wrapper(**kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            return build(**kwargs)

    return wrapper


@_in_site_language
def _member_message(*, member, phase, kind, pending) -> EmailMessage:
    round_ = ROUND_OF_PHASE[phase.kind]
    units = defaultdict(list)
    for row in pending:
        units[row.unit_name].append(row.code)
    if kind == NoticeKind.MEMBER_ONE_DAY:
        subject = _("[DTI] Round-%(round)s appraisal closes in 1 day: %(count)s indicators left")
    else:
        subject = _("[DTI] Round-%(round)s appraisal closes in 3 days: %(count)s indicators left")
    lines = [
        _("Campaign: %(campaign)s") % {"campaign": phase.campaign},
        _("Round-%(round)s appraisal closes at %(time)s.")
        % {"round": round_, "time": windows.local_text(phase.closes_at)},
        _("Indicators assigned to you and not appraised yet (%(count)s):")
        % {"count": len(pending)},
    ]
    lines += [f"- {unit}: {', '.join(codes)}" for unit, codes in sorted(units.items())]
    return EmailMessage(
        subject=subject % {"round": round_, "count": len(pending)},
        body="\n".join(lines + _footer()),
        to=[member.user.email],
    )


def _remind_members(phase, kind) -> int:
    round_ = ROUND_OF_PHASE[phase.kind]
    members = (
        CouncilMember.objects.filter(council__campaign_id=phase.campaign_id, user__is_active=True)
        .exclude(user__email="")
        .exclude(notices__kind=kind, notices__phase=phase)
        .select_related("user", "council")
    )
    sent = 0
    for member in members:
        member.council.campaign = phase.campaign
        pending = [
            row
            for row in selectors.member_workbench(member=member, not_yet_appraised=True)
            if row.awaiting_round == round_
        ]
        if not pending or not _record(
            kind=kind, phase=phase, member=member, recipients=member.user.email
        ):
            continue
        message = _member_message(member=member, phase=phase, kind=kind, pending=pending)
        transaction.on_commit(lambda message=message: _send(message))
        sent += 1
    return sent


# --- units ------------------------------------------------------------------------------


@_in_site_language
def _unit_message(*, assessment, phase, kind, to) -> EmailMessage:
    unit = assessment.unit.name
    lines = [
        _("Campaign: %(campaign)s") % {"campaign": assessment.campaign},
        _("Unit: %(unit)s") % {"unit": unit},
    ]
    if kind == NoticeKind.RESULTS_AVAILABLE:
        subject = _("[DTI] %(unit)s: the round-1 appraisal results are available")
        lines += [
            _(
                "The council has appraised every indicator in round 1. Each round-1 score "
                "and comment is on the explanation page, next to your own score."
            ),
            _(
                "Where you disagree, write an explanation and add evidence before "
                "%(time)s; nothing can be changed after that."
            )
            % {"time": windows.local_text(phase.closes_at)},
        ]
    else:
        if kind == NoticeKind.EXPLANATION_ONE_DAY:
            subject = _("[DTI] %(unit)s: the explanation window closes in 1 day")
        else:
            subject = _("[DTI] %(unit)s: the explanation window closes in 3 days")
        lines.append(
            _(
                "The explanation window closes at %(time)s. Explanations still in draft "
                "then are not sent to the council."
            )
            % {"time": windows.local_text(phase.closes_at)}
        )
    return EmailMessage(subject=subject % {"unit": unit}, body="\n".join(lines + _footer()), to=to)


def _notify_units(assessments, phase, kind) -> int:
    assessments = list(assessments)
    recipients = assessment_selectors.reminder_recipients(unit_ids=[a.unit_id for a in assessments])
    sent = 0
    for assessment in assessments:
        to = recipients.get(assessment.unit_id)
        if not to or not _record(
            kind=kind, phase=phase, assessment=assessment, recipients=", ".join(to)
        ):
            continue  # nobody to mail yet: tried again on the next run
        message = _unit_message(assessment=assessment, phase=phase, kind=kind, to=to)
        transaction.on_commit(lambda message=message: _send(message))
        sent += 1
    return sent


def results_available_notify(*, assessment_ids) -> int:
    """Tell each unit that moved to Explanation that its round-1 results are there."""
    assessments = (
        Assessment.objects.filter(pk__in=assessment_ids, state=AssessmentState.EXPLANATION)
        .select_related("unit", "campaign")
        .order_by("pk")
    )
    sent = 0
    by_campaign = defaultdict(list)
    for assessment in assessments:
        by_campaign[assessment.campaign_id].append(assessment)
    phases = {
        phase.campaign_id: phase
        for phase in Phase.objects.filter(campaign_id__in=by_campaign, kind=PhaseKind.EXPLANATION)
    }
    for campaign_id, group in by_campaign.items():
        if campaign_id in phases:
            sent += _notify_units(group, phases[campaign_id], NoticeKind.RESULTS_AVAILABLE)
    return sent


@transaction.atomic
def council_reminders_send(*, now: datetime | None = None) -> int:
    """The hourly job: member reminders before each round closes, unit reminders before
    the explanation closes, and results notices that a failed mail run left behind."""
    now = now or timezone.now()
    sent = 0
    for phase, member_kind, _unit_kind in _closing_soon(list(ROUND_OF_PHASE), now):
        sent += _remind_members(phase, member_kind)
    for phase, _member_kind, unit_kind in _closing_soon([PhaseKind.EXPLANATION], now):
        explaining = (
            Assessment.objects.filter(
                campaign_id=phase.campaign_id, state=AssessmentState.EXPLANATION
            )
            .exclude(council_notices__kind=unit_kind, council_notices__phase=phase)
            .select_related("unit", "campaign")
        )
        sent += _notify_units(explaining, phase, unit_kind)
    missed = Assessment.objects.filter(state=AssessmentState.EXPLANATION).exclude(
        council_notices__kind=NoticeKind.RESULTS_AVAILABLE
    )
    sent += results_available_notify(assessment_ids=list(missed.values_list("pk", flat=True)))
    return sent
