"""Every refusal of the API as JSON ``{"detail": "…"}``, in the site's language; never a 500.

Messages from the services are already translated (they use gettext, like
the pages); django-ninja's own few English messages are translated here.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError


class NotFound(HttpError):
    def __init__(self, message: str | None = None):
        super().__init__(404, message or _("Not found."))


def _ninja_message(exc: HttpError) -> str:
    known = {
        "Cannot parse request body": _("The request body is not valid JSON."),
        "Unauthorized": _("Send your API token in the header Authorization: Bearer <token>."),
        "Forbidden": _("You may not do this."),
    }
    return known.get(str(exc), str(exc))


def _location(loc) -> list:
    return [part if isinstance(part, int) else str(part) for part in loc]


def install(api: NinjaAPI) -> None:
    def answer(request, status: int, message: str, **extra):
        return api.create_response(request, {"detail": str(message), **extra}, status=status)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return answer(request, exc.status_code, _ninja_message(exc))

    @api.exception_handler(AuthenticationError)
    def unauthorized(request, exc: AuthenticationError):
        response = answer(request, 401, _ninja_message(exc))
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    @api.exception_handler(Throttled)
    def throttled(request, exc: Throttled):
        if exc.wait:
            message = _(
                "Too many requests: wait %(seconds)d seconds, then send this request again."
            ) % {"seconds": exc.wait}
        else:
            message = _("Too many requests: wait a little, then send this request again.")
        return answer(request, 429, message)

    @api.exception_handler(ValidationError)
    def invalid(request, exc: ValidationError):
        errors = [
            {"loc": _location(error.get("loc", ())), "msg": str(error.get("msg", ""))}
            for error in exc.errors
        ]
        return answer(
            request, 422, _("The request is not valid: see errors for each field."), errors=errors
        )

    @api.exception_handler(DjangoValidationError)
    def refused(request, exc: DjangoValidationError):
        return answer(request, 422, " ".join(str(m) for m in exc.messages))

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc: PermissionDenied):
        return answer(request, 403, str(exc) or _("You may not do this."))

    @api.exception_handler(Http404)
    def not_found(request, exc: Http404):
        return answer(request, 404, _("Not found."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc: RequestDataTooBig):
        return answer(
            request, 413, _("The request is too large: send the rows in several requests.")
        )
