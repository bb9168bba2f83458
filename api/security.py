"""Token authentication: ``Authorization: Bearer <token>``, one person per token.

Sessions never authenticate the API (so it needs no CSRF token): a request
without a valid token is 401 with a JSON message, whatever cookies it sends.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from . import selectors, services


class TokenAuth(HttpBearer):
    """Finds the token by its SHA-256; a wrong, revoked or deactivated one is refused."""

    def __call__(self, request):
        # Not HttpBearer's: it logs the header it cannot read, token included.
        scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw:
            raise AuthenticationError(
                message=_("Send your API token in the header Authorization: Bearer <token>.")
            )
        return self.authenticate(request, raw)

    def authenticate(self, request, token: str):
        found = selectors.token_for_key(token)
        if found is None:
            raise AuthenticationError(message=_("This API token is not valid."))
        if found.revoked_at is not None:
            raise AuthenticationError(message=_("This API token was revoked."))
        if not found.user.is_active:
            raise AuthenticationError(message=_("The account of this API token is deactivated."))
        services.token_touch(token=found)
        # The person acts through the token: the history of what they change names them.
        request.user = found.user
        return found


token_auth = TokenAuth()
