"""Writes of the API: a person's tokens, and bulk submissions of figures under a client key.

A token is made of ``dti_`` and 43 random URL-safe characters; only its
SHA-256 is stored, with its first 12 characters to tell tokens apart, so it
is shown once, when created. A bulk submission runs ``providers.services.
figures_provide`` (which checks every row against the sender's assignments
and writes the audit entry) and stores its answer under the client's
``Idempotency-Key`` in the same transaction: the same key with the same body
returns that answer again and writes nothing; the same key with another body
is refused.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import Campaign
from providers import services as provider_services
from providers.models import Channel
from providers.services import FigureRow, RowResult

from . import permissions, selectors
from .models import ApiToken, IdempotentRequest

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "dti_"
PREFIX_LENGTH = 12
MAX_ACTIVE_TOKENS = 20
NAME_MAX = ApiToken._meta.get_field("name").max_length
# last_used_at is written at most this often, so that a busy client does not
# write its token's row on every request.
TOUCH_EVERY = timedelta(minutes=1)

FIGURES_ENDPOINT = "provider.figures"


# --- tokens ---------------------------------------------------------------------------


def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row, and the token itself (shown once, never stored)."""
    if not permissions.can_have_tokens(user):
        raise PermissionDenied(_("Only an active account can hold API tokens."))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Name the token after the system that will use it."))
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("A token's name has at most %(count)d characters.") % {"count": NAME_MAX}
        )
    with transaction.atomic():
        # One person's creations one at a time, so that the limit below holds.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if selectors.active_token_count(user=user) >= MAX_ACTIVE_TOKENS:
            raise ValidationError(
                _("You have %(count)d active tokens: revoke one you no longer use first.")
                % {"count": MAX_ACTIVE_TOKENS}
            )
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user, name=name, prefix=raw[:PREFIX_LENGTH], key_hash=selectors.key_hash(raw)
        )
    logger.info("API token %s (%s) created for %s", token.pk, token.prefix, user.get_username())
    return token, raw


def token_revoke(*, user, token: ApiToken) -> ApiToken:
    """Revoke one of the person's own tokens; it stops working at once."""
    if not permissions.can_manage_token(user, token):
        raise PermissionDenied(_("You may not revoke another person's token."))
    now = timezone.now()
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
    if not revoked:
        raise ValidationError(_("This token was revoked already."))
    token.revoked_at = now
    logger.info("API token %s (%s) revoked by %s", token.pk, token.prefix, user.get_username())
    return token


def token_touch(*, token: ApiToken) -> None:
    """Note that the token was used (at most once a minute: one UPDATE, often none)."""
    now = timezone.now()
    if token.last_used_at is not None and token.last_used_at > now - TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOUCH_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now


# --- bulk submission of figures -----------------------------------------------------------


class KeyReused(ValidationError):
    """The client's key was used before for a different request."""


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict
    replayed: bool = False


def _row(result: RowResult) -> dict:
    return {
        "index": result.index,
        "unit": result.unit,
        "unit_name": result.unit_name,
        "figure": result.figure,
        "status": result.status,
        "prefilled": result.prefilled,
        "messages": [str(message) for message in result.messages],
    }


def _summary(campaign: Campaign, results: list[RowResult]) -> dict:
    counts = {status: 0 for status in ("created", "updated", "unchanged", "error")}
    for result in results:
        counts[result.status] += 1
    return {
        "campaign": campaign.pk,
        "rows": len(results),
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "errors": counts["error"],
        "results": [_row(result) for result in results],
    }


def figures_submit(
    *, user, campaign: Campaign, key: str, body_hash: str, rows: Sequence[FigureRow]
) -> Answer:
    """Receive a provider's figures once per client key; the stored answer on a repeat.

    Refusals of the whole request (``PermissionDenied``) store nothing, so the
    same key may be sent again once the cause is fixed.
    """
    with transaction.atomic():
        try:
            # Taken first: a concurrent request with the same key waits here for this
            # one's commit, then finds its answer.
            with transaction.atomic():
                stored = IdempotentRequest.objects.create(
                    user=user,
                    endpoint=FIGURES_ENDPOINT,
                    key=key,
                    body_hash=body_hash,
                    status_code=200,
                    response={},
                )
        except IntegrityError:
            previous = IdempotentRequest.objects.get(user=user, endpoint=FIGURES_ENDPOINT, key=key)
            if previous.body_hash != body_hash:
                raise KeyReused(
                    _(
                        "This Idempotency-Key was used before for a different request. "
                        "Send new figures under a new key."
                    )
                ) from None
            return Answer(previous.status_code, previous.response, replayed=True)
        results = provider_services.figures_provide(
            user=user, campaign=campaign, rows=rows, channel=Channel.API
        )
        stored.response = _summary(campaign, results)
        stored.save(update_fields=["response"])
    return Answer(stored.status_code, stored.response)
