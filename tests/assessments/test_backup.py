"""Campaign archives: export a whole campaign, restore it into an empty database.

The round trip is proved on the six hand-computed communes of
tests/rankings/helpers.py, published, with evidence files (one of them
removed, so only the history names it), object permissions, the transition
log and the audit log: after ``flush`` and a restore the rankings, summaries,
published results, permissions and file bytes are the same, exporting again
gives the same data byte for byte, and recomputing gives the same rankings.
"""

import hashlib
import io
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.hashers import is_password_usable
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import assign_perm

from assessments import backup, services
from assessments.models import (
    AdministrativeUnit,
    Assessment,
    AssessmentState,
    AssessmentTransition,
    Campaign,
    Evidence,
    User,
)
from indicators.models import GeneralInfoField
from providers import services as provider_services
from providers.models import DataRequest, DataRequestFile, ProvidedFigure
from providers.services import FigureRow
from rankings import services as ranking_services
from rankings.models import Publication, PublishedResult, Ranking, ScoreSummary
from tests.factories import AgencyFactory, UserFactory, force_state
from tests.rankings.helpers import build_world, responses_by_unit

PDF = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 300
DECISION = {
    "decision_number": "2675/QĐ-UBND",
    "decision_date": date(2025, 11, 28),
    "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
    "signer_name": "Nguyễn Văn An",
}


@pytest.fixture
def storage(settings, tmp_path):
    """``storage("name")`` points the evidence storage at an empty folder and returns it."""

    def point(name: str) -> Path:
        root = tmp_path / name
        root.mkdir()
        settings.PRIVATE_STORAGE_ROOT = root
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(root), "base_url": None},
            },
        }
        return root

    return point


def published_world():
    """build_world, with evidence, permissions and a transition, computed and published."""
    world = build_world()
    campaign = world.campaign
    responses = responses_by_unit(campaign)
    a, b = world.assessments["Xã A"], world.assessments["Xã B"]
    world.officer = UserFactory(unit=a.unit, roles=["unit_officer"])
    world.other_officer = UserFactory(unit=b.unit, roles=["unit_officer"])
    world.pdf = services.evidence_add_file(
        response=responses["Xã A"]["1.1"],
        user=world.officer,
        uploaded_file=SimpleUploadedFile("Quyết định 12-QĐ.pdf", PDF),
    )
    world.png = services.evidence_add_file(
        response=responses["Xã B"]["7.1"],
        user=world.other_officer,
        uploaded_file=SimpleUploadedFile("ảnh chụp.png", PNG),
    )
    removed = services.evidence_add_file(
        response=responses["Xã A"]["1.2"],
        user=world.officer,
        uploaded_file=SimpleUploadedFile("nhầm.jpg", JPEG),
    )
    # removed: its file stays stored, named by the history only
    services.evidence_remove(evidence=removed, user=world.officer)
    services.evidence_add_citation(
        response=responses["Xã A"]["1.2"],
        user=world.officer,
        number="12/QĐ-UBND",
        date=date(2025, 3, 1),
        issuer="UBND xã A",
        summary="Kiện toàn Ban chỉ đạo",
    )
    AssessmentTransition.objects.create(
        assessment=a, name="submit", from_state="open", to_state="self_assessed", by=world.officer
    )
    # A data provider's figure and a council member's request answered with a file.
    statistics = AgencyFactory(name="Chi cục Thống kê", kind="statistics", unit=a.unit.parent)
    provider = UserFactory(agency=statistics, roles=["data_provider"])
    provider_services.provider_assignment_create(
        user=campaign.created_by,
        campaign=campaign,
        agency=statistics,
        info_field=GeneralInfoField.objects.get(
            indicator_set=campaign.indicator_set, code="tong_so_ho_gia_dinh"
        ),
    )
    provider_services.figures_provide(
        user=provider,
        campaign=campaign,
        rows=[FigureRow(unit=a.unit_id, field="tong_so_ho_gia_dinh", value=812)],
        channel="api",
    )
    request = DataRequest.objects.create(
        response=responses["Xã B"]["7.1"],
        agency=statistics,
        asked_by=world.chair.user,
        question="Số hồ sơ trực tuyến quý IV?",
        due_date=date(2025, 11, 30),
        status="answered",
        answer="Xem tệp đính kèm.",
        answered_by=provider,
    )
    DataRequestFile.objects.create(
        request=request,
        file=ContentFile(PDF, name="tra-loi.pdf"),
        original_name="Trả lời.pdf",
        size=len(PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        content_type="application/pdf",
        uploaded_by=provider,
    )
    assign_perm("assessments.close_appraisal_rounds", world.chair.user, campaign)
    assign_perm(
        "assessments.view_assessment",
        world.police.user,
        Assessment.objects.filter(campaign=campaign).exclude(pk=a.pk),
    )
    assign_perm("assessments.view_assessment", Group.objects.get(name="organizer"), a)
    for assessment in world.assessments.values():
        force_state(assessment, AssessmentState.APPRAISED_2)
    ranking_services.campaign_recompute(campaign=campaign)
    ranking_services.campaign_publish(campaign=campaign, user=campaign.created_by, **DECISION)
    return world


def results(*, times: bool = True) -> dict:
    """Everything the restore must give back, by unit names and usernames, never by ids."""
    unit = "assessment__unit__name"
    rankings = ["assessment__unit__code", "kind", "stage", "rank", "value"]
    summaries = ["stage", "achieved_points", "bonus_points", "max_points", "value", "band__name"]
    return {
        "rankings": list(
            Ranking.objects.order_by("stage", "kind", unit).values_list(
                unit, *rankings, *(["computed_at"] if times else [])
            )
        ),
        "summaries": list(
            ScoreSummary.objects.order_by("stage", unit).values_list(
                unit, *summaries, *(["computed_at"] if times else [])
            )
        ),
        "published": [
            {k: v for k, v in row.items() if k != "id"}
            for row in PublishedResult.objects.order_by("publication__version", "unit_name")
            .values()
            .iterator()
        ]
        if times
        else None,
        "publications": list(Publication.objects.values_list("version", "decision_number"))
        if times
        else None,
        "evidence": list(
            Evidence.objects.order_by("pk").values_list(
                "pk", "kind", "file", "sha256", "size", "original_name", "uploaded_by__username"
            )
        ),
        "provided": sorted(
            ProvidedFigure.objects.values_list(
                "assessment__unit__name", "assignment__agency__name", "value", "provided_at"
            )
        ),
        "provided_info": sorted(
            Assessment.objects.values_list("unit__name", "general_info", "general_info_provenance")
        ),
        "requests": list(
            DataRequestFile.objects.order_by("pk").values_list(
                "request__question", "request__answer", "file", "sha256", "original_name"
            )
        ),
        "user_permissions": sorted(
            UserObjectPermission.objects.values_list(
                "user__username", "permission__codename", "content_type__model", "object_pk"
            )
        ),
        "group_permissions": sorted(
            GroupObjectPermission.objects.values_list(
                "group__name", "permission__codename", "content_type__model", "object_pk"
            )
        ),
        "people": sorted(
            User.objects.values_list("username", "password", "unit__name", "groups__name")
        ),
    }


def row_counts() -> dict[str, int]:
    return {
        label: apps.get_model(label)._base_manager.count()
        for label in backup.all_tables()
        if label != "auth.group"
    }


def stored(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def data_members(path: Path) -> dict[str, dict]:
    with zipfile.ZipFile(path) as archive:
        members = json.loads(archive.read("manifest.json"))["members"]
    return {name: sums for name, sums in members.items() if name.startswith("data/")}


def rewritten(source: Path, target: Path, *, change: str | None = None, add=None, drop=None):
    """A copy of an archive with one byte of ``change`` flipped, ``add`` (name, bytes) added
    or ``drop`` left out; the manifest is copied unchanged."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename == drop:
                continue
            data = old.read(info)
            if info.filename == change:
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
            new.writestr(info, data)
        if add:
            new.writestr(*add)
    return target


def assert_refused(path: Path, message: str):
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_archive(path)
    assert message in str(refused.value)


# --- the round trip ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_restored_campaign_gives_identical_rankings_results_permissions_and_files(
    storage, tmp_path, client, monkeypatch
):
    original_root = storage("original")
    world = published_world()
    campaign_id, pdf_id = world.campaign.pk, world.pdf.pk
    before, counts, files = results(), row_counts(), stored(original_root)
    assert len(files) == 4 and counts["assessments.auditentry"] > 0
    assert counts["providers.providedfigure"] == counts["providers.datarequestfile"] == 1
    assert counts["assessments.historicalevidence"] > counts["assessments.evidence"]

    first = backup.export_campaigns([world.campaign], tmp_path / "first.zip")
    second = backup.export_campaigns([world.campaign], tmp_path / "second.zip")
    # Deterministic apart from the manifest's time: the same data, byte for byte.
    assert data_members(first.path) == data_members(second.path)
    assert first.manifest["members"] == second.manifest["members"]
    # (the database holds this campaign only, so the archive holds every row)
    assert {k: v for k, v in first.manifest["counts"].items() if k != "auth.group"} == counts
    assert {
        name.removeprefix("files/"): sums["sha256"]
        for name, sums in first.manifest["members"].items()
        if name.startswith("files/")
    } == files
    assert oct(first.path.stat().st_mode & 0o777) == "0o600"

    call_command("flush", interactive=False, verbosity=0)
    restored_root = storage("restored")
    assert backup.nonempty_tables() == [] and not Group.objects.exists()

    # A damaged or altered archive is refused, naming the member, and nothing is written.
    pdf_member = "files/" + before["evidence"][0][2]
    for change in (pdf_member, "data/rankings.ranking.jsonl"):
        damaged = rewritten(first.path, tmp_path / "damaged.zip", change=change)
        assert_refused(damaged, f"{change} does not match its SHA-256")
        assert backup.nonempty_tables() == [] and stored(restored_root) == {}

    # A restore that fails at its very end (files written) is undone: rows and files.
    seen = []

    def fail(*args):
        seen.append((row_counts()["assessments.evidence"], len(stored(restored_root))))
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(backup, "reset_sequences", fail)
        assert_refused(first.path, "The restore failed and was undone (RuntimeError")
    assert seen == [(counts["assessments.evidence"], 4)]  # it had got that far
    assert backup.nonempty_tables() == [] and stored(restored_root) == {}

    result = backup.restore_archive(first.path)

    assert result.files == 4
    assert set(result.created_groups) == {"data_provider", "organizer", "unit_officer"}
    assert results() == before
    assert row_counts() == counts
    assert stored(restored_root) == files
    # Exported again, the restored campaign is the same archive.
    again = backup.export_campaigns([Campaign.objects.get(pk=campaign_id)], tmp_path / "again.zip")
    assert data_members(again.path) == data_members(first.path)

    # The unit's officer downloads the file; another unit's officer may not; the
    # council member's object permission is back.
    client.force_login(User.objects.get(username=world.officer.username))
    download = client.get(reverse("assessments:evidence_download", args=[pdf_id]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    client.force_login(User.objects.get(username=world.other_officer.username))
    assert client.get(reverse("assessments:evidence_download", args=[pdf_id])).status_code == 404
    police = User.objects.get(username=world.police.user.username)
    others = Assessment.objects.filter(campaign_id=campaign_id).exclude(unit__name="Xã A")
    assert all(police.has_perm("assessments.view_assessment", a) for a in others)

    # New rows get new keys (the sequences were moved past the restored ones).
    newest = AdministrativeUnit.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert AdministrativeUnit.objects.create(name="Xã mới", kind="xa").pk > newest

    # A second restore is refused: the database is not empty any more.
    assert_refused(first.path, "The database is not empty")
    assert stored(restored_root) == files

    # Computed again from the restored responses and appraisals: the same rankings.
    ranking_services.campaign_recompute(campaign=Campaign.objects.get(pk=campaign_id))
    recomputed = results(times=False)
    assert recomputed["rankings"] == [row[:-1] for row in before["rankings"]]
    assert recomputed["summaries"] == [row[:-1] for row in before["summaries"]]


# --- refusals ------------------------------------------------------------------------------


@pytest.fixture
def archive(world, storage, tmp_path):
    """The assessments tests' open campaign, with one evidence file, exported."""
    storage("private")
    response = world.assessment.responses.get(indicator__code="1.1")
    services.evidence_add_file(
        response=response,
        user=world.people.officer,
        uploaded_file=SimpleUploadedFile("a.pdf", PDF),
    )
    return backup.export_campaigns([world.campaign], tmp_path / "campaign.zip").path


def test_a_restore_into_a_database_that_is_not_empty_is_refused_and_writes_nothing(
    archive, world, storage
):
    root = storage("other")
    counts = row_counts()

    assert_refused(archive, "The database is not empty")

    assert row_counts() == counts and stored(root) == {}


def test_a_tampered_archive_is_refused_before_anything_else(archive, tmp_path):
    with zipfile.ZipFile(archive) as opened:
        data = next(n for n in opened.namelist() if n.endswith("assessments.response.jsonl"))
        evidence = next(n for n in opened.namelist() if n.startswith("files/"))
    cases = [
        (dict(change=evidence), f"{evidence} does not match its SHA-256"),
        (dict(change=data), f"{data} does not match its SHA-256"),
        (dict(drop=evidence), f"{evidence} is listed in the manifest but missing"),
        (dict(add=("files/evidence/1/1/x.pdf", PDF)), "files/evidence/1/1/x.pdf is in the"),
        (dict(add=("files/../../escape.pdf", PDF)), "files/../../escape.pdf is in the"),
        # an altered manifest no longer parses, or a checksum in it no longer matches
        (dict(change="manifest.json"), ""),
    ]
    for number, (how, message) in enumerate(cases):
        assert_refused(rewritten(archive, tmp_path / f"bad{number}.zip", **how), message)

    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 not really")
    assert_refused(tmp_path / "not.zip", "is not a readable zip archive")
    with pytest.raises(backup.BackupError, match="SHA-256 is not the one given"):
        backup.restore_archive(archive, expected_sha256="0" * 64)


def test_a_member_whose_manifest_entry_was_forged_too_still_cannot_escape(archive, tmp_path):
    """Even with a matching checksum, a member outside files/evidence/ or data/ is refused."""
    with zipfile.ZipFile(archive) as old:
        manifest = json.loads(old.read("manifest.json"))
        members = {info.filename: old.read(info) for info in old.infolist()}
    evil = "files/../../etc/cron.d/x"
    manifest["members"][evil] = {"sha256": hashlib.sha256(b"x").hexdigest(), "size": 1}
    members[evil] = b"x"
    members["manifest.json"] = json.dumps(manifest).encode()
    target = tmp_path / "evil.zip"
    with zipfile.ZipFile(target, "w") as new:
        for name, data in members.items():
            new.writestr(name, data)

    assert_refused(target, f"Unexpected member {evil}")


def test_the_export_refuses_when_an_evidence_file_is_missing(archive, world, tmp_path):
    evidence = Evidence.objects.get(kind="file")
    Path(evidence.file.path).unlink()

    with pytest.raises(backup.BackupError, match="evidence files of the campaign are missing"):
        backup.export_campaigns([world.campaign], tmp_path / "incomplete.zip")
    assert not (tmp_path / "incomplete.zip").exists()
    assert not (tmp_path / "incomplete.zip.part").exists()


# --- scope and options --------------------------------------------------------------------


def test_every_table_of_the_project_is_in_the_archive_or_deliberately_left_out(world):
    covered = set(backup.all_tables()) | backup.EXCLUDED
    for app_label in backup.PROJECT_APPS:
        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            continue
        for model in config.get_models(include_auto_created=True):
            assert model._meta.label_lower in covered, model._meta.label_lower
    # and the selection knows how to pick each table's rows of a campaign
    assert set(backup.select_campaigns([world.campaign.pk])) == set(backup.all_tables())


def test_without_passwords_the_people_must_set_new_ones(world, tmp_path, storage):
    storage("private")
    path = backup.export_campaigns(
        [world.campaign], tmp_path / "c.zip", include_passwords=False
    ).path
    with zipfile.ZipFile(path) as opened:
        lines = opened.read("data/assessments.user.jsonl").decode().splitlines()
        manifest = json.loads(opened.read("manifest.json"))
    fields = json.loads(lines[0])["fields"]
    passwords = {json.loads(line)[fields.index("password")] for line in lines[1:]}
    assert passwords == {"!"} and not is_password_usable("!")
    assert manifest["passwords"] == "unusable"


def test_the_archive_takes_the_people_units_and_sets_the_campaign_needs(world, archive):
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        units = opened.read("data/assessments.administrativeunit.jsonl").decode()
        users = opened.read("data/assessments.user.jsonl").decode()
    assert manifest["campaigns"][0]["id"] == world.campaign.pk
    assert manifest["counts"]["assessments.assessment"] == 2
    assert manifest["counts"]["indicators.indicatorset"] == 1
    for name in ("Tỉnh Thử", "Huyện Thử", "Xã A", "Xã B"):
        assert f'"{name}"' in units
    for person in (world.people.officer, world.people.leader, world.people.organizer):
        assert f'"{person.username}"' in users
    # a person of another district, with nothing to do with the campaign, stays out
    assert f'"{world.people.other_organizer.username}"' not in users


def test_the_commands(archive, world, tmp_path, storage):
    out = io.StringIO()
    call_command(
        "campaign_export", str(world.campaign.pk), "--output", str(tmp_path / "c.zip"), stdout=out
    )
    assert "Wrote" in out.getvalue() and "SHA-256" in out.getvalue()
    out = io.StringIO()
    call_command("campaign_restore", str(tmp_path / "c.zip"), "--verify-only", stdout=out)
    assert "The archive is intact" in out.getvalue()
    shutil.copy(tmp_path / "c.zip", tmp_path / "d.zip")
    with pytest.raises(Exception, match="exists; use --force"):
        call_command("campaign_export", str(world.campaign.pk), "--output", str(tmp_path / "d.zip"))
    with pytest.raises(Exception, match="The database is not empty"):
        call_command("campaign_restore", str(tmp_path / "c.zip"))
    assert connection.vendor in {"sqlite", "postgresql"}
