"""The unit's pages: self-assessment, evidence, history, submit and the leader's confirmation.

Views are thin: they find the objects (404 for whoever may not see them, as
``permissions.can_view_assessment`` says), turn the forms into the services'
arguments, and show the services' refusals. Every rule (who, when, scores)
lives in ``permissions``, the assessment's guards, the services and the
scoring engine.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_fsm import can_proceed
from django_htmx.http import reswap

from indicators import scoring

from . import permissions, provenance, selectors, services, uploads, windows
from .forms import (
    NOTE_PREFIX,
    CitationForm,
    ConfirmForm,
    EvidenceFileForm,
    GeneralInfoForm,
    LinkForm,
    ResponseForm,
    ReturnForm,
)
from .models import Assessment, AssessmentState, Evidence, EvidencePhase, PhaseKind, Response

INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


# --- finding objects: 404 for whoever may not see them ----------------------------


def _assessment_or_404(request, pk: int) -> Assessment:
    assessment = selectors.assessment_for_page().filter(pk=pk).first()
    if assessment is None or not permissions.can_view_assessment(request.user, assessment):
        raise Http404
    return assessment


def _response_or_404(request, pk: int, indicator_id: int) -> Response:
    assessment = _assessment_or_404(request, pk)
    response = (
        Response.objects.select_related("indicator", "indicator__pillar", "updated_by")
        .filter(assessment=assessment, indicator_id=indicator_id)
        .first()
    )
    if response is None:
        raise Http404
    response.assessment = assessment
    return response


def _evidence_or_404(request, pk: int) -> Evidence:
    evidence = (
        Evidence.objects.select_related(
            "response__assessment__campaign__indicator_set", "response__assessment__unit"
        )
        .filter(pk=pk)
        .first()
    )
    if evidence is None or not permissions.can_view_evidence(request.user, evidence):
        raise Http404
    return evidence


def _messages(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# --- what the page shows around the cards ----------------------------------------


def _read_only_reasons(request, assessment: Assessment) -> list[str]:
    """Why this person cannot change the self-assessment now (empty: they can)."""
    problems = assessment.editing_problems(EvidencePhase.SELF)
    editable = selectors.editable_indicator_ids(user=request.user, assessment=assessment)
    if editable is not None and not editable:
        problems = [
            _("You can read this self-assessment; only the unit's officers can change it."),
            *problems,
        ]
    return problems


def _page_context(request, assessment: Assessment, **extra) -> dict:
    reasons = _read_only_reasons(request, assessment)
    confirmed = None
    if assessment.state not in (AssessmentState.OPEN, AssessmentState.SELF_ASSESSED):
        confirmed = selectors.confirmed_at(assessment=assessment)
    return {
        "assessment": assessment,
        "window": windows.phase_of(assessment.campaign, PhaseKind.SELF_ASSESSMENT),
        "read_only_reasons": reasons,
        "can_edit": not reasons,
        "confirmed_at": confirmed,
        "returned": selectors.returned_by_leader(assessment=assessment),
        **extra,
    }


def _ratio_terms(indicator, general_info: dict, names: dict) -> list[dict]:
    """The ratio's terms taken from the general information, with their current values."""
    if indicator.method != scoring.RATIO:
        return []
    terms = []
    for term in ("a", "b"):
        spec = (indicator.rule or {}).get(term) or {}
        if spec.get("field"):
            terms.append(
                {
                    "term": term,
                    "label": spec.get("label") or names.get(spec["field"], spec["field"]),
                    "value": general_info.get(spec["field"]),
                }
            )
    return terms


def _card_context(
    request, assessment: Assessment, card, *, can_edit: bool, form=None, names=None, **extra
):
    card.ratio_terms = _ratio_terms(card.indicator, assessment.general_info or {}, names or {})
    card.answer_text = _inputs_text(card.indicator, card.response.inputs)
    card.provided_text = _provided_text(card)
    return {
        "assessment": assessment,
        "card": card,
        "form": form or _card_form(card),
        "can_edit": can_edit and card.editable,
        "general_info": assessment.general_info or {},
        **extra,
    }


def _provided_text(card) -> str:
    """The figure an agency provided for the card, in words ("" when none)."""
    provided = card.provenance.provided if card.provenance else None
    return _inputs_text(card.indicator, provided.value) if provided else ""


def _card_form(card, data=None) -> ResponseForm:
    response = card.response
    return ResponseForm(
        data,
        indicator=response.indicator,
        initial=ResponseForm.initial_from(response),
        auto_id=f"r{response.pk}-%s",
        provided_note=bool(card.provenance and card.provenance.provided),
    )


NOTE_REQUIRED = "provided_change_note_required"


def _note_required(exc: ValidationError) -> list[ValidationError]:
    """The refusals that ask for a reason for changing a provided figure."""
    if hasattr(exc, "error_dict"):
        errors = [error for field_errors in exc.error_dict.values() for error in field_errors]
    else:
        errors = exc.error_list
    return [error for error in errors if error.code == NOTE_REQUIRED]


def _render_card(request, assessment, indicator_id, *, form=None, status=200, **extra):
    # Read once: the card's badges, the progress and the submit button all use it.
    missing, total = selectors.assessment_progress(assessment=assessment)
    card = selectors.indicator_card(
        assessment=assessment, indicator_id=indicator_id, user=request.user, missing=missing
    )
    can_edit = not _read_only_reasons(request, assessment)
    names = _general_info_names(assessment)
    context = _card_context(
        request, assessment, card, can_edit=can_edit, form=form, names=names, **extra
    )
    context["general_info_names"] = names
    context["progress"] = _progress(missing=missing, total=total)
    context["oob_progress"] = True
    context.update(_actions(request, assessment, missing=missing))
    return render(request, "assessments/unit/_card.html", context, status=status)


def _general_info_names(assessment: Assessment) -> dict[str, str]:
    from indicators.models import GeneralInfoField

    return dict(
        GeneralInfoField.objects.filter(
            indicator_set_id=assessment.campaign.indicator_set_id
        ).values_list("code", "name")
    )


def _progress(*, missing: selectors.Missing, total: int) -> dict:
    return {"missing": missing, "total": total, "answered": total - len(missing.unanswered)}


def _actions(request, assessment: Assessment, *, missing=None) -> dict:
    """The submit button (and why it is disabled) or the leader's way to the confirm page.

    ``missing``: ``selectors.assessment_missing``'s answer, when the caller has it."""
    may_submit = permissions.can_submit(request.user, assessment)
    open_ = assessment.state == AssessmentState.OPEN
    return {
        "may_submit": may_submit and open_,
        "submit_problems": (
            assessment.submit_problems(missing=missing) if may_submit and open_ else []
        ),
        "may_review": permissions.can_confirm(request.user, assessment),
    }


# --- the self-assessment page ------------------------------------------------------


@login_required
def assessment_detail(request, pk):
    return _detail_page(request, _assessment_or_404(request, pk))


def _general_info_form(page, data=None) -> GeneralInfoForm:
    fields = [row.field for row in page.general_info]
    initial = {row.field.code: row.value for row in page.general_info}
    provided = set()
    for row in page.general_info:
        if row.provenance is not None and row.provenance.provided is not None:
            provided.add(row.field.code)
            initial[NOTE_PREFIX + row.field.code] = row.provenance.note
    return GeneralInfoForm(
        data, fields=fields, provided_codes=provided, initial=initial, auto_id="gi-%s"
    )


def _detail_page(request, assessment: Assessment, *, general_info_data=None, refusal=None):
    """The self-assessment page; with ``general_info_data``, its general information form
    bound to what was posted (a refusal: nothing typed is lost) and the refusal shown."""
    only_incomplete = request.GET.get("incomplete") == "1"
    page = selectors.assessment_page(
        assessment=assessment,
        user=request.user,
        only_incomplete=only_incomplete,
        page=request.GET.get(selectors.PAGE_PARAMETER),
    )
    context = _page_context(request, assessment)
    can_edit = context["can_edit"]
    info = assessment.general_info or {}
    for pillar in page.pillars:
        for card in pillar.cards:
            card.context = _card_context(
                request, assessment, card, can_edit=can_edit, names=page.general_info_names
            )
    gi_form = _general_info_form(page, general_info_data)
    status = 200
    if general_info_data is not None:
        status = 400
        gi_form.is_valid()
        for error in _note_required(refusal) if refusal is not None else []:
            code = (error.params or {}).get("code")
            if gi_form.note_field(code) is not None:
                gi_form.add_error(NOTE_PREFIX + code, error)
    for row in page.general_info:
        row.form_field = gi_form[row.field.code]
        row.note_field = gi_form.note_field(row.field.code)
        provided = row.provenance.provided if row.provenance else None
        row.provided_text = (
            _general_info_text(row.field, provided.value.get("value")) if provided else ""
        )
    context.update(_actions(request, assessment, missing=page.missing))
    context.update(
        {
            "page": page,
            "general_info": info,
            "general_info_form": gi_form,
            "general_info_names": page.general_info_names,
            "only_incomplete": only_incomplete,
            "progress": {
                "missing": page.missing,
                "total": page.total,
                "answered": page.answered,
            },
        }
    )
    return render(request, "assessments/unit/detail.html", context, status=status)


def _general_info_text(field, value) -> str:
    return provenance.general_info_text(value, number=field.kind == field.Kind.NUMBER)


@login_required
@require_http_methods(["GET", "POST"])
def response_save(request, pk, indicator_id):
    """POST: autosave one indicator (htmx); GET: the card as stored (after a conflict)."""
    response = _response_or_404(request, pk, indicator_id)
    assessment = response.assessment
    if request.method == "GET":
        return _render_card(request, assessment, indicator_id)
    form = ResponseForm(
        request.POST,
        indicator=response.indicator,
        auto_id=f"r{response.pk}-%s",
        provided_note=True,
    )
    if not form.is_valid():
        return _render_card(request, assessment, indicator_id, form=form, errors=[])
    version = form.cleaned_data["confirm_version"]
    if version is None:
        version = form.cleaned_data["expected_version"]
    # Absent (a page without the box): the reason already written stands.
    change_note = (
        form.cleaned_data["provided_change_note"]
        if "provided_change_note" in request.POST
        else None
    )
    try:
        services.response_save(
            user=request.user,
            response_id=response.pk,
            expected_version=version,
            inputs=form.inputs(),
            note=form.cleaned_data["note"],
            provided_change_note=change_note,
        )
    except services.StaleResponse as stale:
        # Keep the person's own values in the form, with the version they loaded.
        return _render_card(
            request,
            assessment,
            indicator_id,
            form=form,
            conflict=stale,
            conflict_text=_inputs_text(response.indicator, stale.inputs),
        )
    except PermissionDenied as exc:
        return _render_card(request, assessment, indicator_id, form=form, errors=[str(exc)])
    except ValidationError as exc:
        noted = _note_required(exc)
        if noted:
            # Shown on the reason's box, with everything typed kept in the form.
            form.add_error("provided_change_note", noted)
            others = [m for m in _messages(exc) if m not in form.errors["provided_change_note"]]
            return _render_card(request, assessment, indicator_id, form=form, errors=others)
        return _render_card(request, assessment, indicator_id, form=form, errors=_messages(exc))
    if (
        request.htmx
        and form.cleaned_data["confirm_version"] is None
        and "redraw" not in request.POST
    ):
        return _render_saved(request, assessment, indicator_id)
    # After a conflict ("keep my value") or a refusal (the card shows errors: it asks
    # for a ``redraw``), or without JavaScript: the whole card again.
    return _render_card(request, assessment, indicator_id, saved=True)


def _render_saved(request, assessment, indicator_id):
    """An autosave's answer: the score, version, badges and progress, not the card.

    The deadline rush is mostly autosaves; re-rendering the whole card (rule,
    inputs, evidence forms) for each cost more than the save itself, and
    swapping it replaced the fields the person was typing in.
    """
    missing, total = selectors.assessment_progress(assessment=assessment)
    card = selectors.indicator_card(
        assessment=assessment, indicator_id=indicator_id, user=request.user, missing=missing
    )
    card.provided_text = _provided_text(card)
    context = {
        "assessment": assessment,
        "card": card,
        "progress": _progress(missing=missing, total=total),
        "oob_progress": True,
        **_actions(request, assessment, missing=missing),
    }
    return reswap(render(request, "assessments/unit/_saved.html", context), "none")


# The answer in words (the conflict panel, the council's rows): one home, ``provenance``.
_inputs_text = provenance.inputs_text


@login_required
@require_http_methods(["GET", "POST"])
def response_preview(request, pk, indicator_id):
    """The score the engine gives for what is typed, without saving (htmx)."""
    response = _response_or_404(request, pk, indicator_id)
    data = request.POST if request.method == "POST" else request.GET
    form = ResponseForm(data, indicator=response.indicator, auto_id=f"r{response.pk}-%s")
    score, errors = None, []
    if form.is_valid():
        inputs = form.inputs()
        if inputs is not None:
            try:
                score = response.indicator.score(inputs, response.assessment.general_info)
            except ValidationError as exc:
                errors = _messages(exc)
    else:
        errors = [e for field_errors in form.errors.values() for e in field_errors]
    return render(
        request,
        "assessments/unit/_score.html",
        {"score": score, "errors": errors, "indicator": response.indicator, "preview": True},
    )


@login_required
def response_history(request, pk, indicator_id):
    response = _response_or_404(request, pk, indicator_id)
    entries = selectors.response_history(response=response)
    template = "assessments/unit/_history.html" if request.htmx else "assessments/unit/history.html"
    return render(
        request,
        template,
        {"assessment": response.assessment, "response": response, "entries": entries},
    )


@login_required
@require_POST
def general_info_save(request, pk):
    """Save the general information; a refusal shows the page again with what was typed."""
    assessment = _assessment_or_404(request, pk)
    from indicators.models import GeneralInfoField

    fields = list(
        GeneralInfoField.objects.filter(indicator_set_id=assessment.campaign.indicator_set_id)
    )
    form = GeneralInfoForm(request.POST, fields=fields, provided_codes=[f.code for f in fields])
    if not form.is_valid():
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, error)
        return _detail_page(request, assessment, general_info_data=request.POST)
    try:
        services.assessment_set_general_info(
            assessment=assessment,
            user=request.user,
            values=form.values(request.POST),
            change_notes=form.change_notes(request.POST),
        )
    except (PermissionDenied, ValidationError) as exc:
        refusal = exc if isinstance(exc, ValidationError) else None
        noted = _note_required(refusal) if refusal is not None else []
        if noted:
            messages.error(
                request,
                _("Nothing was saved: write why you changed the provided figures marked below."),
            )
            for error in noted:  # one that names no field of the form: said at the top
                if not (error.params or {}).get("code"):
                    messages.error(request, refusal_messages(error)[0])
        else:
            for message in refusal_messages(exc):
                messages.error(request, message)
        return _detail_page(request, assessment, general_info_data=request.POST, refusal=refusal)
    messages.success(request, _("The general information has been saved."))
    # Back to the page of pillars the person was on (the form's action carries it).
    kept = {
        key: request.GET[key]
        for key in (selectors.PAGE_PARAMETER, "incomplete")
        if request.GET.get(key, "").isdigit()
    }
    query = f"?{urlencode(kept)}" if kept else ""
    return redirect(reverse("assessments:assessment_detail", args=[pk]) + query + "#general-info")


def refusal_messages(exc) -> list[str]:
    """A service's refusal (ValidationError or PermissionDenied) as messages for a page."""
    if isinstance(exc, ValidationError):
        return _messages(exc)
    return [str(exc)]


# --- evidence ------------------------------------------------------------------------


def evidence_add_from_post(request, response) -> None:
    """Add the evidence a posted form describes (``kind``: file, citation or link).

    Shared by the unit's page and the explanation page; a form that does not
    validate is refused with its messages (ValidationError), as the services'
    own refusals are. An unknown kind is a 404.
    """
    kind = request.POST.get("kind")
    if kind == "file":
        form = EvidenceFileForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ValidationError(_("Choose a file to attach."))
        # The service reads the upload in chunks; the view never reads it.
        services.evidence_add_file(
            response=response, user=request.user, uploaded_file=form.cleaned_data["file"]
        )
    elif kind in ("citation", "link"):
        form = (CitationForm if kind == "citation" else LinkForm)(request.POST)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        data = form.cleaned_data
        if kind == "citation":
            services.evidence_add_citation(
                response=response,
                user=request.user,
                number=data["number"],
                date=data["date"],
                issuer=data["issuer"],
                summary=data["summary"],
            )
        else:
            services.evidence_add_link(response=response, user=request.user, url=data["url"])
    else:
        raise Http404


@login_required
def evidence_forms(request, pk, indicator_id):
    """The card's forms to add evidence, asked for when "Add evidence" is opened (htmx)."""
    response = _response_or_404(request, pk, indicator_id)
    assessment = response.assessment
    reasons = _read_only_reasons(request, assessment)
    if not reasons and not permissions.can_edit_response(request.user, response):
        reasons = [_("You may not edit this indicator.")]
    return render(
        request,
        "assessments/unit/_evidence_forms.html",
        {
            "assessment": assessment,
            "indicator": response.indicator,
            "response": response,
            "read_only_reasons": reasons,
        },
    )


@login_required
@require_POST
def evidence_add(request, pk, indicator_id):
    """Attach a file, cite an official document or link a page (htmx; the card comes back)."""
    response = _response_or_404(request, pk, indicator_id)
    kind = request.POST.get("kind")
    errors = []
    try:
        evidence_add_from_post(request, response)
    except (PermissionDenied, ValidationError) as exc:
        errors = refusal_messages(exc)
    return _render_card(
        request,
        response.assessment,
        indicator_id,
        evidence_errors=errors,
        evidence_kind=kind,
        evidence_added=not errors,
    )


@login_required
@require_POST
def evidence_remove(request, pk):
    evidence = _evidence_or_404(request, pk)
    response = evidence.response
    assessment = _assessment_or_404(request, response.assessment_id)
    errors = []
    try:
        services.evidence_remove(evidence=evidence, user=request.user)
    except (PermissionDenied, ValidationError) as exc:
        errors = refusal_messages(exc)
    return _render_card(request, assessment, response.indicator_id, evidence_errors=errors)


@login_required
def evidence_download(request, pk):
    """The stored file, to whoever may see the assessment; never guessed by the browser."""
    evidence = _evidence_or_404(request, pk)
    if evidence.kind != "file" or not evidence.file:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = evidence.content_type or "application/octet-stream"
    inline = content_type in INLINE_TYPES
    name = uploads.display_name(evidence.original_name, fallback=f"tai-lieu-{evidence.pk}")
    result = FileResponse(handle, content_type=content_type)
    result["Content-Disposition"] = content_disposition_header(not inline, name)
    result["X-Content-Type-Options"] = "nosniff"
    result["Cache-Control"] = "private, no-store"
    if evidence.size:
        result["Content-Length"] = str(evidence.size)
    return result


# --- submit, confirm, return ---------------------------------------------------------


@login_required
@require_POST
def assessment_submit(request, pk):
    assessment = _assessment_or_404(request, pk)
    try:
        services.assessment_submit(assessment=assessment, user=request.user)
    except (PermissionDenied, ValidationError) as exc:
        for message in refusal_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The self-assessment has been submitted; the unit's leader will now confirm it."),
        )
    return redirect("assessments:assessment_detail", pk=pk)


def _review_problems(request, assessment: Assessment, transition) -> list[str]:
    """Why the leader's button is disabled (empty: it is enabled)."""
    permitted, refusal = services.WHO_MAY[transition]
    if not permitted(request.user, assessment):
        return [str(refusal)]
    method = getattr(assessment, transition)
    if not can_proceed(method, check_conditions=False):
        return [
            _(
                "This is possible only after the officer has submitted; "
                "the assessment is “%(state)s”."
            )
            % {"state": assessment.get_state_display()}
        ]
    return assessment.self_assessment_problems()


@login_required
@require_http_methods(["GET", "POST"])
def assessment_review(request, pk):
    """The leader's page: the self-scored summary, what is missing, confirm or return.

    Confirming cannot be undone, so the leader types their password again
    (``ConfirmForm``); a wrong one is shown on the form and nothing changes.
    """
    assessment = _assessment_or_404(request, pk)
    action = request.POST.get("action") if request.method == "POST" else None
    return_form = ReturnForm(request.POST if action == "return" else None)
    confirm_form = ConfirmForm(request.POST if action == "confirm" else None, request=request)
    status = 200
    if request.method == "POST":
        try:
            if action == "confirm" and confirm_form.is_valid():
                services.assessment_confirm(assessment=assessment, user=request.user)
                messages.success(request, _("The self-assessment figures have been confirmed."))
                return redirect("assessments:assessment_detail", pk=pk)
            if action == "return" and return_form.is_valid():
                services.assessment_return_for_editing(
                    assessment=assessment,
                    user=request.user,
                    reason=return_form.cleaned_data["reason"],
                )
                messages.success(
                    request, _("The self-assessment has been returned to the officer for editing.")
                )
                return redirect("assessments:assessment_detail", pk=pk)
        except (PermissionDenied, ValidationError) as exc:
            for message in refusal_messages(exc):
                messages.error(request, message)
            return redirect("assessments:assessment_review", pk=pk)
        if not (confirm_form.errors or return_form.errors):
            return redirect("assessments:assessment_review", pk=pk)
        status = 400  # the page again, with the form's errors and what was typed
    context = _page_context(request, assessment)
    context.update(
        {
            "summary": selectors.self_score_summary(assessment=assessment),
            "missing": selectors.assessment_missing(assessment=assessment),
            "confirm_problems": _review_problems(request, assessment, "confirm"),
            "return_problems": _review_problems(request, assessment, "return_for_editing"),
            "confirm_form": confirm_form,
            "return_form": return_form,
            "transitions": selectors.assessment_transitions(assessment=assessment),
            "places": assessment.campaign.indicator_set.decimal_places,
        }
    )
    return render(request, "assessments/unit/review.html", context, status=status)
