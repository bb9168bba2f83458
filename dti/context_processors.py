"""Values every page's layout needs."""

import unicodedata

from django.conf import settings
from django.utils.translation import get_language_info

from .views import user_roles


def navigation(request):
    """Role labels of the signed-in user (read only when a page shows them) and the languages.

    Each language is offered under its own name (Tiếng Việt, English). Django spells
    some of those names with combining accents; NFC gives the precomposed letters
    that Vietnamese text uses everywhere else.
    """
    user = getattr(request, "user", None)

    def role_labels():
        return [role.label for role in user_roles(user)] if user is not None else []

    languages = [
        (code, unicodedata.normalize("NFC", get_language_info(code)["name_local"]))
        for code, _name in settings.LANGUAGES
    ]
    return {"user_role_labels": role_labels, "language_choices": languages}
