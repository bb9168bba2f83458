"""The providers' district with an appraisal council and the agencies it asks.

Used by the data request tests (``test_data_requests.py``, ``test_data_request_pages.py``)
on top of ``conftest.world``: the police (two data providers, one without the
role, one deactivated), the culture office (no data provider), the post office
of commune A (an agency *of* the assessed unit), and a council of three: the
police's Minh (the one who asks), the culture office's Lan, and the postman
An who belongs to commune A.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import Response
from councils import services as council_services
from providers import services
from tests.factories import AgencyFactory, UserFactory

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."


def upload(name="so-lieu.pdf", content=PDF):
    return SimpleUploadedFile(name, content)


@pytest.fixture
def private_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.PRIVATE_STORAGE_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture
def asked(world, private_root):
    district = world.district
    police = AgencyFactory(name="Công an huyện Thử", kind="police", unit=district)
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin Huyện Thử", unit=district)
    post_a = AgencyFactory(name="Bưu điện văn hóa xã A", kind="post", unit=world.a)
    provider = ["data_provider"]
    people = SimpleNamespace(
        **vars(world.people),
        member=UserFactory(full_name="Công an Minh", agency=police, email="minh@congan.vn"),
        colleague=UserFactory(full_name="Văn hóa Lan", agency=culture),
        postman=UserFactory(full_name="Bưu tá An", agency=post_a),
        police=UserFactory(
            full_name="Số liệu Công an", agency=police, roles=provider, email="so.lieu@congan.vn"
        ),
        police_second=UserFactory(agency=police, roles=provider, email="a.lieu@congan.vn"),
        police_inactive=UserFactory(agency=police, roles=provider, is_active=False),
        police_without_role=UserFactory(agency=police),
        post_a_provider=UserFactory(agency=post_a, roles=provider),
        admin=UserFactory(is_superuser=True, is_staff=True),
    )
    organizer = people.organizer
    council = council_services.council_create(
        campaign=world.campaign, user=organizer, decision_number="77/QĐ-UBND"
    )
    members = SimpleNamespace(
        member=council_services.member_add(
            council=council, user=organizer, member_user=people.member
        ),
        colleague=council_services.member_add(
            council=council, user=organizer, member_user=people.colleague
        ),
        postman=council_services.member_add(
            council=council, user=organizer, member_user=people.postman
        ),
    )
    council_services.assignment_set(
        council=council, user=organizer, member=members.member, indicators=[world.fibre]
    )
    responses = {
        unit.name: Response.objects.select_related("indicator", "assessment").get(
            assessment=world.assessments[unit.name], indicator=world.fibre
        )
        for unit in (world.a, world.b, world.c)
    }
    return SimpleNamespace(
        world=world,
        campaign=world.campaign,
        police=police,
        culture=culture,
        post_a=post_a,
        viettel=world.viettel,
        people=people,
        council=council,
        members=members,
        response_a=responses[world.a.name],
        response_b=responses[world.b.name],
        response_c=responses[world.c.name],
    )


def in_days(days: int):
    return timezone.localdate() + timedelta(days=days)


def ask(asked, *, user=None, response=None, agency=None, question=None, due_date=None):
    return services.data_request_ask(
        user=user or asked.people.member,
        response=response or asked.response_a,
        agency=agency or asked.police,
        question="Số thuê bao cáp quang của xã tại ngày 30/9?" if question is None else question,
        due_date=due_date or in_days(7),
    )


def answer(asked, data_request, *, user=None, text="1.234 thuê bao.", files=()):
    return services.data_request_answer(
        user=user or asked.people.police, data_request=data_request, answer=text, files=files
    )
