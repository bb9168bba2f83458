"""What the provenance tests (the unit's pages, the council's) share: the world's figures
(tests/providers/conftest.py), sending them, and reading the pages' words."""

import re

from django.utils import timezone

from providers import services
from providers.models import Channel

HOUSEHOLDS = "tong_so_ho_gia_dinh"
FIBRE_LABEL = "Số hộ gia đình có kết nối Internet cáp quang"
NOTE = "Số liệu Viettel chưa gồm 20 hộ dùng VNPT"


def provide(world, user, rows, channel=Channel.API):
    return services.figures_provide(user=user, campaign=world.campaign, rows=rows, channel=channel)


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


def text(fragment: str) -> str:
    """The words of an HTML fragment, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())
