"""The token page: a signed-in person makes, lists and revokes their own API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.views import refusal_messages

from . import selectors, services
from .forms import TokenForm

# The new token waits in the session between the POST and the page that shows it (one
# redirect, so that reloading the page cannot make a second token); that page takes it out.
NEW_TOKEN = "api_new_token"


@login_required
def token_list(request):
    """GET: the person's tokens and the form (and a new token, once); POST: make one."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.token_create(user=request.user, name=form.cleaned_data["name"])
        except (PermissionDenied, ValidationError) as exc:
            for message in refusal_messages(exc):
                form.add_error(None, message)
        else:
            request.session[NEW_TOKEN] = {"pk": token.pk, "raw": raw}
            return redirect("api:token_list")
    tokens = selectors.user_tokens(user=request.user)
    new = request.session.pop(NEW_TOKEN, None) if request.method == "GET" else None
    created = next((t for t in tokens if new and t.pk == new["pk"]), None)
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "created": created,
            "raw_token": new["raw"] if created is not None else None,
            "api_root": request.build_absolute_uri(reverse("api-v1:api-root")),
            "docs_url": reverse("api-v1:openapi-view"),
            "schema_url": reverse("api-v1:openapi-json"),
        },
    )
    add_never_cache_headers(response)  # the new token must not stay in any cache
    return response


@login_required
@require_POST
def token_revoke(request, pk):
    token = selectors.user_token(user=request.user, pk=pk)
    if token is None:
        raise Http404
    try:
        services.token_revoke(user=request.user, token=token)
    except (PermissionDenied, ValidationError) as exc:
        for message in refusal_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name},
        )
    return redirect("api:token_list")
