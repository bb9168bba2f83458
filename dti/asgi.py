import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dti.settings")
application = get_asgi_application()

from dti.startup import require_secret_key  # noqa: E402 - needs the settings above

require_secret_key()
