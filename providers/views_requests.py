"""The data request pages: a council member asks an agency, the agency answers.

- ``request_ask``: from a response the member appraises, the form and the
  requests already made about it;
- ``request_inbox``: the agency's requests (waiting, overdue, answered,
  withdrawn), one page at a time, for its data providers;
- ``request_detail``: one request, its answer and files; the answer form
  for the agency, the withdraw button for the member who asked;
- ``request_file_download``: a file of an answer, never public;
- ``member_requests``: the member's own requests in one campaign.

Thin views: objects come from ``selectors``, every check from ``permissions``
(404 for whoever may not see the object), every write from ``services``.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from assessments import permissions as assessment_permissions
from assessments import uploads
from assessments.models import Response
from assessments.views import INLINE_TYPES, _inputs_text, refusal_messages
from councils import permissions as council_permissions

from . import permissions, selectors, services
from .forms_requests import AskForm
from .models import DataRequestStatus

DEFAULT_DUE_DAYS = 7


def _response_to_ask_about(request, pk) -> Response:
    response = (
        Response.objects.select_related(
            "indicator", "assessment__unit", "assessment__campaign__organizing_unit"
        )
        .filter(pk=pk)
        .first()
    )
    if response is None or not permissions.can_ask_for_data(request.user, response):
        raise Http404
    return response


@login_required
@require_http_methods(["GET", "POST"])
def request_ask(request, response_pk):
    """Ask an agency for a figure about one response; the requests already made below."""
    response = _response_to_ask_about(request, response_pk)
    agencies = selectors.askable_agencies(response=response)
    errors: list[str] = []
    if request.method == "POST":
        form = AskForm(request.POST, agencies=agencies)
        if form.is_valid():
            data = form.cleaned_data
            try:
                data_request = services.data_request_ask(
                    user=request.user,
                    response=response,
                    agency=data["agency"],
                    question=data["question"],
                    due_date=data["due_date"],
                )
            except (PermissionDenied, ValidationError) as exc:
                errors = refusal_messages(exc)
            else:
                messages.success(
                    request,
                    _("Your request has been sent to %(agency)s.")
                    % {"agency": data_request.agency},
                )
                url = reverse("providers:request_ask", kwargs={"response_pk": response.pk})
                return redirect(f"{url}#requests")
        else:
            errors = [error for field in form.errors.values() for error in field]
    else:
        due = timezone.localdate() + timedelta(days=DEFAULT_DUE_DAYS)
        form = AskForm(initial={"due_date": due}, agencies=agencies)
    assessment = response.assessment
    return render(
        request,
        "providers/requests/ask.html",
        {
            "response": response,
            "assessment": assessment,
            "campaign": assessment.campaign,
            "indicator": response.indicator,
            "self_text": _inputs_text(response.indicator, response.inputs),
            "form": form,
            "errors": errors,
            "has_agencies": agencies.exists(),
            "data_requests": selectors.response_requests(user=request.user, response=response),
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def request_inbox(request):
    """The agency's requests, one box and one page at a time (``?box=``, ``?trang=``)."""
    if not permissions.is_data_provider(request.user):
        raise Http404
    box = request.GET.get("box")
    if box not in selectors.INBOX_BOXES:
        box = "open"
    counts = selectors.inbox_counts(user=request.user)
    rows, page = selectors.agency_inbox(
        user=request.user,
        box=box,
        page=request.GET.get(selectors.PAGE_PARAMETER),
        counts=counts,
        label=_("data requests"),
    )
    return render(
        request,
        "providers/requests/inbox.html",
        {
            "box": box,
            "boxes": [(name, counts[name]) for name in selectors.INBOX_BOXES],
            "rows": rows,
            "page": page,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request, pk):
    """One request and its answer; the agency answers here, the member who asked withdraws."""
    data_request = selectors.data_request(pk)
    if data_request is None or not permissions.can_view_data_request(request.user, data_request):
        raise Http404
    errors: list[str] = []
    answer = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "answer":
                answer = request.POST.get("answer", "")
                services.data_request_answer(
                    user=request.user,
                    data_request=data_request,
                    answer=answer,
                    files=request.FILES.getlist("files"),
                )
                messages.success(
                    request,
                    _("Your answer has been sent to %(person)s.")
                    % {"person": data_request.asked_by},
                )
            elif action == "withdraw":
                services.data_request_withdraw(user=request.user, data_request=data_request)
                messages.success(request, _("The request has been withdrawn."))
            else:
                raise Http404
        except (PermissionDenied, ValidationError) as exc:
            errors = refusal_messages(exc)
        else:
            return redirect("providers:request_detail", pk=data_request.pk)
    user = request.user
    is_open = data_request.status == DataRequestStatus.OPEN
    assessment = data_request.response.assessment
    return render(
        request,
        "providers/requests/detail.html",
        {
            "data_request": data_request,
            "response": data_request.response,
            "assessment": assessment,
            "files": list(data_request.files.all()),
            "overdue": is_open and data_request.due_date < timezone.localdate(),
            "can_answer": is_open and permissions.can_answer_data_request(user, data_request),
            "can_withdraw": is_open and permissions.can_withdraw_data_request(user, data_request),
            "can_ask": permissions.can_ask_for_data(user, data_request.response),
            "can_see_history": assessment_permissions.can_view_assessment(user, assessment),
            "errors": errors,
            "answer": answer,
            "max_files": services.ANSWER_MAX_FILES,
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def request_file_download(request, pk):
    """A file of an answer, to whoever may see the request; never guessed by the browser."""
    request_file = selectors.request_file(pk)
    if request_file is None or not permissions.can_download_data_request_file(
        request.user, request_file
    ):
        raise Http404
    try:
        handle = request_file.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    content_type = request_file.content_type or "application/octet-stream"
    name = uploads.display_name(request_file.original_name, fallback=f"tep-{request_file.pk}")
    result = FileResponse(handle, content_type=content_type)
    result["Content-Disposition"] = content_disposition_header(
        content_type not in INLINE_TYPES, name
    )
    result["X-Content-Type-Options"] = "nosniff"
    result["Cache-Control"] = "private, no-store"
    result["Content-Length"] = str(request_file.size)
    return result


@login_required
@require_GET
def member_requests(request, campaign_pk):
    """The requests the member asked in one campaign, newest first, one page at a time."""
    member = council_permissions.membership(request.user, campaign_pk)
    if member is None:
        raise Http404
    campaign = member.council.campaign
    rows, page = selectors.member_requests(
        user=request.user,
        campaign=campaign,
        page=request.GET.get(selectors.PAGE_PARAMETER),
        label=_("data requests"),
    )
    return render(
        request,
        "providers/requests/mine.html",
        {
            "campaign": campaign,
            "member": member,
            "rows": rows,
            "page": page,
            "today": timezone.localdate(),
        },
    )
