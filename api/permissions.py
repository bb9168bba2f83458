"""Who may use the API and manage tokens; the data's own rules are the apps' predicates.

A token acts as its person: the provider endpoints ask
``providers.permissions`` exactly as the provider pages do, and the public
results need no permission at all (only a publication). Nothing here grants
anything the pages would not.
"""

from __future__ import annotations

from collections.abc import Iterable

from providers import permissions as provider_permissions
from providers.models import ProviderAssignment


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_have_tokens(user) -> bool:
    """Any active person may hold tokens: a token can do only what its person may."""
    return _active(user)


def can_manage_token(user, token) -> bool:
    """A person lists and revokes their own tokens only."""
    return _active(user) and token.user_id == user.pk


def is_data_provider(user) -> bool:
    return provider_permissions.is_data_provider(user)


def provides_in(user, assignments: Iterable[ProviderAssignment]) -> list[ProviderAssignment]:
    """The assignments (of one campaign) the person provides for, as the provider pages ask."""
    return [a for a in assignments if provider_permissions.is_provider_for(user, a)]
