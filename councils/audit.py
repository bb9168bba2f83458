"""Audit entries of the council's changes (see ``assessments.audit``): the council,
its members, their assignments, appraisals and the units' explanations.

Written by receivers of django-simple-history's signals, in the transaction of
the change; the values before come from the instance (``audit.track``), so an
entry is one INSERT. Connected by ``CouncilsConfig.ready``.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed
from django.utils.translation import gettext as _

from assessments import audit
from assessments.models import AdministrativeUnit, AuditAction

from .models import (
    Appraisal,
    Assignment,
    Council,
    CouncilMember,
    CouncilRole,
    Explanation,
    ExplanationStatus,
    Round,
)


def _member_text(member: CouncilMember) -> str:
    return str(member.user)


def _council_changed(council: Council, kind: str, user, history) -> None:
    if kind == "-":
        return  # goes only with its campaign
    changed = audit.changes(council)
    if kind == "~" and not changed:
        return

    def summary() -> str:
        date = council.decision_date.strftime("%d/%m/%Y") if council.decision_date else "—"
        text = (
            _("Appraisal council formed by decision %(number)s of %(date)s")
            if kind == "+"
            else _("Appraisal council's decision changed to %(number)s of %(date)s")
        )
        return text % {"number": council.decision_number, "date": date}

    audit.record(
        action=AuditAction.COUNCIL_CHANGED,
        summary=audit.in_site_language(summary),
        campaign_id=council.campaign_id,
        actor=user,
        object_type=audit.label(Council),
        object_id=council.pk,
        details={"changes": changed}
        if kind == "~"
        else {
            "decision_number": council.decision_number,
            "decision_date": council.decision_date,
        },
        at=history.history_date,
    )


def _member_changed(member: CouncilMember, kind: str, user, history) -> None:
    changed = audit.changes(member) if kind == "~" else {}
    if kind == "~" and not changed:
        return
    council = audit.cached(member, "council")
    action = {
        "+": AuditAction.MEMBER_ADDED,
        "~": AuditAction.MEMBER_CHANGED,
        "-": AuditAction.MEMBER_REMOVED,
    }[kind]

    def summary() -> str:
        role = CouncilRole(member.role).label
        if kind == "+":
            text = _("%(person)s added to the council as %(role)s")
        elif kind == "-":
            text = _("%(person)s removed from the council (was %(role)s)")
        else:
            text = _("%(person)s is now %(role)s of the council (was %(before)s)")
        before = changed.get("role", {}).get("before")
        return text % {
            "person": _member_text(member),
            "role": role,
            "before": CouncilRole(before).label if before in CouncilRole.values else "—",
        }

    audit.record(
        action=action,
        summary=audit.in_site_language(summary),
        campaign_id=council.campaign_id,
        actor=user,
        object_type=audit.label(CouncilMember),
        object_id=member.pk,
        details={"person": member.user_id, "role": member.role, "changes": changed},
        at=history.history_date,
    )


def _unit_names(unit_ids) -> list[str]:
    return sorted(
        AdministrativeUnit.objects.filter(pk__in=list(unit_ids)).values_list("name", flat=True)
    )


def _assignment_changed(assignment: Assignment, kind: str, user, history) -> None:
    """An assignment made or taken away; a change of its units is ``_units_changed``'s."""
    if kind == "~":
        return
    member = audit.cached(assignment, "member")
    council = audit.cached(member, "council")
    indicator = audit.cached(assignment, "indicator")
    added = kind == "+"

    def summary() -> str:
        text = (
            _("Indicator %(code)s assigned to %(person)s")
            if added
            else _("Indicator %(code)s no longer assigned to %(person)s")
        )
        return text % {"code": indicator.code, "person": _member_text(member)}

    audit.record(
        action=AuditAction.ASSIGNMENT_ADDED if added else AuditAction.ASSIGNMENT_REMOVED,
        summary=audit.in_site_language(summary),
        campaign_id=council.campaign_id,
        actor=user,
        object_type=audit.label(Assignment),
        object_id=assignment.pk,
        details={"indicator": indicator.code, "member": member.pk, "person": member.user_id},
        at=history.history_date,
    )


def _units_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """The units of an assignment changed (``m2m_changed`` of ``Assignment.units``)."""
    if reverse or action not in ("post_add", "post_remove", "post_clear"):
        return
    if action != "post_clear" and not pk_set:
        return
    assignment = instance
    member = audit.cached(assignment, "member")
    council = audit.cached(member, "council")
    indicator = audit.cached(assignment, "indicator")
    names = _unit_names(pk_set or ())
    user = getattr(assignment, "_history_user", None)

    def summary() -> str:
        if action == "post_add":
            text = _("Indicator %(code)s, %(person)s: now also in %(units)s")
        elif action == "post_remove":
            text = _("Indicator %(code)s, %(person)s: no longer in %(units)s")
        else:
            text = _("Indicator %(code)s, %(person)s: now in every assessed unit")
        return text % {
            "code": indicator.code,
            "person": _member_text(member),
            "units": ", ".join(names),
        }

    audit.record(
        action=AuditAction.ASSIGNMENT_CHANGED,
        summary=audit.in_site_language(summary),
        campaign_id=council.campaign_id,
        actor=user,
        object_type=audit.label(Assignment),
        object_id=assignment.pk,
        details={
            "indicator": indicator.code,
            "member": member.pk,
            "added" if action == "post_add" else "removed": sorted(pk_set or ()),
            "unit_names": names,
        },
    )


def _appraisal_recorded(appraisal: Appraisal, kind: str, user, history) -> None:
    if kind == "-":
        return
    changed = audit.changes(appraisal)
    if kind == "~" and not changed:
        return
    appraisal_entry(
        appraisal, user, new=kind == "+", changed=changed, at=history.history_date
    ).save()


def appraisal_entry(appraisal: Appraisal, user, *, new: bool, changed: dict, at=None):
    """The unsaved entry of an appraisal recorded (``new``) or corrected (``changed``).

    Also for ``dti.demo``'s appraisals written in bulk, with their history rows.
    """
    response = audit.cached(appraisal, "response")
    assessment = audit.cached(response, "assessment")
    indicator = audit.cached(response, "indicator")
    score = changed.get("score", {})

    def summary() -> str:
        values = {
            "code": indicator.code,
            "round": Round(appraisal.round).label,
            "score": audit.number(appraisal.score),
            "before": audit.number(score.get("before")),
            "self": audit.number(response.self_score),
        }
        if not new and score:
            return _("Indicator %(code)s, %(round)s: score %(before)s → %(score)s") % values
        if not new:
            return _("Indicator %(code)s, %(round)s: comment changed, score %(score)s") % values
        return _("Indicator %(code)s, %(round)s: score %(score)s (self score %(self)s)") % values

    return audit.entry(
        action=AuditAction.APPRAISAL_RECORDED,
        summary=audit.in_site_language(summary),
        campaign_id=assessment.campaign_id,
        unit_id=assessment.unit_id,
        actor=user,
        object_type=audit.label(Appraisal),
        object_id=appraisal.pk,
        details={
            "indicator": indicator.code,
            "round": appraisal.round,
            "member": appraisal.member_id,
            "self_score": response.self_score,
            "changes": changed,
        },
        at=at,
    )


def _explanation_changed(explanation: Explanation, kind: str, user, history) -> None:
    """Only submissions: a draft is the unit's own business until it is submitted."""
    if kind == "-":
        return
    changed = audit.changes(explanation)
    submitted = explanation.status == ExplanationStatus.SUBMITTED and (
        "status" in changed or "submitted_at" in changed
    )
    if not submitted:
        return
    response = audit.cached(explanation, "response")
    assessment = audit.cached(response, "assessment")
    indicator = audit.cached(response, "indicator")

    def summary() -> str:
        return _("Indicator %(code)s: explanation submitted (%(count)s characters)") % {
            "code": indicator.code,
            "count": len(explanation.text),
        }

    audit.record(
        action=AuditAction.EXPLANATION_SUBMITTED,
        summary=audit.in_site_language(summary),
        campaign_id=assessment.campaign_id,
        unit_id=assessment.unit_id,
        actor=user,
        object_type=audit.label(Explanation),
        object_id=explanation.pk,
        details={"indicator": indicator.code, "text": explanation.text},
        at=history.history_date,
    )


def connect() -> None:
    from simple_history.signals import post_create_historical_record

    audit.track(Council, ["decision_number", "decision_date"])
    audit.track(CouncilMember, ["role"])
    audit.track(Appraisal, ["inputs", "score", "comment"])
    audit.track(Explanation, ["status", "submitted_at", "text"])
    handlers = {
        Council: _council_changed,
        CouncilMember: _member_changed,
        Assignment: _assignment_changed,
        Appraisal: _appraisal_recorded,
        Explanation: _explanation_changed,
    }
    receiver = audit.on_history(handlers)
    for model in handlers:
        post_create_historical_record.connect(
            receiver,
            sender=model.history.model,
            weak=False,
            dispatch_uid=f"audit-{audit.label(model)}",
        )
    m2m_changed.connect(
        _units_changed, sender=Assignment.units.through, dispatch_uid="audit-assignment-units"
    )
