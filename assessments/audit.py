"""Writes the audit log (``AuditEntry``): one row per change, inside the change's transaction.

Nothing here is called by the views. The rows are written by receivers, so
that a service does not have to remember the log:

* ``post_create_historical_record`` (django-simple-history), sent right after
  the history row of a change, in the same transaction: responses, general
  information and evidence here; councils, members, assignments, appraisals
  and explanations in ``councils.audit``;
* ``post_save`` of ``AssessmentTransition``: every change of state;
* ``post_save`` of ``rankings.Publication`` (``rankings.apps``).

The campaign-wide acts that keep no history (opening a campaign, its calendar,
its units, department assignments) call ``record`` from their service.

The values *before* a change come from the instance itself: ``track`` keeps a
copy of a few fields when the instance is loaded (``post_init``), so that
writing an entry costs one INSERT and no SELECT. Summaries are written in the
site's language (``LANGUAGE_CODE``), as the people of the campaign read them;
``details`` keeps the values for the export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models.signals import post_init, post_save
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from .models import (
    Assessment,
    AssessmentState,
    AssessmentTransition,
    AuditAction,
    AuditEntry,
    Evidence,
    EvidenceKind,
    Response,
    TransitionName,
)

SUMMARY_MAX = AuditEntry._meta.get_field("summary").max_length
MISSING = object()


# --- writing ----------------------------------------------------------------------


def actor_name(user) -> str:
    return str(user)[:200] if user is not None else ""


def record(**fields) -> AuditEntry:
    """Append one entry (one INSERT); the fields are ``entry``'s."""
    row = entry(**fields)
    row.save()
    return row


def entry(
    *,
    action: str,
    summary: str,
    campaign_id: int | None = None,
    unit_id: int | None = None,
    actor=None,
    object_type: str = "",
    object_id: int | None = None,
    details: dict | None = None,
    at=None,
) -> AuditEntry:
    """An unsaved entry (``record`` saves it; ``bulk_create`` writes many at once).

    ``actor`` None: the system or the calendar made the change.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry(
        campaign_id=campaign_id,
        unit_id=unit_id,
        at=at or timezone.now(),
        actor=actor,
        actor_name=actor_name(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=_short(summary),
        details=details or {},
    )


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def in_site_language(build: Callable[[], str]) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return build()


def number(value) -> str:
    """A score as the site's language writes it (``12,5``); ``—`` for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except ArithmeticError:
            return value
    return formats.number_format(value)


def label(model) -> str:
    return model._meta.label_lower


# --- values before the change ----------------------------------------------------------

TRACKED: dict[type, tuple[str, ...]] = {}


def track(model, fields: Iterable[str]) -> None:
    """Keep ``fields`` of every loaded ``model`` instance as they were (for ``before``)."""
    TRACKED[model] = tuple(fields)
    post_init.connect(_keep, sender=model, dispatch_uid=f"audit-keep-{label(model)}")


def _copy(value):
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _keep(sender, instance, **kwargs):
    values = instance.__dict__
    instance._audit_before = {name: _copy(values.get(name, MISSING)) for name in TRACKED[sender]}


def changes(instance) -> dict[str, dict[str, Any]]:
    """``{field: {"before", "after"}}`` of the tracked fields that changed since loading.

    The instance's copy is brought up to date: a second save compares with the first.
    """
    before = getattr(instance, "_audit_before", None) or {}
    changed = {}
    now = {}
    for name in TRACKED[type(instance)]:
        after = getattr(instance, name)
        was = before.get(name, MISSING)
        if was is MISSING:
            was = None
        if was != after:
            changed[name] = {"before": was, "after": after}
        now[name] = _copy(after)
    instance._audit_before = now
    return changed


def cached(instance, name: str):
    """A related object, from the instance's cache when the service loaded it (no query)."""
    return getattr(instance, name)


# --- the receivers of this app ------------------------------------------------------------


def on_history(handlers: dict[type, Callable]):
    """One receiver of ``post_create_historical_record`` for the models in ``handlers``."""

    def receiver(sender, instance, history_instance, history_user=None, **kwargs):
        handler = handlers.get(type(instance))
        if handler is not None:
            handler(instance, history_instance.history_type, history_user, history_instance)

    return receiver


def _assessment_of(instance) -> Assessment:
    return cached(instance, "assessment")


def _response_changed(response: Response, kind: str, user, history) -> None:
    if kind != "~":
        return  # blank rows come in bulk with the campaign; they go with their unit
    changed = changes(response)
    if not changed:
        return
    assessment = _assessment_of(response)
    indicator = cached(response, "indicator")
    score = changed.get("self_score")

    def summary() -> str:
        if score is not None:
            return _("Indicator %(code)s: self score %(before)s → %(after)s") % {
                "code": indicator.code,
                "before": number(score["before"]),
                "after": number(score["after"]),
            }
        return _("Indicator %(code)s: answer or note changed, self score %(score)s") % {
            "code": indicator.code,
            "score": number(response.self_score),
        }

    record(
        action=AuditAction.RESPONSE_CHANGED,
        summary=in_site_language(summary),
        campaign_id=assessment.campaign_id,
        unit_id=assessment.unit_id,
        actor=user,
        object_type=label(Response),
        object_id=response.pk,
        details={"indicator": indicator.code, "version": response.version, "changes": changed},
        at=history.history_date,
    )


def _general_info_changed(assessment: Assessment, kind: str, user, history) -> None:
    if kind != "~":
        return
    changed = changes(assessment)
    if not changed:
        return  # a change of state: the transition's entry says it
    info = changed["general_info"]
    before, after = info["before"] or {}, info["after"] or {}
    codes = sorted(code for code in set(before) | set(after) if before.get(code) != after.get(code))

    def summary() -> str:
        return _("General information changed: %(fields)s") % {
            "fields": "; ".join(
                f"{code} {before.get(code) or '—'} → {after.get(code) or '—'}" for code in codes
            )
        }

    record(
        action=AuditAction.GENERAL_INFO_CHANGED,
        summary=in_site_language(summary),
        campaign_id=assessment.campaign_id,
        unit_id=assessment.unit_id,
        actor=user,
        object_type=label(Assessment),
        object_id=assessment.pk,
        details={
            "changes": {
                code: {"before": before.get(code), "after": after.get(code)} for code in codes
            }
        },
        at=history.history_date,
    )


def evidence_text(evidence: Evidence) -> str:
    if evidence.kind == EvidenceKind.FILE:
        return _("file “%(name)s”") % {"name": evidence.original_name}
    if evidence.kind == EvidenceKind.CITATION:
        return _("document %(number)s of %(issuer)s") % {
            "number": evidence.citation_number,
            "issuer": evidence.citation_issuer,
        }
    return _("link %(url)s") % {"url": evidence.url}


def _evidence_changed(evidence: Evidence, kind: str, user, history) -> None:
    if kind not in ("+", "-"):
        return
    response = cached(evidence, "response")
    assessment = _assessment_of(response)
    indicator = cached(response, "indicator")
    added = kind == "+"

    def summary() -> str:
        text = (
            _("Indicator %(code)s: evidence added, %(what)s")
            if added
            else _("Indicator %(code)s: evidence removed, %(what)s")
        )
        return text % {"code": indicator.code, "what": evidence_text(evidence)}

    record(
        action=AuditAction.EVIDENCE_ADDED if added else AuditAction.EVIDENCE_REMOVED,
        summary=in_site_language(summary),
        campaign_id=assessment.campaign_id,
        unit_id=assessment.unit_id,
        actor=user,
        object_type=label(Evidence),
        object_id=evidence.pk if evidence.pk is not None else history.id,
        details={
            "indicator": indicator.code,
            "kind": evidence.kind,
            "phase": evidence.phase,
            "file": evidence.original_name,
            "sha256": evidence.sha256,
            "document": evidence.citation_number,
            "url": evidence.url,
        },
        at=history.history_date,
    )


def _transition_recorded(sender, instance: AssessmentTransition, created: bool, **kwargs) -> None:
    if not created or kwargs.get("raw"):
        return
    assessment = cached(instance, "assessment")

    def summary() -> str:
        action = TransitionName(instance.name).label
        source = AssessmentState(instance.from_state).label
        target = AssessmentState(instance.to_state).label
        text = f"{action}: {source} → {target}"
        if instance.reason:
            text += " · " + _("reason: %(reason)s") % {"reason": instance.reason}
        return text

    details = {"from": instance.from_state, "to": instance.to_state, "reason": instance.reason}
    if instance.name == TransitionName.REOPEN and assessment.extended_until:
        details["extended_until"] = assessment.extended_until
    record(
        action=AuditAction(instance.name),
        summary=in_site_language(summary),
        campaign_id=assessment.campaign_id,
        unit_id=assessment.unit_id,
        actor=instance.by,
        object_type=label(Assessment),
        object_id=assessment.pk,
        details=details,
        at=instance.at,
    )


def connect() -> None:
    """Called once by ``AssessmentsConfig.ready``."""
    from simple_history.signals import post_create_historical_record

    track(Response, ["inputs", "self_score", "note"])
    track(Assessment, ["general_info"])
    handlers = {
        Response: _response_changed,
        Assessment: _general_info_changed,
        Evidence: _evidence_changed,
    }
    receiver = on_history(handlers)
    for model in handlers:
        post_create_historical_record.connect(
            receiver, sender=model.history.model, weak=False, dispatch_uid=f"audit-{label(model)}"
        )
    post_save.connect(
        _transition_recorded, sender=AssessmentTransition, dispatch_uid="audit-transition"
    )
