"""Export a whole campaign to one zip archive, and restore it into an empty database.

``campaign_export`` and ``campaign_restore`` (management commands) are thin
wrappers over ``export_campaigns`` and ``restore_archive``.

The archive::

    manifest.json                      format, app version, creation time, the campaigns,
                                       rows per table, size and SHA-256 of every other member
    data/<app>.<model>.jsonl           one table: a header line {"model", "fields"}, then one
                                       JSON array per row, in primary-key order
    files/<storage name>               every evidence file and data-request answer file, under
                                       its name in the storage
                                       (``evidence/<campaign>/<assessment>/<uuid>.<ext>``,
                                       ``data-requests/<request>/<uuid>.<ext>``)

What a campaign takes along: its indicator set (and the sets it was copied
from) with every part; the administrative units it involves (organizing and
assessed units, the units of everyone below, and their ancestors) and their
agencies; the people of those units and agencies and everyone any exported
row refers to, with their role groups; the campaign, phases, assessments,
transition log, responses, evidence, department assignments, reminders; the
council, members, assignments, appraisals, explanations, notices; score
summaries, pillar and sub-index scores, rankings, computation runs,
publications and published results; the data providers' assignments and
figures, the council's data requests and the files answering them; the
simple_history rows of all these;
django-guardian object permissions on exported objects; and the rows of any
other model of the project's apps that point at the campaign (the audit log).

Rows keep their primary keys, so every reference inside the archive stays
valid; content types, permissions and groups, whose keys differ between
databases, are written by natural key (app label, model, codename; group
name) and looked up again on restore. Values are written as the database
holds them (decimals and dates as text, JSON objects with sorted keys as
PostgreSQL's jsonb keeps no order), so the same campaign always gives the
same data members, byte for byte, on SQLite as on PostgreSQL: only
``manifest.json`` (its creation time) differs between two exports. Zip
entries carry a fixed date for the same reason.

Password hashes are included (``include_passwords=False`` writes unusable
passwords instead): the archive is a server backup and is as sensitive as the
database; it is written readable by its owner only.

Restoring refuses, before writing anything, when: the archive is not one,
a member is missing, extra, larger than stated or its SHA-256 differs from
the manifest (naming it); a table's columns differ from this version's
models; the database is not empty (any row in any table an archive writes:
no campaign, indicator set, unit, agency, person or object permission — what
``migrate`` creates, content types, permissions and role groups, is fine);
or a file already exists in the evidence storage. Then everything is written
in one transaction, bypassing ``save()`` (published rows and frozen sets
refuse edits, the transition log refuses writes after creation; a restore
creates them as they were, with no signals and no new history), the evidence
files are written to the storage, foreign keys are checked and PostgreSQL's
sequences reset. If anything fails the transaction rolls back and the files
written so far are removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from itertools import chain
from pathlib import Path, PurePosixPath
from uuid import UUID

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import CharField, Q
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Cast
from django.utils import timezone

FORMAT = "dti-campaign-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_DIR = "data/"
FILES_DIR = "files/"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CHUNK = 1024 * 1024
ROWS_PER_QUERY = 2000
INSERT_BATCH = 500
IDS_PER_QUERY = 500
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
PROJECT_APPS = ("indicators", "assessments", "councils", "rankings", "providers", "dti")
PACKAGE = "dti-platform"

# Every table an archive holds, in the order it is written and restored.
# (Foreign keys are checked at commit, so the order is for the reader.)
# ``auth.group`` is special: groups are matched by name, never by key.
TABLES = [
    "auth.group",
    "indicators.indicatorset",
    "indicators.indicatorgroup",
    "indicators.pillar",
    "indicators.indicator",
    "indicators.subindex",
    "indicators.subindex_pillars",
    "indicators.generalinfofield",
    "indicators.band",
    "assessments.administrativeunit",
    "assessments.agency",
    "assessments.user",
    "assessments.user_groups",
    "assessments.user_user_permissions",
    "assessments.campaign",
    "assessments.phase",
    "assessments.assessment",
    "assessments.assessmenttransition",
    "assessments.response",
    "assessments.evidence",
    "assessments.departmentassignment",
    "assessments.remindersent",
    "councils.council",
    "councils.councilmember",
    "councils.assignment",
    "councils.assignment_units",
    "councils.appraisal",
    "councils.explanation",
    "councils.notice",
    "rankings.scoresummary",
    "rankings.pillarscore",
    "rankings.subindexscore",
    "rankings.ranking",
    "rankings.rankingrun",
    "rankings.publication",
    "rankings.publishedresult",
    "indicators.historicalindicatorset",
    "indicators.historicalpillar",
    "indicators.historicalindicator",
    "assessments.historicalassessment",
    "assessments.historicalresponse",
    "assessments.historicalevidence",
    "councils.historicalcouncil",
    "councils.historicalcouncilmember",
    "councils.historicalassignment",
    "councils.historicalassignment_units",
    "councils.historicalappraisal",
    "councils.historicalexplanation",
    "providers.providerassignment",
    "providers.providerassignment_units",
    "providers.providedfigure",
    "providers.datarequest",
    "providers.datarequestfile",
    "providers.historicalproviderassignment",
    "providers.historicalproviderassignment_units",
    "providers.historicalprovidedfigure",
    "providers.historicaldatarequest",
    "providers.historicaldatarequestfile",
    # (models of the project's apps not named here follow, see ``extra_tables``)
    "guardian.userobjectpermission",
    "guardian.groupobjectpermission",
]
OBJECT_PERMISSIONS = ("guardian.userobjectpermission", "guardian.groupobjectpermission")

# Models of the project's apps deliberately left out of a campaign archive.
EXCLUDED: set[str] = set()

# Rows of another model of the project's apps (such as an audit log) belong to
# the campaign when one of their foreign keys points at one of these.
CAMPAIGN_ROOTS = (
    "assessments.campaign",
    "assessments.assessment",
    "assessments.response",
    "assessments.evidence",
    "councils.council",
    "councils.councilmember",
    "councils.appraisal",
    "rankings.publication",
)


class BackupError(Exception):
    """A refusal with its reason; nothing was written."""


def model_of(label: str) -> type[models.Model]:
    return apps.get_model(label)


def extra_tables() -> list[str]:
    """The models of the project's apps that ``TABLES`` does not name (an audit log …)."""
    known = set(TABLES) | EXCLUDED
    found = []
    for app_label in PROJECT_APPS:
        try:
            config = apps.get_app_config(app_label)
        except LookupError:
            continue
        for model in config.get_models(include_auto_created=True):
            opts = model._meta
            if opts.proxy or not opts.managed or opts.label_lower in known:
                continue
            found.append(opts.label_lower)
    return sorted(found)


def all_tables() -> list[str]:
    extras = extra_tables()
    at = TABLES.index(OBJECT_PERMISSIONS[0])
    return TABLES[:at] + extras + TABLES[at:]


def member_name(label: str) -> str:
    return f"{DATA_DIR}{label}.jsonl"


def _fields(model) -> list[models.Field]:
    return list(model._meta.concrete_fields)


# --- values ------------------------------------------------------------------------------


def _plain(value):
    if value is None or isinstance(value, (bool, int, str, float)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, (dict, list)):
        return value
    raise BackupError(f"Cannot write a value of type {type(value).__name__}.")


def _dumps(value) -> bytes:
    return (
        json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    ).encode()


class _Keys:
    """Content types, permissions and groups by natural key, both ways."""

    def __init__(self):
        self._ct = {}
        self._ct_back = {}
        self._perm = {}
        self._perm_back = {}
        self._group = {}
        self._group_back = {}
        self.created_groups: list[str] = []

    # export
    def ct(self, pk):
        if pk not in self._ct:
            ct = ContentType.objects.get(pk=pk)
            self._ct[pk] = [ct.app_label, ct.model]
        return self._ct[pk]

    def perm(self, pk):
        if pk not in self._perm:
            self._perm[pk] = list(Permission.objects.get(pk=pk).natural_key())
        return self._perm[pk]

    def group(self, pk):
        if pk not in self._group:
            self._group[pk] = Group.objects.get(pk=pk).name
        return self._group[pk]

    # restore
    def ct_id(self, key):
        key = tuple(key)
        if key not in self._ct_back:
            try:
                self._ct_back[key] = ContentType.objects.get_by_natural_key(*key).pk
            except ContentType.DoesNotExist:
                raise BackupError(f"Unknown content type {'.'.join(key)}.") from None
        return self._ct_back[key]

    def perm_id(self, key):
        key = tuple(key)
        if key not in self._perm_back:
            try:
                self._perm_back[key] = Permission.objects.get_by_natural_key(*key).pk
            except Permission.DoesNotExist:
                raise BackupError(f"Unknown permission {'.'.join(key)}.") from None
        return self._perm_back[key]

    def group_id(self, name):
        if name not in self._group_back:
            found = Group.objects.filter(name=name).first()
            if found is None:
                raise BackupError(f"Unknown group {name}.")
            self._group_back[name] = found.pk
        return self._group_back[name]


def _natural(field_: models.Field):
    """Which natural key a foreign key is written by: ct, perm, group or None."""
    if not field_.is_relation or field_.related_model is None:
        return None
    target = field_.related_model
    if issubclass(target, ContentType):
        return "ct"
    if issubclass(target, Permission):
        return "perm"
    if issubclass(target, Group):
        return "group"
    return None


def _encoder(field_: models.Field, keys: _Keys) -> Callable:
    kind = _natural(field_)
    if kind is not None:
        lookup = getattr(keys, kind)
        return lambda value: None if value is None else lookup(value)
    return _plain


def _decoder(field_: models.Field, keys: _Keys) -> Callable:
    kind = _natural(field_)
    if kind is not None:
        lookup = getattr(keys, f"{kind}_id")
        return lambda value: None if value is None else lookup(value)
    if isinstance(field_, models.JSONField):
        return lambda value: value
    to_python = field_.to_python
    return lambda value: None if value is None else to_python(value)


# --- what a campaign takes along ---------------------------------------------------------


@dataclass
class _Table:
    """The rows of one table: a queryset, or primary keys fetched in chunks."""

    label: str
    queryset: models.QuerySet | None = None
    ids: list | None = None

    @property
    def model(self):
        return model_of(self.label)

    def keys(self, *, as_text: bool = False):
        """The primary keys, as a subquery or a list (as text for guardian's ``object_pk``)."""
        if self.ids is not None:
            return [str(pk) for pk in self.ids] if as_text else list(self.ids)
        if as_text:
            return self.queryset.annotate(_key=Cast("pk", CharField())).values("_key")
        return self.queryset.values("pk")

    def column(self, attname: str) -> set:
        """The distinct non-empty values of one column."""
        if self.queryset is not None:
            return {
                v for v in self.queryset.order_by().values_list(attname, flat=True).distinct() if v
            }
        return {row[0] for row in self.rows([attname]) if row[0]}

    def rows(self, attnames: list[str]) -> Iterator[tuple]:
        if self.queryset is not None:
            yield from (
                self.queryset.order_by("pk")
                .values_list(*attnames)
                .iterator(chunk_size=ROWS_PER_QUERY)
            )
            return
        manager = self.model._base_manager
        for chunk in _chunks(self.ids):
            yield from manager.filter(pk__in=chunk).order_by("pk").values_list(*attnames)


def _chunks(ids: Iterable) -> Iterator[list]:
    ids = sorted(ids)
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]


def _qs(label: str, *args, **kwargs) -> models.QuerySet:
    return model_of(label)._base_manager.filter(*args, **kwargs).order_by("pk")


def _pks_where(label: str, column: str, values: Iterable) -> set:
    """Primary keys of ``label`` rows whose ``column`` is one of ``values`` (chunked)."""
    manager = model_of(label)._base_manager
    found = set()
    for chunk in _chunks(set(values)):
        found |= set(manager.filter(**{f"{column}__in": chunk}).values_list("pk", flat=True))
    return found


def _ever(column: str, label: str, history_label: str, **lookup) -> Q:
    """``column`` names a row of ``label`` matching ``lookup``, now or in its history
    (a deleted member's assignments, a removed response's evidence …)."""
    return Q(**{f"{column}__in": _qs(label, **lookup).values("pk")}) | Q(
        **{f"{column}__in": _qs(history_label, **lookup).values("id")}
    )


def _set_chain(set_ids: Iterable[int]) -> list[int]:
    """The sets and every set they were copied from."""
    manager = model_of("indicators.indicatorset")._base_manager
    chain, todo = set(), set(set_ids)
    while todo:
        chain |= todo
        parents = manager.filter(pk__in=todo).values_list("copied_from_id", flat=True)
        todo = {pk for pk in parents if pk} - chain
    return sorted(chain)


def _columns_to(model, label: str) -> list[str]:
    """The foreign keys of ``model`` to the model ``label``."""
    target = model_of(label)
    return [
        f.attname
        for f in _fields(model)
        if f.is_relation and f.related_model is not None and issubclass(f.related_model, target)
    ]


def _campaign_rows(label: str, tables: dict[str, _Table]) -> models.QuerySet | None:
    """Rows of an unnamed model of the project's apps (an audit log …) that belong to the
    campaign: a foreign key to one of its rows, or a content type and object id naming one."""
    fields_ = _fields(model_of(label))
    condition, matched = Q(), False
    for f in fields_:
        if f.is_relation and f.related_model is not None:
            target = f.related_model._meta.label_lower
            if target in CAMPAIGN_ROOTS:
                condition |= Q(**{f"{f.attname}__in": tables[target].keys()})
                matched = True
    by_name = {f.name: f for f in fields_}
    ct_field = next((f for f in fields_ if _natural(f) == "ct"), None)
    object_field = next((by_name[n] for n in ("object_pk", "object_id") if n in by_name), None)
    if ct_field is not None and object_field is not None:
        as_text = not isinstance(object_field, models.IntegerField)
        for target in CAMPAIGN_ROOTS:
            ct = ContentType.objects.get_for_model(model_of(target))
            condition |= Q(
                **{
                    ct_field.attname: ct.pk,
                    f"{object_field.attname}__in": tables[target].keys(as_text=as_text),
                }
            )
            matched = True
    return _qs(label, condition) if matched else None


def select_campaigns(campaign_ids: list[int]) -> dict[str, _Table]:
    """Every row the campaigns take along, table by table (see the module docstring)."""
    t: dict[str, _Table] = {}

    def add(label, *args, **lookup):
        t[label] = _Table(label, queryset=_qs(label, *args, **lookup))

    # The indicator sets and every part of them.
    campaigns = _qs("assessments.campaign", pk__in=campaign_ids)
    sets = _set_chain(campaigns.values_list("indicator_set_id", flat=True))
    add("indicators.indicatorset", pk__in=sets)
    for part in ("indicatorgroup", "pillar", "subindex", "generalinfofield", "band"):
        add(f"indicators.{part}", indicator_set_id__in=sets)
    add("indicators.indicator", pillar__indicator_set_id__in=sets)
    add("indicators.subindex_pillars", subindex__indicator_set_id__in=sets)
    add("indicators.historicalindicatorset", id__in=sets)
    add("indicators.historicalpillar", indicator_set_id__in=sets)
    add(
        "indicators.historicalindicator",
        _ever(
            "pillar_id",
            "indicators.pillar",
            "indicators.historicalpillar",
            indicator_set_id__in=sets,
        ),
    )

    # The campaign, its assessments, responses and evidence.
    of_campaign = {"campaign_id__in": campaign_ids}
    of_assessment = {"assessment__campaign_id__in": campaign_ids}
    of_response = {"response__assessment__campaign_id__in": campaign_ids}
    add("assessments.campaign", pk__in=campaign_ids)
    for label in ("phase", "assessment", "departmentassignment", "historicalassessment"):
        add(f"assessments.{label}", **of_campaign)
    for label in ("assessmenttransition", "response", "remindersent"):
        add(f"assessments.{label}", **of_assessment)
    add("assessments.evidence", **of_response)
    assessments = _ever(
        "assessment_id", "assessments.assessment", "assessments.historicalassessment", **of_campaign
    )
    add("assessments.historicalresponse", assessments)
    responses = Q(response_id__in=t["assessments.response"].keys()) | Q(
        response_id__in=t["assessments.historicalresponse"].queryset.values("id")
    )
    add("assessments.historicalevidence", responses)

    # The council.
    add("councils.council", **of_campaign)
    add("councils.historicalcouncil", **of_campaign)
    councils = _ever("council_id", "councils.council", "councils.historicalcouncil", **of_campaign)
    add("councils.councilmember", councils)
    add("councils.historicalcouncilmember", councils)
    members = _ever(
        "member_id",
        "councils.councilmember",
        "councils.historicalcouncilmember",
        council__campaign_id__in=campaign_ids,
    ) | _ever(
        "member_id",
        "councils.councilmember",
        "councils.historicalcouncilmember",
        council_id__in=t["councils.historicalcouncil"].queryset.values("id"),
    )
    add("councils.assignment", members)
    add("councils.assignment_units", assignment__in=t["councils.assignment"].keys())
    add("councils.historicalassignment", members)
    add(
        "councils.historicalassignment_units",
        history_id__in=t["councils.historicalassignment"].keys(),
    )
    add("councils.appraisal", **of_response)
    add("councils.explanation", **of_response)
    add("councils.historicalappraisal", responses)
    add("councils.historicalexplanation", responses)
    add("councils.notice", phase__campaign_id__in=campaign_ids)

    # Results and publications.
    for label in (
        "scoresummary",
        "pillarscore",
        "subindexscore",
        "ranking",
        "rankingrun",
        "publication",
    ):
        add(f"rankings.{label}", **of_campaign)
    add("rankings.publishedresult", publication__campaign_id__in=campaign_ids)

    # Data providers: who owed which figures, what they sent, the council's requests.
    add("providers.providerassignment", **of_campaign)
    add(
        "providers.providerassignment_units",
        providerassignment__in=t["providers.providerassignment"].keys(),
    )
    add("providers.historicalproviderassignment", **of_campaign)
    add(
        "providers.historicalproviderassignment_units",
        history_id__in=t["providers.historicalproviderassignment"].keys(),
    )
    add("providers.providedfigure", **of_assessment)
    add("providers.historicalprovidedfigure", assessments)
    add("providers.datarequest", **of_response)
    add("providers.historicaldatarequest", responses)
    requests = Q(request_id__in=t["providers.datarequest"].keys()) | Q(
        request_id__in=t["providers.historicaldatarequest"].queryset.values("id")
    )
    add("providers.datarequestfile", requests)
    add("providers.historicaldatarequestfile", requests)

    for label in extra_tables():
        queryset = _campaign_rows(label, t)
        if queryset is not None:
            t[label] = _Table(label, queryset=queryset)

    _select_people(t)
    _select_permissions(t)
    missing = [label for label in all_tables() if label not in t]
    if missing:
        raise BackupError(
            "These tables are not covered by the campaign archive: " + ", ".join(missing)
        )
    return t


def _object_permissions(label: str, tables: dict[str, _Table]) -> set[tuple]:
    """(pk, holder) of the guardian rows of ``label`` on objects of ``tables``."""
    manager = model_of(label)._base_manager
    holder = "user_id" if label == OBJECT_PERMISSIONS[0] else "group_id"
    found = set()
    present = manager.order_by().values_list("content_type_id", flat=True).distinct()
    for ct_id in list(present):
        target = ContentType.objects.get_for_id(ct_id).model_class()
        if target is None or target._meta.label_lower not in tables:
            continue
        rows = manager.filter(content_type_id=ct_id)
        keys = tables[target._meta.label_lower].keys(as_text=True)
        parts = [keys[i : i + IDS_PER_QUERY] for i in range(0, len(keys), IDS_PER_QUERY)]
        for part in parts if isinstance(keys, list) else [keys]:
            found |= set(rows.filter(object_pk__in=part).values_list("pk", holder))
    return found


def _select_people(t: dict[str, _Table]) -> None:
    """Units, agencies and people: the campaign's own, and everyone a row refers to."""
    home = t["assessments.campaign"].column("organizing_unit_id")
    home |= t["assessments.assessment"].column("unit_id")
    units, agencies, users = set(home), _pks_where("assessments.agency", "unit_id", home), set()
    # Whatever a row refers to: units (an assignment's, an audit entry's …), agencies
    # (a department assignment's), people (authors, members, history users …).
    for table in list(t.values()):
        for attname in _columns_to(table.model, "assessments.administrativeunit"):
            units |= table.column(attname)
        for attname in _columns_to(table.model, "assessments.agency"):
            agencies |= table.column(attname)
        for attname in _columns_to(table.model, "assessments.user"):
            users |= table.column(attname)
    users |= {user for _pk, user in _object_permissions(OBJECT_PERMISSIONS[0], t)}
    users |= _pks_where("assessments.user", "unit_id", home)
    users |= _pks_where("assessments.user", "agency_id", agencies)

    people = model_of("assessments.user")._base_manager
    for chunk in _chunks(users):
        for unit_id, agency_id in people.filter(pk__in=chunk).values_list("unit_id", "agency_id"):
            units.add(unit_id)
            agencies.add(agency_id)
    agencies.discard(None)
    for chunk in _chunks(agencies):
        units |= set(
            model_of("assessments.agency")
            ._base_manager.filter(pk__in=chunk)
            .values_list("unit_id", flat=True)
        )
    units.discard(None)
    tree = model_of("assessments.administrativeunit")._base_manager
    todo = set(units)
    while todo:  # and every ancestor
        parents = set()
        for chunk in _chunks(todo):
            parents |= set(tree.filter(pk__in=chunk).values_list("parent_id", flat=True))
        parents.discard(None)
        todo = parents - units
        units |= todo

    t["assessments.administrativeunit"] = _Table("assessments.administrativeunit", ids=units)
    t["assessments.agency"] = _Table("assessments.agency", ids=agencies)
    t["assessments.user"] = _Table("assessments.user", ids=users)
    for label in ("assessments.user_groups", "assessments.user_user_permissions"):
        t[label] = _Table(label, ids=_pks_where(label, "user_id", users))
    # Unnamed models reached through people only (a person's settings, say).
    for label in extra_tables():
        if label not in t and _columns_to(model_of(label), "assessments.user"):
            found = set()
            for attname in _columns_to(model_of(label), "assessments.user"):
                found |= _pks_where(label, attname, users)
            t[label] = _Table(label, ids=found)


def _select_permissions(t: dict[str, _Table]) -> None:
    users = set(t["assessments.user"].ids)
    user_rows = {pk for pk, user in _object_permissions(OBJECT_PERMISSIONS[0], t) if user in users}
    group_rows = _object_permissions(OBJECT_PERMISSIONS[1], t)
    t[OBJECT_PERMISSIONS[0]] = _Table(OBJECT_PERMISSIONS[0], ids=user_rows)
    t[OBJECT_PERMISSIONS[1]] = _Table(OBJECT_PERMISSIONS[1], ids={pk for pk, _g in group_rows})
    groups = {group for _pk, group in group_rows}
    groups |= t["assessments.user_groups"].column("group_id")
    t["auth.group"] = _Table("auth.group", ids=groups)


def evidence_files(t: dict[str, _Table]) -> tuple[list[str], set[str]]:
    """The stored evidence files: every name in the evidence rows and their history,
    and the names of the current rows (whose file must exist)."""
    current = {
        name
        for (name,) in t["assessments.evidence"].rows(["file"])
        if name  # citations and links have none
    }
    current |= {name for (name,) in t["providers.datarequestfile"].rows(["file"]) if name}
    past = {name for (name,) in t["assessments.historicalevidence"].rows(["file"]) if name}
    past |= {name for (name,) in t["providers.historicaldatarequestfile"].rows(["file"]) if name}
    return sorted(current | past), current


# --- export -------------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: Path
    size: int
    sha256: str
    seconds: float
    manifest: dict = field(repr=False)


def find_campaign(ref: str):
    """A campaign by id, or by its exact name."""
    Campaign = model_of("assessments.campaign")
    ref = str(ref).strip()
    if ref.isdigit():
        found = Campaign.objects.filter(pk=int(ref)).first()
        if found is not None:
            return found
    named = list(Campaign.objects.filter(name=ref))
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise BackupError(
            f"{len(named)} campaigns are named “{ref}”; give the id: "
            + ", ".join(str(c.pk) for c in named)
        )
    raise BackupError(f"No campaign with the id or name “{ref}”.")


def app_version() -> str:
    from importlib import metadata

    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def _zipinfo(name: str, *, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


class _Member:
    """A member being written: counts and hashes what goes through."""

    def __init__(self, archive: zipfile.ZipFile, name: str, *, compress: bool):
        self.name = name
        self._out = archive.open(_zipinfo(name, compress=compress), "w", force_zip64=True)
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self.size += len(data)
        self._out.write(data)

    def close(self) -> dict:
        self._out.close()
        return {"sha256": self._digest.hexdigest(), "size": self.size}


def _write_table(archive, table: _Table, keys: _Keys, *, include_passwords: bool) -> tuple:
    member = _Member(archive, member_name(table.label), compress=True)
    count = 0
    if table.label == "auth.group":
        member.write(_dumps({"model": table.label, "fields": ["name", "permissions"]}))
        for group in Group.objects.filter(pk__in=table.ids).order_by("name"):
            perms = sorted(list(p.natural_key()) for p in group.permissions.all())
            member.write(_dumps([group.name, perms]))
            count += 1
        return member.name, member.close(), count
    fields_ = _fields(table.model)
    attnames = [f.attname for f in fields_]
    encoders = [_encoder(f, keys) for f in fields_]
    password = attnames.index("password") if table.label == "assessments.user" else None
    member.write(_dumps({"model": table.label, "fields": attnames}))
    for row in table.rows(attnames):
        values = [encode(value) for encode, value in zip(encoders, row, strict=True)]
        if password is not None and not include_passwords:
            values[password] = "!"  # unusable: the person sets a new one
        member.write(_dumps(values))
        count += 1
    return member.name, member.close(), count


def _copy_file(archive, storage, name: str) -> tuple:
    member = _Member(archive, FILES_DIR + name, compress=False)
    with storage.open(name, "rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            member.write(chunk)
    return member.name, member.close()


def _snapshot(using: str):
    """One transaction, so every table is read as of the same moment (on PostgreSQL
    REPEATABLE READ; SQLite's read transaction is a snapshot already)."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    atomic = transaction.atomic(using=using)

    class _Context:
        def __enter__(self):
            atomic.__enter__()
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

        def __exit__(self, *exc):
            return atomic.__exit__(*exc)

    return _Context()


def _migrations(using: str) -> dict[str, str]:
    applied = MigrationRecorder(connections[using]).applied_migrations()
    latest: dict[str, str] = {}
    for app_label, name in applied:
        if app_label in PROJECT_APPS + ("auth", "contenttypes", "guardian"):
            latest[app_label] = max(latest.get(app_label, ""), name)
    return dict(sorted(latest.items()))


def export_campaigns(
    campaigns, output: Path | str, *, include_passwords: bool = True, using=DEFAULT_DB_ALIAS
) -> ExportResult:
    """Write ``campaigns`` (one or more) with everything they need to ``output`` (a zip)."""
    started = time.monotonic()
    output = Path(output)
    campaign_ids = sorted({c.pk for c in campaigns})
    if not campaign_ids:
        raise BackupError("No campaign to export.")
    storage = model_of("assessments.evidence")._meta.get_field("file").storage
    partial = output.with_name(output.name + ".part")
    # Password hashes and personal data: readable by the owner only.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with (
            os.fdopen(descriptor, "wb") as raw,
            zipfile.ZipFile(raw, "w") as archive,
            _snapshot(using),
        ):
            manifest = _write_archive(archive, campaign_ids, storage, include_passwords)
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    digest = hashlib.sha256()
    with open(output, "rb") as written:
        for chunk in iter(lambda: written.read(CHUNK), b""):
            digest.update(chunk)
    return ExportResult(
        path=output,
        size=output.stat().st_size,
        sha256=digest.hexdigest(),
        seconds=time.monotonic() - started,
        manifest=manifest,
    )


def _write_archive(archive, campaign_ids, storage, include_passwords) -> dict:
    tables = select_campaigns(campaign_ids)
    names, current = evidence_files(tables)
    missing = [name for name in names if not storage.exists(name)]
    lost = sorted(set(missing) & current)
    if lost:
        raise BackupError(
            f"{len(lost)} evidence files of the campaign are missing from the storage "
            f"(first: {lost[0]}); the archive would be incomplete."
        )
    keys = _Keys()
    members, counts = {}, {}
    for label in all_tables():
        name, checksum, count = _write_table(
            archive, tables[label], keys, include_passwords=include_passwords
        )
        members[name], counts[label] = checksum, count
    for name in names:
        if name in missing:
            continue
        if not _safe_storage_name(name):
            raise BackupError(f"Unexpected evidence file name “{name}”.")
        member, checksum = _copy_file(archive, storage, name)
        members[member] = checksum
    Campaign = model_of("assessments.campaign")
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "app_version": app_version(),
        "created_at": timezone.now().isoformat(),
        "database": connections[DEFAULT_DB_ALIAS].vendor,
        "passwords": "hashes" if include_passwords else "unusable",
        "campaigns": [
            {
                "id": c.pk,
                "name": c.name,
                "year": c.year,
                "organizing_unit": str(c.organizing_unit),
                "indicator_set": c.indicator_set_id,
            }
            for c in Campaign.objects.filter(pk__in=campaign_ids)
            .select_related("organizing_unit")
            .order_by("pk")
        ],
        "migrations": _migrations(DEFAULT_DB_ALIAS),
        "counts": counts,
        "files": len(names) - len(missing),
        "missing_files": missing,  # named by removed evidence only, and gone from the storage
        "members": dict(sorted(members.items())),
    }
    info = _zipinfo(MANIFEST, compress=True)
    archive.writestr(
        info, json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    )
    return manifest


# --- restore ------------------------------------------------------------------------------

# The storage folders of the private files a campaign takes along.
FILE_ROOTS = ("evidence", "data-requests")
STORAGE_NAME = re.compile(r"[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-][A-Za-z0-9_.\-]*)*")


def _safe_storage_name(name: str) -> bool:
    """A relative path of plain parts under evidence/ or data-requests/, no '..', no
    backslash, not absolute."""
    path = PurePosixPath(name)
    return (
        bool(STORAGE_NAME.fullmatch(name))
        and not path.is_absolute()
        and ".." not in path.parts
        and path.parts[0] in FILE_ROOTS
        and len(name) <= 255
    )


@dataclass
class RestoreResult:
    campaigns: list[dict]
    counts: dict[str, int]
    files: int
    seconds: float
    created_groups: list[str]


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise BackupError(
            "The archive has no manifest.json: it is not a campaign archive."
        ) from None
    if info.file_size > MANIFEST_MAX_BYTES:
        raise BackupError("manifest.json is too large.")
    try:
        with archive.open(info) as source:
            manifest = json.loads(source.read(MANIFEST_MAX_BYTES + 1).decode("utf-8"))
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"manifest.json cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("manifest.json does not describe a campaign archive.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"The archive's format version is {manifest.get('format_version')}; "
            f"this version of the application reads version {FORMAT_VERSION}."
        )
    if not isinstance(manifest.get("members"), dict) or not isinstance(
        manifest.get("counts"), dict
    ):
        raise BackupError("manifest.json lists no members.")
    return manifest


def _check_member(archive: zipfile.ZipFile, name: str, expected: dict) -> None:
    """Read one member whole and compare its size and SHA-256 with the manifest."""
    stated = expected.get("size") if isinstance(expected, dict) else None
    checksum = expected.get("sha256") if isinstance(expected, dict) else None
    if not isinstance(stated, int) or not isinstance(checksum, str):
        raise BackupError(f"manifest.json has no size and checksum for {name}.")
    if archive.getinfo(name).file_size != stated:
        raise BackupError(f"{name} is not the size the manifest says: refused.")
    digest, size = hashlib.sha256(), 0
    try:
        with archive.open(name) as source:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                size += len(chunk)
                if size > stated:
                    raise BackupError(f"{name} is larger than the manifest says: refused.")
                digest.update(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise BackupError(
            f"{name} is damaged in the archive ({exc}); nothing was restored."
        ) from None
    if size != stated or digest.hexdigest() != checksum:
        raise BackupError(
            f"{name} does not match its SHA-256 in the manifest: the archive was damaged or "
            "altered; nothing was restored."
        )


def _header(archive: zipfile.ZipFile, name: str) -> dict:
    with archive.open(name) as source:
        line = source.readline(1024 * 1024)
    try:
        header = json.loads(line)
    except ValueError:
        raise BackupError(f"{name} has no header line.") from None
    if not isinstance(header, dict):
        raise BackupError(f"{name} has no header line.")
    return header


def verify_archive(archive: zipfile.ZipFile) -> tuple[dict, list[str], list[str]]:
    """Check the manifest, every member's checksum and every table's columns; nothing is
    written. Returns the manifest, the tables and the evidence files in the archive."""
    manifest = _read_manifest(archive)
    names = [info.filename for info in archive.infolist()]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BackupError(f"The archive holds {duplicates[0]} more than once: refused.")
    listed = set(manifest["members"])
    present = set(names) - {MANIFEST}
    for name in sorted(present - listed):
        raise BackupError(f"{name} is in the archive but not in its manifest: refused.")
    for name in sorted(listed - present):
        raise BackupError(f"{name} is listed in the manifest but missing from the archive.")
    known = all_tables()
    tables, files = [], []
    for name in sorted(present):
        if name.startswith(FILES_DIR) and _safe_storage_name(name[len(FILES_DIR) :]):
            files.append(name[len(FILES_DIR) :])
        elif name.startswith(DATA_DIR) and name.endswith(".jsonl"):
            label = name[len(DATA_DIR) : -len(".jsonl")]
            if label not in known:
                raise BackupError(f"{name}: this version of the application has no table {label}.")
            tables.append(label)
        else:
            raise BackupError(f"Unexpected member {name}: refused.")
    for name in sorted(present):
        _check_member(archive, name, manifest["members"][name])
    for label in tables:
        header = _header(archive, member_name(label))
        if label == "auth.group":
            expected = ["name", "permissions"]
        else:
            expected = [f.attname for f in _fields(model_of(label))]
        if header.get("model") != label or header.get("fields") != expected:
            raise BackupError(
                f"{member_name(label)}: its columns differ from this version's "
                f"({', '.join(map(str, header.get('fields') or []))} against "
                f"{', '.join(expected)}); restore with the application version that "
                "made the archive."
            )
    return manifest, sorted(tables, key=known.index), files


def nonempty_tables(using=DEFAULT_DB_ALIAS) -> list[str]:
    """The tables an archive writes that hold rows already (groups are matched by name)."""
    return [
        label
        for label in all_tables()
        if label != "auth.group" and model_of(label)._base_manager.using(using).exists()
    ]


def _restore_groups(lines, keys: _Keys) -> int:
    count = 0
    for line in lines:
        name, perms = json.loads(line)
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set([keys.perm_id(p) for p in perms])
            keys.created_groups.append(name)
        count += 1
    return count


def _restore_table(archive, label: str, keys: _Keys, using: str) -> int:
    with archive.open(member_name(label)) as raw:
        lines = io.TextIOWrapper(raw, encoding="utf-8")
        next(lines)  # the header, checked already
        if label == "auth.group":
            return _restore_groups(lines, keys)
        model = model_of(label)
        fields_ = _fields(model)
        decoders = [_decoder(f, keys) for f in fields_]
        connection = connections[using]
        size = max(1, min(INSERT_BATCH, connection.ops.bulk_batch_size(fields_, [None] * 1000)))
        manager = model._base_manager.using(using)
        count, batch = 0, []
        for line in lines:
            values = json.loads(line)
            if not isinstance(values, list) or len(values) != len(fields_):
                raise BackupError(f"{member_name(label)}: row {count + 1} is malformed.")
            # Model(*values) and a raw insert: no save(), no signals, no new history, and
            # auto_now fields keep their stored times.
            batch.append(model(*[decode(v) for decode, v in zip(decoders, values, strict=True)]))
            count += 1
            if len(batch) >= size:
                manager._insert(batch, fields=fields_, raw=True, using=using)
                batch = []
        if batch:
            manager._insert(batch, fields=fields_, raw=True, using=using)
        return count


def restore_archive(
    path: Path | str,
    *,
    using=DEFAULT_DB_ALIAS,
    verify_only: bool = False,
    expected_sha256: str | None = None,
) -> RestoreResult:
    """Restore a campaign archive into an empty database (see the module docstring)."""
    started = time.monotonic()
    path = Path(path)
    if expected_sha256 and _sha256_of(path) != expected_sha256.strip().lower():
        raise BackupError("The archive's SHA-256 is not the one given: refused.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"{path} is not a readable zip archive ({exc}).") from None
    with archive:
        manifest, tables, files = verify_archive(archive)
        result = RestoreResult(
            campaigns=manifest.get("campaigns") or [],
            counts={label: manifest["counts"].get(label, 0) for label in tables},
            files=len(files),
            seconds=0.0,
            created_groups=[],
        )
        if verify_only:
            result.seconds = time.monotonic() - started
            return result
        ContentType.objects.clear_cache()
        occupied = nonempty_tables(using)
        if occupied:
            shown = ", ".join(occupied[:5]) + (" …" if len(occupied) > 5 else "")
            raise BackupError(
                f"The database is not empty: {len(occupied)} of the tables a campaign archive "
                f"writes hold rows already ({shown}). A campaign archive is restored only into "
                "a database that has just been migrated; nothing was restored."
            )
        storage = model_of("assessments.evidence")._meta.get_field("file").storage
        taken = [name for name in files if storage.exists(name)]
        if taken:
            raise BackupError(
                f"{len(taken)} evidence files exist in the storage already (first: {taken[0]}); "
                "restore into an empty evidence storage."
            )
        keys = _Keys()
        written: list[str] = []
        try:
            with transaction.atomic(using=using):
                for label in tables:
                    count = _restore_table(archive, label, keys, using)
                    if count != manifest["counts"].get(label):
                        raise BackupError(
                            f"{member_name(label)} holds {count} rows, the manifest says "
                            f"{manifest['counts'].get(label)}."
                        )
                _check_evidence(manifest, files, using)
                for name in files:
                    with archive.open(FILES_DIR + name) as source:
                        saved = storage.save(name, File(source, name=name))
                    written.append(saved)
                    if saved != name:
                        raise BackupError(f"The evidence file {name} could not keep its name.")
                connection = connections[using]
                connection.check_constraints(
                    table_names=[model_of(label)._meta.db_table for label in tables]
                )
                reset_sequences(connection, [m for m in map(model_of, tables) if m is not Group])
        except BaseException as exc:
            for name in written:
                storage.delete(name)
            if isinstance(exc, BackupError):
                raise
            if isinstance(exc, Exception):
                raise BackupError(
                    f"The restore failed and was undone ({type(exc).__name__}: {exc})."
                ) from exc
            raise
    result.created_groups = keys.created_groups
    result.seconds = time.monotonic() - started
    return result


def reset_sequences(connection, restored: list[type[models.Model]]) -> None:
    """Move PostgreSQL's sequences past the restored keys (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), restored)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _check_evidence(manifest: dict, files: list[str], using: str) -> None:
    """Every current evidence file is in the archive, with the SHA-256 its row records."""
    members = manifest["members"]
    rows = (
        model_of("assessments.evidence")
        ._base_manager.using(using)
        .exclude(file="")
        .values_list("file", "sha256")
    )
    request_files = (
        model_of("providers.datarequestfile")
        ._base_manager.using(using)
        .exclude(file="")
        .values_list("file", "sha256")
    )
    present = set(files)
    for name, sha256 in chain(rows.iterator(), request_files.iterator()):
        if name not in present:
            raise BackupError(f"The evidence file {name} is missing from the archive.")
        if members[FILES_DIR + name]["sha256"] != sha256:
            raise BackupError(f"The evidence file {name} is not the one its row records.")
