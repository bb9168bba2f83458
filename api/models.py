"""API tokens (one person each, same permissions as their pages) and idempotent requests.

A token is shown once when created; only its SHA-256 is stored, so a leaked
database does not leak working tokens. An ``IdempotentRequest`` keeps the
answer to a bulk submission under the client's key, so that re-sending the
same request returns the same answer and changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="api_tokens",
        on_delete=models.CASCADE,
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Which system uses it."))
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("The first characters, to tell tokens apart.")
    )
    key_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class IdempotentRequest(models.Model):
    """The stored answer to one bulk submission, under the client's key."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="+", on_delete=models.CASCADE
    )
    key = models.CharField(_("client key"), max_length=100)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    body_hash = models.CharField(_("SHA-256 of the request body"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="unique_client_key_per_user_and_endpoint"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.endpoint} – {self.key}"
