"""``manage.py api_token_create --username hoang.thongke --name "Hệ thống báo cáo thống kê"``

Makes an API token for a person and prints it on standard output, once: only
its SHA-256 is stored. For setting up a system without a browser; people
make their own on the page /tai-khoan/api/.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from api import services


class Command(BaseCommand):
    help = "Create an API token for a person and print it (shown once; only its hash is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="The person the token acts for.")
        parser.add_argument("--name", required=True, help="Which system will use the token.")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No account with the username {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"The account {user.username!r} is deactivated.")
        try:
            token, raw = services.token_create(user=user, name=options["name"])
        except (PermissionDenied, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(messages)) from None
        self.stderr.write(f"Token {token.prefix}… “{token.name}” for {user.username}:")
        self.stdout.write(raw)
