"""The permission matrix: every URL × role × relation × phase → what the site answers.

``ROWS`` says, for every URL the resolver knows, what each kind of person gets
in a phase of a campaign; ``test_cell`` walks all of it, one test id per cell
(``<url name>-<method>-<object>-<phase>-<role>``), and
``test_every_url_is_in_the_matrix`` fails when a URL pattern is in neither the
table nor the short ``NOT_IN_MATRIX`` allow-list.

The outcomes, as the project answers:

=============  ===================================================================
``ok``         200, and nothing written (a page, a file, a preview)
``login``      302 to the login page (anonymous on a page that needs a sign-in;
               and where signing out leads)
``404``        an object the person may not see does not exist for them
``405``        the wrong method (GET on a POST-only action), after the sign-in check
``refused``    not theirs to do, on an object they may see: refused with the
               permission's message ("Only …", "You may not …", "You cannot …")
``closed``     theirs to do, but not in this phase or state: refused with the
               row's reason (a window closed, a state, a guard), never done
``invalid``    the form is refused for its data (an organizer's empty form)
``done``       the action happened: 200 or 302, no error, and it changed something
``401``        the JSON API's token endpoints: a session is no token, whoever it is
=============  ===================================================================

How a refusal is shown depends on the page, so each endpoint names its status:
302 back with an error message, 200 with the refusal on the card or form that
comes back (htmx fragments, organizer forms), or 400 with it on the page
(rounds, explanation, publication, a wrong password).

Nothing but ``done`` may change the database: every cell follows the SQL of its
request (savepoints included) and fails on any write other than the session's
and the sign-in throttling's; the actions that may be done or refused also
compare a fingerprint of what they would change (states, versions, evidence,
appraisals, explanations, council, assignments, calendar, publications, runs).

The people (``ROLES``), and their relation to the objects:

=================== ===========================================================
anon                not signed in
plain               signed in, no role, no unit
officer_a, leader_a officer and leader of commune A: own unit of assessment A
officer_b, leader_b the same of commune B: another unit, for everything of A
dept_officer        officer of a department (Phòng Nội vụ) of the district: own
                    unit is D's assessment, assigned its 1.2 and not its 2.1
organizer           Phòng VH&TT of the district: organizes campaigns L and P
organizer_other     organizer of the province: organizes D, nothing of L or P
chair, secretary    council of L (Phòng VH&TT): close rounds; assigned 8 and 9
member              council of L (Công an huyện): assigned pillars 1 and 7
unassigned          council of L (Viettel): no assignment
conflicted          council of L, from an agency of commune A (Bưu điện xã A):
                    assigned pillars 1 and 7, which covers B but never A
provider            data provider of Công an huyện, the agency ``member`` asked
                    about A's 1.2 (one request open, one answered with a file);
                    it provides A's 1.2 (sent) and every unit's officials (not yet)
superuser           Django superuser: an administrator
administrator       the administrator role, not a superuser
inactive            A's officer, deactivated while signed in: an anonymous visitor
=================== ===========================================================

The campaigns: **L**, this year's, communes A and B, put in each phase by
the phase's set-up (``PHASES``); **P**, last year's, the same communes,
published (the public pages; its evidence stays private); **D**, the
province's campaign of the district, self-assessed by departments. The
world is built once for the module inside a transaction rolled back at its
end, and each cell runs in a savepoint of its own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from api import services as api_services
from api.models import ApiToken
from assessments import services as assessment_services
from assessments.models import (
    Assessment,
    AssessmentState,
    AssessmentTransition,
    Campaign,
    DepartmentAssignment,
    Evidence,
    Phase,
    PhaseKind,
    Response,
)
from councils import excel as council_excel
from councils import services as council_services
from councils.models import (
    Appraisal,
    Assignment,
    Council,
    CouncilMember,
    CouncilRole,
    Explanation,
    ExplanationStatus,
    Round,
)
from dti.celery import app as celery_app
from indicators.models import Indicator
from providers import services as provider_services
from providers.models import DataRequest, DataRequestFile, ProvidedFigure, ProviderAssignment
from rankings import services as ranking_services
from rankings.models import Publication, RankingRun
from tests.assessments.helpers import complete
from tests.factories import (
    WINDOW_SHAPES,
    AgencyFactory,
    IndicatorSetFactory,
    UserFactory,
    assessment_set,
    force_state,
    open_campaign,
    set_window,
    unit_tree,
)
from tests.rankings.helpers import score_everything, trimmed_commune_set

S = AssessmentState
GET, POST = "GET", "POST"
PASSWORD = "Mat-khau-ma-tran-2025"

# --- outcomes and roles ------------------------------------------------------------------

OK, LOGIN, NOT_FOUND, NOT_ALLOWED = "ok", "login", "404", "405"
REFUSED, CLOSED, INVALID, DONE = "refused", "closed", "invalid", "done"
UNAUTHORIZED = "401"

ROLES = [
    "anon",
    "plain",
    "officer_a",
    "leader_a",
    "officer_b",
    "leader_b",
    "dept_officer",
    "organizer",
    "organizer_other",
    "chair",
    "secretary",
    "member",
    "unassigned",
    "conflicted",
    "provider",
    "superuser",
    "administrator",
    "inactive",
]
GROUPS = {
    "everyone": " ".join(r for r in ROLES if r not in ("anon", "inactive")),
    "unit_a": "officer_a leader_a",
    "unit_b": "officer_b leader_b",
    "admins": "superuser administrator",
    "closers": "chair secretary",
    "members": "member unassigned conflicted",
    "council": "closers members",
    # who sees a campaign's pages (permissions.can_view_campaign)
    "managers": "organizer admins",
    # who assigns indicators and reaches the rounds page (councils.permissions.can_assign)
    "assigners": "managers closers",
    # who sees assessment A, B of L (permissions.can_view_assessment): the council's
    # members by their guardian grant, never in a unit of their own
    "viewers_a": "unit_a managers council -conflicted",
    "viewers_b": "unit_b managers council",
    # who sees P's assessment of A (P's council is not these people)
    "viewers_pa": "unit_a managers",
    # who sees the data requests about A's 1.2 (providers.permissions.can_view_data_request):
    # the council but its member of A, the organizer and the agency asked; not the unit
    "request_viewers": "council -conflicted organizer provider",
}


def roles(spec: str) -> list[str]:
    """``"viewers_a -leader_a"``: role names and groups, expanded; ``-x`` takes x away."""
    found: list[str] = []
    removed: set[str] = set()
    for word in spec.split():
        if word.startswith("-"):
            removed.update(roles(word[1:]))
        elif word in GROUPS:
            found += roles(GROUPS[word])
        elif word in ROLES:
            found.append(word)
        else:
            raise ValueError(f"unknown role or group {word!r}")
    return [role for role in dict.fromkeys(found) if role not in removed]


def who(default: str = NOT_FOUND, *, anon: str = LOGIN, **outcomes: str) -> dict[str, str]:
    """Each role's outcome: ``who(done="officer_a", refused="viewers_a -officer_a")``.

    Roles not named get ``default`` (404); ``anon`` gets ``login`` unless told
    (``anon=OK`` on a public page), and a deactivated account whatever ``anon``
    gets. A role named twice is a mistake in the table.
    """
    table = {"anon": anon, "inactive": anon}
    for outcome, spec in outcomes.items():
        for role in roles(spec):
            if role in table:
                raise ValueError(f"{role} is named twice")
            table[role] = {"not_found": NOT_FOUND, "not_allowed": NOT_ALLOWED}.get(outcome, outcome)
    return {role: table.get(role, default) for role in ROLES}


PUBLIC = who(OK, anon=OK)  # a public page, the same for everyone
NOBODY = who(NOT_FOUND, anon=NOT_FOUND)  # nothing there for anyone: unpublished, a draft
TOKEN_ONLY = who(UNAUTHORIZED, anon=UNAUTHORIZED)  # the API's token endpoints, from a session
SIGNED_IN = who(ok="everyone")  # any signed-in person
POST_ONLY = who(NOT_ALLOWED)  # GET on a POST-only action
MANAGERS = who(ok="managers")  # the campaign's organizer and administrators
# the unit's self-assessment: its officer writes, whoever sees A is refused, others 404
OFFICER_WRITES = who(done="officer_a", refused="viewers_a -officer_a")
OFFICER_TOO_LATE = who(closed="officer_a", refused="viewers_a -officer_a")
LEADER_DECIDES = who(done="leader_a", refused="viewers_a -leader_a")
LEADER_TOO_LATE = who(closed="leader_a", refused="viewers_a -leader_a")

# --- the phases of campaign L ------------------------------------------------------------

WINDOW = {
    "self": PhaseKind.SELF_ASSESSMENT,
    "round_1": PhaseKind.ROUND_1,
    "explanation": PhaseKind.EXPLANATION,
    "round_2": PhaseKind.ROUND_2,
}


def _put(w, state, **windows):
    """A and B in ``state``, L's named windows in a shape of ``WINDOW_SHAPES``.

    What ``force_state`` and ``set_window`` do, in one statement each.
    """
    Assessment.objects.filter(pk__in=[w.a.pk, w.b.pk]).update(state=state)
    now = timezone.now()
    for kind, shape in windows.items():
        opens, closes, grace = WINDOW_SHAPES[shape]
        Phase.objects.filter(campaign=w.L, kind=WINDOW[kind]).update(
            opens_at=now + opens, closes_at=now + closes, grace_minutes=grace
        )


def _round_one_scored(w):
    """Every indicator of A and B appraised in round 1 by its assigned member."""
    rows = []
    for response in Response.objects.filter(assessment__in=[w.a, w.b]).select_related(
        "indicator__pillar"
    ):
        owner = "chair" if response.indicator.pillar.code in ("8", "9") else "member"
        rows.append(
            Appraisal(
                response=response,
                round=Round.ONE,
                member=w.members[owner],
                score=response.self_score,
            )
        )
    Appraisal.objects.bulk_create(rows)


def _disputed(w):
    """A and B submitted an explanation of 1.2: it is appraised again in round 2."""
    for response, officer in ((w.r_a12, "officer_a"), (w.r_b12, "officer_b")):
        Explanation.objects.create(
            response=response,
            text="Đã bổ sung biên bản họp.",
            status=ExplanationStatus.SUBMITTED,
            submitted_at=timezone.now(),
            updated_by=w.people[officer],
        )


PHASES: dict[str, tuple[str, Callable]] = {
    # the world as built (build_world ends in it): nothing to set up
    "self_open": ("A, B open; self-assessment window open", lambda w: None),
    "self_closed": ("A, B open; its window closed", lambda w: _put(w, S.OPEN, self="closed")),
    "submitted": ("A, B self-assessed; window open", lambda w: _put(w, S.SELF_ASSESSED)),
    "submitted_closed": (
        "A, B self-assessed; window closed",
        lambda w: _put(w, S.SELF_ASSESSED, self="closed"),
    ),
    "round1": (
        "A, B confirmed; round-1 window open, nothing appraised yet",
        lambda w: _put(w, S.CONFIRMED, self="closed", round_1="open"),
    ),
    "round1_closed": (
        "A, B confirmed; round-1 window closed",
        lambda w: _put(w, S.CONFIRMED, self="closed", round_1="closed"),
    ),
    "round1_scored": (
        "A, B confirmed; round-1 window open, every indicator appraised",
        lambda w: (_put(w, S.CONFIRMED, self="closed", round_1="open"), _round_one_scored(w)),
    ),
    "appraised1": (
        "A, B appraised in round 1; explanation window open",
        lambda w: _put(w, S.APPRAISED_1, round_1="closed", explanation="open"),
    ),
    "appraised1_early": (
        "A, B appraised in round 1; explanation window not open yet",
        lambda w: _put(w, S.APPRAISED_1, round_1="closed", explanation="not_yet"),
    ),
    "explanation": (
        "A, B in explanation; its window open",
        lambda w: _put(w, S.EXPLANATION, round_1="closed", explanation="open"),
    ),
    "explanation_closed": (
        "A, B in explanation; its window closed, round 2 not open, nothing disputed",
        lambda w: _put(w, S.EXPLANATION, explanation="closed", round_2="not_yet"),
    ),
    "round2": (
        "A, B in explanation, 1.2 disputed; round-2 window open",
        lambda w: (_put(w, S.EXPLANATION, explanation="closed", round_2="open"), _disputed(w)),
    ),
    "round2_closed": (
        "A, B in explanation, 1.2 disputed; round-2 window closed",
        lambda w: (_put(w, S.EXPLANATION, explanation="closed", round_2="closed"), _disputed(w)),
    ),
    "appraised2": ("A, B appraised in round 2: ready to publish", lambda w: _put(w, S.APPRAISED_2)),
    "appraised2_a_only": (
        "A appraised in round 2, B still in explanation",
        lambda w: (_put(w, S.APPRAISED_2), force_state(w.b, S.EXPLANATION)),
    ),
    "published": ("campaign P, published last year (L as built)", lambda w: None),
    "any": ("no phase: site pages, campaign D", lambda w: None),
}

# --- the endpoints: what a URL points at, what is posted, how a refusal comes back -------


def kw(**spec: str) -> Callable:
    """``kw(pk="a", indicator_id="i12")``: the URL's kwargs, pks of the world's objects."""
    return lambda w: {name: getattr(w, obj).pk for name, obj in spec.items()}


def pdf():
    """A small PDF, different each time (one file twice on an indicator is stored once)."""
    content = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20
    content += f"% {uuid.uuid4().hex}\n%%EOF\n".encode()
    return SimpleUploadedFile("bien-ban.pdf", content, content_type="application/pdf")


def answer(response: str, value: str) -> Callable:
    """The unit card's form: a new value, from the version the page showed."""

    def data(w):
        version = Response.objects.get(pk=getattr(w, response).pk).version
        return {"expected_version": version, "value": value}

    return data


def fixed(**data) -> Callable:
    return lambda w: data


def assignment_sheet(w) -> dict:
    content = council_excel.export_assignments(council=w.council)
    return {"file": SimpleUploadedFile("phan-cong.xlsx", content)}


def decision(w) -> dict:
    return {
        "decision_number": "2675/QĐ-UBND",
        "decision_date": timezone.localdate().strftime("%d/%m/%Y"),
        "signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        "signer_name": "Nguyễn Văn An",
        "password": PASSWORD,
    }


def on_a(**data) -> Callable:
    """A form of the rounds page about assessment A."""
    return lambda w: {"assessment": w.a.pk, **data}


def about_a12(**data) -> Callable:
    """A form of the explanation page about A's indicator 1.2."""
    return lambda w: {"response": w.r_a12.pk, **data}


@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL's name, with its namespace
    target: str = "-"  # what it points at, for the test id
    kwargs: Callable = lambda w: {}
    data: Callable | None = None  # what a POST sends
    refused: int | None = None  # the status of a refusal (or invalid form) on this page
    query: str = ""

    def __call__(self, method: str, phase: str, expect: dict[str, str], why: str = ""):
        return Row(self, method, phase, expect, why)


@dataclass(frozen=True)
class Row:
    endpoint: Endpoint
    method: str
    phase: str
    expect: dict[str, str]
    why: str = ""  # the reason every "closed" cell of the row gives

    @property
    def id(self) -> str:
        return f"{self.endpoint.name}-{self.method}-{self.endpoint.target}-{self.phase}"


E = Endpoint
A, A12, A13 = kw(pk="a"), kw(pk="a", indicator_id="i12"), kw(pk="a", indicator_id="i13")
CAMP_L, CAMP_D, CAMP_P = kw(pk="L"), kw(pk="D"), kw(pk="P")
COUNCIL_L = kw(campaign_pk="L")

HOME = E("home")
SIGN_IN = E("login")
SIGN_OUT = E("logout", data=fixed())
PASSWORD_CHANGE = E("password_change", data=fixed(), refused=200)
PASSWORD_CHANGED = E("password_change_done")
METHOD_INDEX = E("indicators:methodology_index")
METHOD_L = E("indicators:methodology", "set-L", kw(set_id="set_l"))
METHOD_DRAFT = E("indicators:methodology", "draft-set", kw(set_id="draft_set"))
# the unit's pages
DETAIL_A = E("assessments:assessment_detail", "A", A)
DETAIL_B = E("assessments:assessment_detail", "B", kw(pk="b"))
DETAIL_PA = E("assessments:assessment_detail", "P-A", kw(pk="pa"))
DETAIL_D = E("assessments:assessment_detail", "D", kw(pk="d"))
SAVE_A = E("assessments:response_save", "A-1.2", A12, answer("r_a12", "3"), 200)
SAVE_PA = E(
    "assessments:response_save",
    "P-A-1.2",
    kw(pk="pa", indicator_id="p_i12"),
    answer("r_pa12", "3"),
    200,
)
SAVE_D_ASSIGNED = E(
    "assessments:response_save",
    "D-1.2",
    kw(pk="d", indicator_id="d_i12"),
    answer("r_d12", "3"),
    200,
)
SAVE_D_OTHER = E(
    "assessments:response_save",
    "D-2.1",
    kw(pk="d", indicator_id="d_i21"),
    answer("r_d21", "5"),
    200,
)
PREVIEW_A = E("assessments:response_preview", "A-1.2", A12, fixed(value="3"), query="value=3")
HISTORY_A = E("assessments:response_history", "A-1.2", A12)
ATTACH_A = E(
    "assessments:evidence_add", "A-1.3", A13, lambda w: {"kind": "file", "file": pdf()}, 200
)
# The forms "Add evidence" opens: whoever sees A gets them, or why they cannot add.
EVIDENCE_FORMS_A = E("assessments:evidence_forms", "A-1.3", A13)
# A refusal shows the page again (400) with the figures as typed: nothing typed is lost.
GENERAL_INFO_A = E("assessments:general_info_save", "A", A, fixed(tong_so_cbcc="25"), 400)
SUBMIT_A = E("assessments:assessment_submit", "A", A, fixed(), 302)
REVIEW_A = E("assessments:assessment_review", "A", A)
CONFIRM_A = E(
    "assessments:assessment_review", "A-confirm", A, fixed(action="confirm", password=PASSWORD), 302
)
CONFIRM_A_WRONG_PASSWORD = E(
    "assessments:assessment_review",
    "A-confirm-wrong-password",
    A,
    fixed(action="confirm", password="khong-phai-mat-khau"),
    400,
)
RETURN_A = E(
    "assessments:assessment_review", "A-return", A, fixed(action="return", reason="Bổ sung."), 302
)
FILE_A = E("assessments:evidence_download", "A", kw(pk="ev_a"))
FILE_B = E("assessments:evidence_download", "B", kw(pk="ev_b"))
FILE_PA = E("assessments:evidence_download", "P-A", kw(pk="ev_pa"))
REMOVE_A = E("assessments:evidence_remove", "A", kw(pk="ev_a"), fixed(), 200)
# the organizer's campaign pages
CAMPAIGNS = E("assessments:campaign_list")
CREATE = E("assessments:campaign_create", data=fixed(name=""), refused=200)
CAMPAIGN_L = E("assessments:campaign_detail", "L", CAMP_L)
CAMPAIGN_D = E("assessments:campaign_detail", "D", CAMP_D)
CALENDAR_L = E("assessments:campaign_calendar", "L", CAMP_L, fixed(), 200)
UNITS_L = E("assessments:campaign_units", "L", CAMP_L, fixed(), 200)
DEPARTMENTS_L = E("assessments:campaign_departments", "L", CAMP_L)
DEPARTMENTS_D = E(
    "assessments:campaign_departments",
    "D",
    CAMP_D,
    lambda w: {f"indicator_{w.d_i21.pk}": str(w.home_affairs.pk)},
)
AUDIT_L = E("assessments:campaign_audit_log", "L", CAMP_L)
AUDIT_D = E("assessments:campaign_audit_log", "D", CAMP_D)
AUDIT_XLSX_L = E("assessments:campaign_audit_xlsx", "L", CAMP_L)
AUDIT_CSV_L = E("assessments:campaign_audit_csv", "L", CAMP_L)
REOPEN_A = E(
    "assessments:campaign_assessment_reopen",
    "L-A",
    kw(pk="L", assessment_pk="a"),
    fixed(to_state=S.OPEN, reason="Đơn vị xin bổ sung tài liệu."),
    200,
)
# the council
MY_COUNCILS = E("councils:my_councils")
COUNCIL = E(
    "councils:council_manage",
    "L",
    COUNCIL_L,
    lambda w: {"action": "add", "user": w.people["candidate"].pk, "role": CouncilRole.MEMBER},
)
MATRIX = E(
    "councils:assignment_matrix",
    "L",
    COUNCIL_L,
    lambda w: {"action": "assign", "member": w.members["unassigned"].pk, "pillar": w.pillar9.pk},
)
EXPORT = E("councils:assignment_export", "L", COUNCIL_L)
IMPORT = E("councils:assignment_import", "L", COUNCIL_L, assignment_sheet)
ROUNDS = E("councils:rounds", "L", COUNCIL_L)
CLOSE_1 = E("councils:rounds", "close_1", COUNCIL_L, on_a(action="close_1"), 400)
OPEN_EXPLANATION = E(
    "councils:rounds", "open_explanation", COUNCIL_L, on_a(action="open_explanation"), 400
)
CLOSE_2 = E("councils:rounds", "close_2", COUNCIL_L, on_a(action="close_2"), 400)
WORKBENCH = E("councils:workbench", "L", COUNCIL_L)
APPRAISE_A = E(
    "councils:appraisal_save",
    "A-1.2",
    kw(campaign_pk="L", response_pk="r_a12"),
    fixed(score="1", comment="Đối chiếu biên bản."),
    302,
)
APPRAISE_B = E(
    "councils:appraisal_save",
    "B-1.2",
    kw(campaign_pk="L", response_pk="r_b12"),
    fixed(score="1", comment="Đối chiếu biên bản."),
    302,
)
EXPLANATION_A = E("councils:explanation", "A", kw(assessment_pk="a"))
EXPLAIN_DRAFT_A = E(
    "councils:explanation",
    "A-draft",
    kw(assessment_pk="a"),
    about_a12(action="draft", text="Nháp."),
    400,
)
EXPLAIN_A = E(
    "councils:explanation",
    "A-submit",
    kw(assessment_pk="a"),
    about_a12(action="submit", text="Xin xem."),
    400,
)
EXPLAIN_EVIDENCE_A = E(
    "councils:explanation",
    "A-evidence",
    kw(assessment_pk="a"),
    about_a12(action="evidence", kind="link", url="https://xa-a.gov.vn/bien-ban"),
    400,
)
RESULTS_A = E("councils:results", "A", kw(assessment_pk="a"))
RESULTS_PA = E("councils:results", "P-A", kw(assessment_pk="pa"))
# the public results
PUBLIC_INDEX = E("rankings:results_index")
PUBLIC_L = E("rankings:results_campaign", "L", kw(campaign_pk="L"))
PUBLIC_P = E("rankings:results_campaign", "P", kw(campaign_pk="P"))
PUBLIC_UNIT_L = E("rankings:results_unit", "L-A", kw(campaign_pk="L", assessment_pk="a"))
PUBLIC_UNIT_P = E("rankings:results_unit", "P-A", kw(campaign_pk="P", assessment_pk="pa"))
PUBLIC_UNIT_MIXED = E("rankings:results_unit", "P-with-L-A", kw(campaign_pk="P", assessment_pk="a"))
APPENDIX_L = E("rankings:results_appendix_pdf", "L", kw(campaign_pk="L"))
APPENDIX_P = E("rankings:results_appendix_pdf", "P", kw(campaign_pk="P"))
WORKBOOK_L = E("rankings:results_workbook", "L", kw(campaign_pk="L"))
WORKBOOK_P = E("rankings:results_workbook", "P", kw(campaign_pk="P"))
UNIT_PDF_L = E("rankings:results_unit_pdf", "L-A", kw(campaign_pk="L", assessment_pk="a"))
UNIT_PDF_P = E("rankings:results_unit_pdf", "P-A", kw(campaign_pk="P", assessment_pk="pa"))
# the organizer's rankings and publication
RANKINGS = E("rankings:campaign_rankings", "L", CAMP_L)
RUNS = E("rankings:campaign_runs", "L", CAMP_L)
RECOMPUTE = E("rankings:campaign_recompute", "L", CAMP_L, fixed())
SCORECARD_A = E("rankings:campaign_scorecard", "L-A", kw(pk="L", assessment_pk="a"))
DASHBOARD = E("rankings:campaign_dashboard", "L", CAMP_L)
PUBLISH_L = E("rankings:campaign_publish", "L", CAMP_L, decision, 400)
PUBLISH_P = E("rankings:campaign_publish", "P", CAMP_P, decision, 400)
PUBLISH_L_NO_PASSWORD = E(
    "rankings:campaign_publish",
    "L-no-password",
    CAMP_L,
    lambda w: {**decision(w), "password": ""},
    400,
)
# the JSON API (/api/v1/) and the page of a person's API tokens
API_SCHEMA = E("api-v1:openapi-json")
API_DOCS = E("api-v1:openapi-view")
API_ROOT = E("api-v1:api-root")
API_RESULTS = E("api-v1:results_campaigns")
API_RESULTS_L = E("api-v1:results_campaign", "L", kw(campaign_id="L"))
API_RESULTS_P = E("api-v1:results_campaign", "P", kw(campaign_id="P"))
API_RANKING_L = E(
    "api-v1:results_ranking", "L-dti", lambda w: {"campaign_id": w.L.pk, "kind": "dti"}
)
API_RANKING_P = E(
    "api-v1:results_ranking", "P-dti", lambda w: {"campaign_id": w.P.pk, "kind": "dti"}
)
API_SCORECARD_L = E("api-v1:results_scorecard", "L-A", kw(campaign_id="L", assessment_id="a"))
API_SCORECARD_P = E("api-v1:results_scorecard", "P-A", kw(campaign_id="P", assessment_id="pa"))
API_SCORECARD_MIXED = E(
    "api-v1:results_scorecard", "P-with-L-A", kw(campaign_id="P", assessment_id="a")
)
API_CAMPAIGNS = E("api-v1:provider_campaigns")
API_FIGURES_L = E("api-v1:provider_figures", "L", kw(campaign_id="L"))
API_SUBMIT_L = E("api-v1:provider_figures_submit", "L", kw(campaign_id="L"), fixed())
TOKENS = E("api:token_list", data=fixed(name="Hệ thống báo cáo"), refused=200)
TOKENS_NO_NAME = E("api:token_list", "no-name", data=fixed(name=""), refused=200)


def officer_a_token(w) -> dict:
    """A token of officer_a, made in the cell's own savepoint."""
    token = api_services.token_create(user=w.people["officer_a"], name="Hệ thống xã A")[0]
    return {"pk": token.pk}


TOKEN_REVOKE = E("api:token_revoke", "officer_a", officer_a_token, fixed())

# the data requests about A's 1.2: ``member`` asks the police, whose ``provider`` answers
ASK_A = E(
    "providers:request_ask",
    "A-1.2",
    kw(response_pk="r_a12"),
    lambda w: {
        "agency": w.police.pk,
        "due_date": (timezone.localdate() + timedelta(days=7)).strftime("%d/%m/%Y"),
        "question": "Số thuê bao cáp quang của xã?",
    },
    400,
)
DATA_REQUEST = E("providers:request_detail", "open", kw(pk="dr_open"))
DATA_ANSWER = E(
    "providers:request_detail",
    "answer",
    kw(pk="dr_open"),
    lambda w: {"action": "answer", "answer": "1.234 thuê bao.", "files": pdf()},
    400,
)
DATA_WITHDRAW = E(
    "providers:request_detail", "withdraw", kw(pk="dr_open"), fixed(action="withdraw"), 400
)
DATA_FILE = E("providers:request_file_download", "answered", kw(pk="dr_file"))
DATA_INBOX = E("providers:request_inbox")
MY_DATA_REQUESTS = E("providers:member_requests", "L", COUNCIL_L)
# the providers' figures: the police provide A's 1.2 (a figure sent) and the officials' count
# of every unit (nothing sent yet); ``provider`` sends theirs, the organizer names them
PROVIDERS_L = E(
    "providers:campaign_providers",
    "L",
    COUNCIL_L,
    lambda w: {"action": "create", "agency": w.viettel.pk, "figure": f"f{w.people_field.pk}"},
)
WITHDRAW_L = E(
    "providers:campaign_providers",
    "withdraw",
    COUNCIL_L,
    lambda w: {"action": "delete", "assignment": w.pa_officials.pk},
)
WITHDRAW_SENT_L = E(
    "providers:campaign_providers",
    "withdraw-sent",
    COUNCIL_L,
    lambda w: {"action": "delete", "assignment": w.pa_12.pk},
    200,
)
MY_FIGURES = E("providers:my_campaigns")
FIGURES_L = E("providers:figures", "L", COUNCIL_L)
FIGURE_A = E(
    "providers:figure_save",
    "A-1.2",
    kw(campaign_pk="L", assignment_pk="pa_12", assessment_pk="a"),
    fixed(value="4"),
)
FIGURE_B = E(
    "providers:figure_save",
    "B-1.2",
    kw(campaign_pk="L", assignment_pk="pa_12", assessment_pk="b"),
    fixed(value="4"),
)
FIGURE_SHEET_L = E("providers:sheet_template", "L", COUNCIL_L)
FIGURE_UPLOAD_L = E(
    "providers:sheet_upload",
    "L",
    COUNCIL_L,
    lambda w: {
        "file": SimpleUploadedFile(
            "so-lieu.csv", f"ID đơn vị,Mã số liệu,Giá trị\n{w.a.unit_id},1.2,4\n".encode()
        )
    },
)

WINDOW_CLOSED = "window closed at"

# --- the table -----------------------------------------------------------------------------

ROWS: list[Row] = [
    # --- the site and the public method
    HOME(GET, "any", SIGNED_IN),
    SIGN_IN(GET, "any", PUBLIC),
    SIGN_OUT(POST, "any", who(LOGIN)),
    SIGN_OUT(GET, "any", who(NOT_ALLOWED, anon=NOT_ALLOWED)),
    PASSWORD_CHANGE(GET, "any", SIGNED_IN),
    PASSWORD_CHANGE(POST, "any", who(invalid="everyone")),
    PASSWORD_CHANGED(GET, "any", SIGNED_IN),
    METHOD_INDEX(GET, "any", PUBLIC),
    METHOD_L(GET, "any", PUBLIC),
    METHOD_DRAFT(GET, "any", NOBODY),
    # --- the unit's self-assessment of L: A's people, the organizer, administrators and
    # the council (not the conflicted member) see it; only A's officer writes, only in
    # the window and while it is open
    DETAIL_A(GET, "self_open", who(ok="viewers_a")),
    DETAIL_B(GET, "self_open", who(ok="viewers_b")),
    DETAIL_PA(GET, "published", who(ok="viewers_pa")),
    DETAIL_D(GET, "any", who(ok="dept_officer organizer_other admins")),
    SAVE_A(GET, "self_open", who(ok="viewers_a")),
    SAVE_A(POST, "self_open", OFFICER_WRITES),
    SAVE_A(POST, "self_closed", OFFICER_TOO_LATE, WINDOW_CLOSED),
    SAVE_A(POST, "submitted", OFFICER_TOO_LATE, "changed only while it is open"),
    SAVE_PA(
        POST,
        "published",
        who(closed="officer_a", refused="viewers_pa -officer_a"),
        "only while it is open",
    ),
    # a department officer writes the indicators assigned to their department only
    SAVE_D_ASSIGNED(POST, "any", who(done="dept_officer", refused="organizer_other admins")),
    SAVE_D_OTHER(POST, "any", who(refused="dept_officer organizer_other admins")),
    PREVIEW_A(GET, "self_open", who(ok="viewers_a")),
    PREVIEW_A(POST, "self_open", who(ok="viewers_a")),
    HISTORY_A(GET, "self_open", who(ok="viewers_a")),
    ATTACH_A(POST, "self_open", OFFICER_WRITES),
    ATTACH_A(POST, "self_closed", OFFICER_TOO_LATE, WINDOW_CLOSED),
    ATTACH_A(GET, "self_open", POST_ONLY),
    EVIDENCE_FORMS_A(GET, "self_open", who(ok="viewers_a")),
    EVIDENCE_FORMS_A(GET, "self_closed", who(ok="viewers_a")),
    GENERAL_INFO_A(POST, "self_open", OFFICER_WRITES),
    GENERAL_INFO_A(POST, "self_closed", OFFICER_TOO_LATE, WINDOW_CLOSED),
    GENERAL_INFO_A(GET, "self_open", POST_ONLY),
    SUBMIT_A(POST, "self_open", OFFICER_WRITES),
    SUBMIT_A(POST, "self_closed", OFFICER_TOO_LATE, WINDOW_CLOSED),
    SUBMIT_A(GET, "self_open", POST_ONLY),
    REVIEW_A(GET, "submitted", who(ok="viewers_a")),
    CONFIRM_A(POST, "submitted", LEADER_DECIDES),
    CONFIRM_A(POST, "submitted_closed", LEADER_TOO_LATE, WINDOW_CLOSED),
    CONFIRM_A(POST, "self_open", LEADER_TOO_LATE, "the assessment is “Open for self-assessment”"),
    # confirming cannot be undone: the password is asked again, and a wrong one does nothing
    CONFIRM_A_WRONG_PASSWORD(POST, "submitted", who(invalid="viewers_a")),
    RETURN_A(POST, "submitted", LEADER_DECIDES),
    RETURN_A(POST, "submitted_closed", LEADER_TOO_LATE, WINDOW_CLOSED),
    # --- evidence files: whoever sees the assessment, never the public, even published
    FILE_A(GET, "self_open", who(ok="viewers_a")),
    FILE_B(GET, "self_open", who(ok="viewers_b")),
    FILE_PA(GET, "published", who(ok="viewers_pa")),
    REMOVE_A(POST, "self_open", OFFICER_WRITES),
    REMOVE_A(POST, "self_closed", OFFICER_TOO_LATE, WINDOW_CLOSED),
    REMOVE_A(GET, "self_open", POST_ONLY),
    # --- the organizer's campaign pages: its organizer (administrators read)
    CAMPAIGNS(GET, "any", SIGNED_IN),
    CREATE(GET, "any", who(ok="organizer organizer_other")),
    CREATE(POST, "any", who(invalid="organizer organizer_other")),
    CAMPAIGN_L(GET, "self_open", MANAGERS),
    CAMPAIGN_D(GET, "any", who(ok="organizer_other admins")),
    CALENDAR_L(GET, "self_open", who(ok="organizer")),
    CALENDAR_L(POST, "self_open", who(invalid="organizer")),
    UNITS_L(GET, "self_open", who(ok="organizer")),
    UNITS_L(POST, "self_open", who(invalid="organizer")),
    DEPARTMENTS_L(GET, "self_open", who()),  # a commune campaign has no departments
    DEPARTMENTS_D(GET, "any", who(ok="organizer_other")),
    DEPARTMENTS_D(POST, "any", who(done="organizer_other")),
    AUDIT_L(GET, "round1", MANAGERS),
    AUDIT_XLSX_L(GET, "round1", MANAGERS),
    AUDIT_CSV_L(GET, "round1", MANAGERS),
    AUDIT_D(GET, "any", who(ok="organizer_other admins")),
    REOPEN_A(GET, "submitted", who(ok="admins")),
    REOPEN_A(POST, "submitted", who(done="admins")),
    # --- the council: formed by the organizer, assignments by the organizer, chair
    # and secretary; every member has a workbench, appraises only what is assigned
    # to them and never in a unit of their own; chair and secretary close the rounds
    MY_COUNCILS(GET, "any", SIGNED_IN),
    COUNCIL(GET, "self_open", MANAGERS),
    COUNCIL(POST, "self_open", who(done="managers")),
    MATRIX(GET, "self_open", who(ok="assigners")),
    MATRIX(POST, "self_open", who(done="assigners")),
    EXPORT(GET, "self_open", who(ok="assigners")),
    IMPORT(POST, "self_open", who(ok="assigners")),  # the preview; nothing written yet
    IMPORT(GET, "self_open", POST_ONLY),
    ROUNDS(GET, "round1", who(ok="assigners")),
    CLOSE_1(POST, "round1_scored", who(done="closers", refused="managers")),
    CLOSE_1(POST, "round1", who(closed="closers", refused="managers"), "without a round-1 score"),
    OPEN_EXPLANATION(POST, "appraised1", who(done="organizer", refused="admins closers")),
    OPEN_EXPLANATION(
        POST,
        "appraised1_early",
        who(closed="organizer", refused="admins closers"),
        "window opens at",
    ),
    CLOSE_2(POST, "explanation_closed", who(done="closers", refused="managers")),
    CLOSE_2(
        POST,
        "explanation",
        who(closed="closers", refused="managers"),
        "after the explanation window",
    ),
    WORKBENCH(GET, "round1", who(ok="council")),
    APPRAISE_A(POST, "round1", who(done="member")),
    APPRAISE_B(POST, "round1", who(done="member conflicted")),
    APPRAISE_A(POST, "round1_closed", who(closed="member"), WINDOW_CLOSED),
    APPRAISE_A(
        POST, "self_open", who(closed="member"), "the assessment is “Open for self-assessment”"
    ),
    APPRAISE_A(POST, "explanation", who(closed="member"), "once the explanation window has closed"),
    APPRAISE_A(POST, "round2", who(done="member")),
    APPRAISE_A(POST, "round2_closed", who(closed="member"), WINDOW_CLOSED),
    APPRAISE_A(GET, "round1", POST_ONLY),
    # --- the unit's explanation (its people, from Explanation on) and the results
    EXPLANATION_A(GET, "round1", who()),
    EXPLANATION_A(GET, "explanation", who(ok="unit_a")),
    EXPLAIN_DRAFT_A(POST, "explanation", who(done="officer_a", refused="leader_a")),
    EXPLAIN_A(POST, "explanation", who(done="officer_a", refused="leader_a")),
    EXPLAIN_EVIDENCE_A(POST, "explanation", who(done="officer_a", refused="leader_a")),
    EXPLAIN_A(
        POST, "explanation_closed", who(closed="officer_a", refused="leader_a"), WINDOW_CLOSED
    ),
    RESULTS_A(GET, "round1", who(ok="viewers_a -unit_a")),
    RESULTS_A(GET, "explanation", who(ok="viewers_a")),
    RESULTS_PA(GET, "published", who(ok="viewers_pa")),
    # --- the public results: nothing before publication, everything after
    PUBLIC_INDEX(GET, "any", PUBLIC),
    PUBLIC_L(GET, "appraised2", NOBODY),
    PUBLIC_P(GET, "published", PUBLIC),
    PUBLIC_UNIT_L(GET, "appraised2", NOBODY),
    PUBLIC_UNIT_P(GET, "published", PUBLIC),
    PUBLIC_UNIT_MIXED(GET, "published", NOBODY),
    APPENDIX_L(GET, "appraised2", NOBODY),
    APPENDIX_P(GET, "published", PUBLIC),
    WORKBOOK_L(GET, "appraised2", NOBODY),
    WORKBOOK_P(GET, "published", PUBLIC),
    UNIT_PDF_L(GET, "appraised2", NOBODY),
    UNIT_PDF_P(GET, "published", PUBLIC),
    # --- the organizer's rankings (administrators read) and the publication (organizer)
    RANKINGS(GET, "round1", MANAGERS),
    RUNS(GET, "round1", MANAGERS),
    RECOMPUTE(POST, "round1", who(done="managers")),
    RECOMPUTE(GET, "round1", POST_ONLY),
    SCORECARD_A(GET, "round1", MANAGERS),
    DASHBOARD(GET, "round1", MANAGERS),
    PUBLISH_L(GET, "appraised2", MANAGERS),
    PUBLISH_L(POST, "appraised2", who(done="organizer", refused="admins")),
    PUBLISH_L(
        POST,
        "appraised2_a_only",
        who(closed="organizer", refused="admins"),
        "not appraised in round 2",
    ),
    PUBLISH_P(
        POST, "published", who(closed="organizer", refused="admins"), "needs a written reason"
    ),
    PUBLISH_L_NO_PASSWORD(POST, "appraised2", who(invalid="managers")),
    # --- the JSON API: the published results as the public pages, nothing unpublished; a
    # session never authenticates it (its token endpoints are 401 for every role); each
    # person makes and revokes their own tokens only
    API_SCHEMA(GET, "any", PUBLIC),
    API_DOCS(GET, "any", PUBLIC),
    API_ROOT(GET, "any", NOBODY),
    API_RESULTS(GET, "published", PUBLIC),
    API_RESULTS_L(GET, "appraised2", NOBODY),
    API_RESULTS_P(GET, "published", PUBLIC),
    API_RANKING_L(GET, "appraised2", NOBODY),
    API_RANKING_P(GET, "published", PUBLIC),
    API_SCORECARD_L(GET, "appraised2", NOBODY),
    API_SCORECARD_P(GET, "published", PUBLIC),
    API_SCORECARD_MIXED(GET, "published", NOBODY),
    API_CAMPAIGNS(GET, "any", TOKEN_ONLY),
    API_FIGURES_L(GET, "self_open", TOKEN_ONLY),
    API_SUBMIT_L(POST, "self_open", TOKEN_ONLY),
    TOKENS(GET, "any", SIGNED_IN),
    TOKENS(POST, "any", who(done="everyone")),
    TOKENS_NO_NAME(POST, "any", who(invalid="everyone")),
    TOKEN_REVOKE(POST, "any", who(done="officer_a")),
    TOKEN_REVOKE(GET, "any", POST_ONLY),
    # --- data requests: a council member asks an agency about a response they may see
    # (never in a unit of their own), the agency's data providers answer, the member who
    # asked withdraws; the council, the organizer and the agency see them, never the unit,
    # and their files are never public
    ASK_A(GET, "round1", who(ok="council -conflicted")),
    ASK_A(POST, "round1", who(done="council -conflicted")),
    DATA_REQUEST(GET, "round1", who(ok="request_viewers")),
    DATA_ANSWER(POST, "round1", who(done="provider", refused="request_viewers -provider")),
    DATA_WITHDRAW(POST, "round1", who(done="member", refused="request_viewers -member")),
    DATA_FILE(GET, "round1", who(ok="request_viewers")),
    DATA_INBOX(GET, "any", who(ok="provider")),
    MY_DATA_REQUESTS(GET, "round1", who(ok="council")),
    # --- the providers' figures: the organizer names the providers and withdraws one that
    # has sent nothing; a data provider sends only its agency's figures, for its units
    PROVIDERS_L(GET, "self_open", who(ok="organizer")),
    PROVIDERS_L(POST, "self_open", who(done="organizer")),
    WITHDRAW_L(POST, "self_open", who(done="organizer")),
    WITHDRAW_SENT_L(POST, "self_open", who(closed="organizer"), "already sent figures"),
    MY_FIGURES(GET, "any", SIGNED_IN),
    FIGURES_L(GET, "self_open", who(ok="provider")),
    FIGURE_A(POST, "self_open", who(done="provider")),
    FIGURE_A(GET, "self_open", POST_ONLY),
    FIGURE_B(POST, "self_open", who()),  # B is not among the units the police provide for
    FIGURE_SHEET_L(GET, "self_open", who(ok="provider")),
    FIGURE_UPLOAD_L(POST, "self_open", who(ok="provider")),  # the preview; nothing written
    FIGURE_UPLOAD_L(GET, "self_open", POST_ONLY),
]

# URL prefixes deliberately outside the matrix, and why. Every other pattern needs a row.
NOT_IN_MATRIX = {
    "admin/": "the Django admin: staff only, Django's own model permissions",
    "i18n/": "i18n plumbing (set_language): sets the language cookie, no object",
}

# --- the world -------------------------------------------------------------------------------


def _user(**fields):
    user = UserFactory(**fields)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _response(assessment, code) -> Response:
    return Response.objects.select_related("indicator", "assessment").get(
        assessment=assessment, indicator__code=code
    )


def build_world() -> SimpleNamespace:
    tree = unit_tree()
    unit_a, unit_b = tree["communes"]
    district, province = tree["district"], tree["province"]
    culture = AgencyFactory(name="Phòng Văn hóa và Thông tin", unit=district)
    police = AgencyFactory(name="Công an huyện", kind="police", unit=district)
    viettel = AgencyFactory(name="Viettel huyện", kind="telecom", unit=district)
    post_a = AgencyFactory(name="Bưu điện văn hóa xã A", kind="post", unit=unit_a)
    home_affairs = AgencyFactory(name="Phòng Nội vụ", unit=district)
    tax = AgencyFactory(name="Chi cục Thuế", unit=district)
    officer, leader, organizer = ["unit_officer"], ["unit_leader"], ["organizer"]
    people = {
        "plain": _user(username="plain"),
        "officer_a": _user(username="officer_a", unit=unit_a, roles=officer),
        "leader_a": _user(username="leader_a", unit=unit_a, roles=leader),
        "officer_b": _user(username="officer_b", unit=unit_b, roles=officer),
        "leader_b": _user(username="leader_b", unit=unit_b, roles=leader),
        "dept_officer": _user(username="dept_officer", agency=home_affairs, roles=officer),
        "organizer": _user(username="organizer", agency=culture, roles=organizer),
        "organizer_other": _user(username="organizer_other", unit=province, roles=organizer),
        "chair": _user(username="chair", agency=culture),
        "secretary": _user(username="secretary", agency=culture),
        "member": _user(username="member", agency=police),
        "unassigned": _user(username="unassigned", agency=viettel),
        "conflicted": _user(username="conflicted", agency=post_a),
        "superuser": _user(username="superuser", is_superuser=True, is_staff=True),
        "administrator": _user(username="administrator", roles=["administrator"]),
        "inactive": _user(username="inactive", unit=unit_a, roles=officer),
        "provider": _user(username="provider", agency=police, roles=["data_provider"]),
        # not a role of the matrix: whom the organizer adds to the council
        "candidate": _user(username="candidate", agency=tax),
    }
    Group.objects.get_or_create(name="council_member")

    # L: this year's campaign of communes A and B, answered, with evidence and a council.
    set_l = trimmed_commune_set(name="Bộ chỉ số ma trận 2025", year=2025)
    campaign_l = open_campaign(
        organizer=people["organizer"], indicator_set=set_l, name="Đánh giá DTI 2025"
    )
    a = Assessment.objects.get(campaign=campaign_l, unit=unit_a)
    b = Assessment.objects.get(campaign=campaign_l, unit=unit_b)
    complete(a, people["officer_a"])
    complete(b, people["officer_b"])
    ev_a = assessment_services.evidence_add_file(
        response=_response(a, "1.3"), user=people["officer_a"], uploaded_file=pdf()
    )
    ev_b = assessment_services.evidence_add_file(
        response=_response(b, "1.3"), user=people["officer_b"], uploaded_file=pdf()
    )
    council = council_services.council_create(
        campaign=campaign_l, user=people["organizer"], decision_number="15/QĐ-UBND"
    )
    members = {}
    for name, role in [
        ("chair", CouncilRole.CHAIR),
        ("secretary", CouncilRole.SECRETARY),
        ("member", CouncilRole.MEMBER),
        ("unassigned", CouncilRole.MEMBER),
        ("conflicted", CouncilRole.MEMBER),
    ]:
        members[name] = council_services.member_add(
            council=council, user=people["organizer"], member_user=people[name], role=role
        )
    pillars = {p.code: p for p in set_l.pillars.all()}
    for name, codes in [("member", "17"), ("conflicted", "17"), ("chair", "89")]:
        council_services.assignment_set(
            council=council,
            user=people["organizer"],
            member=members[name],
            pillars=[pillars[code] for code in codes],
        )
    for kind in WINDOW.values():  # the calendar of phase "self_open"
        set_window(campaign_l, kind, "open" if kind == PhaseKind.SELF_ASSESSMENT else "not_yet")
    # The member asks the police twice about A's 1.2; the police answer the second.
    requests = [
        provider_services.data_request_ask(
            user=people["member"],
            response=_response(a, "1.2"),
            agency=police,
            question="Số thuê bao cáp quang của xã?",
            due_date=timezone.localdate() + timedelta(days=7),
        )
        for _ in range(2)
    ]
    dr_open, dr_answered = requests
    provider_services.data_request_answer(
        user=people["provider"], data_request=dr_answered, answer="1.234 thuê bao.", files=[pdf()]
    )
    # The police provide A's 1.2 (and have sent it) and every unit's officials (not yet).
    general_info = {f.code: f for f in set_l.general_info_fields.all()}
    pa_12 = provider_services.provider_assignment_create(
        user=people["organizer"],
        campaign=campaign_l,
        agency=police,
        indicator=Indicator.objects.get(pillar__indicator_set=set_l, code="1.2"),
        units=[unit_a],
    )
    pa_officials = provider_services.provider_assignment_create(
        user=people["organizer"],
        campaign=campaign_l,
        agency=police,
        info_field=general_info["tong_so_cbcc"],
    )
    provider_services.figures_provide(
        user=people["provider"],
        campaign=campaign_l,
        rows=[provider_services.FigureRow(unit=unit_a.pk, indicator="1.2", value=3)],
        channel="form",
    )

    # P: last year's campaign of the same communes, evidence attached, published.
    set_p = trimmed_commune_set(name="Bộ chỉ số ma trận 2024", year=2024)
    campaign_p = open_campaign(
        organizer=people["organizer"], indicator_set=set_p, name="Đánh giá DTI 2024"
    )
    pa = Assessment.objects.get(campaign=campaign_p, unit=unit_a)
    ev_pa = assessment_services.evidence_add_file(
        response=_response(pa, "1.3"), user=people["officer_a"], uploaded_file=pdf()
    )
    score_everything(campaign_p, self_scores={}, round_1={}, round_2={})
    for assessment in Assessment.objects.filter(campaign=campaign_p):
        force_state(assessment, S.APPRAISED_2)
    ranking_services.campaign_publish(
        campaign=campaign_p,
        user=people["organizer"],
        decision_number="2675/QĐ-UBND",
        decision_date=date(2024, 11, 28),
        signer_title="KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        signer_name="Nguyễn Văn An",
    )

    # D: the province's campaign of the district, self-assessed by its departments.
    set_d = assessment_set(tier="district")
    campaign_d = open_campaign(
        organizer=people["organizer_other"], indicator_set=set_d, name="Đánh giá DTI cấp huyện"
    )
    d = Assessment.objects.get(campaign=campaign_d)
    d_indicators = {i.code: i for i in Indicator.objects.filter(pillar__indicator_set=set_d)}
    assessment_services.department_assign(
        campaign=campaign_d,
        user=people["organizer_other"],
        agency=home_affairs,
        indicators=[d_indicators["1.2"]],
    )

    l_indicators = {i.code: i for i in Indicator.objects.filter(pillar__indicator_set=set_l)}
    p_indicators = {i.code: i for i in Indicator.objects.filter(pillar__indicator_set=set_p)}
    return SimpleNamespace(
        people=people,
        members=members,
        council=council,
        home_affairs=home_affairs,
        L=campaign_l,
        P=campaign_p,
        D=campaign_d,
        a=a,
        b=b,
        pa=pa,
        d=d,
        set_l=set_l,
        draft_set=IndicatorSetFactory(name="Bộ chỉ số nháp"),
        i12=l_indicators["1.2"],
        i13=l_indicators["1.3"],
        p_i12=p_indicators["1.2"],
        d_i12=d_indicators["1.2"],
        d_i21=d_indicators["2.1"],
        pillar9=pillars["9"],
        r_a12=_response(a, "1.2"),
        r_b12=_response(b, "1.2"),
        r_pa12=_response(pa, "1.2"),
        r_d12=_response(d, "1.2"),
        r_d21=_response(d, "2.1"),
        ev_a=ev_a,
        ev_b=ev_b,
        ev_pa=ev_pa,
        police=police,
        viettel=viettel,
        pa_12=pa_12,
        pa_officials=pa_officials,
        people_field=general_info["tong_so_nguoi_dan"],
        dr_open=dr_open,
        dr_file=DataRequestFile.objects.get(request=dr_answered),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction rolled back at its end.

    Each test's own ``db`` transaction is a savepoint inside it, so what a cell's
    set-up or request writes is undone before the next cell. Keep ``db`` in the
    cells: pytest-django sets up the test database only for tests that ask for it.
    """
    root = tmp_path_factory.mktemp("private")
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        API_THROTTLE_ANON=None,  # every cell's API request comes from one address
        PRIVATE_STORAGE_ROOT=root,
        STORAGES={
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(root), "base_url": None},
            },
        },
    )
    overrides.enable()
    # Computations run in-process, as in the demo, even when CI sets REDIS_URL: no
    # worker listens here (tests/rankings has the real worker's test).
    celery = {"task_always_eager": True, "task_eager_propagates": True}
    celery_before = {key: celery_app.conf[key] for key in celery}
    celery_app.conf.update(celery)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock():
            w = build_world()
            # One session per role for the module: signing in for every cell is slower.
            w.sessions = {}
            for role in ROLES[1:]:
                client = Client()
                client.force_login(w.people[role])
                w.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
            # deactivated by an administrator after signing in: the session stays
            type(w.people["inactive"]).objects.filter(username="inactive").update(is_active=False)
        yield w
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        overrides.disable()
        celery_app.conf.update(celery_before)


# --- walking the table -------------------------------------------------------------------


def fingerprint() -> tuple:
    """What the actions of the table may change, in a few queries."""
    return (
        tuple(
            Assessment.objects.order_by("pk").values_list(
                "pk", "state", "extended_until", "general_info"
            )
        ),
        tuple(Response.objects.aggregate(Sum("version"), Max("updated_at")).values()),
        tuple(Evidence.objects.order_by("pk").values_list("pk", flat=True)),
        tuple(Appraisal.objects.order_by("pk").values_list("pk", "round", "score", "comment")),
        tuple(Explanation.objects.order_by("pk").values_list("pk", "status", "text")),
        tuple(CouncilMember.objects.order_by("pk").values_list("pk", "role")),
        tuple(Assignment.objects.order_by("pk").values_list("pk", "member_id", "indicator_id")),
        tuple(Assignment.units.through.objects.aggregate(Count("pk")).values()),
        Council.objects.count(),
        Campaign.objects.count(),
        tuple(Phase.objects.order_by("pk").values_list("pk", "opens_at", "closes_at")),
        tuple(DepartmentAssignment.objects.order_by("pk").values_list("pk", flat=True)),
        AssessmentTransition.objects.count(),
        Publication.objects.count(),
        RankingRun.objects.count(),
        tuple(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        tuple(DataRequest.objects.order_by("pk").values_list("pk", "status")),
        DataRequestFile.objects.count(),
        tuple(ProviderAssignment.objects.order_by("pk").values_list("pk", flat=True)),
        tuple(ProvidedFigure.objects.order_by("pk").values_list("pk", "value")),
    )


# Tables any request may write, whatever it does: the session (its last-seen time) and
# the sign-in throttling of django-axes.
BOOKKEEPING = ("django_session", "axes_")
WRITE = re.compile(r'\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
SAVEPOINT = re.compile(
    r'\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\s+"?(\w+)"?', re.IGNORECASE
)


def writes(queries) -> list[str]:
    """The writes of a request that stayed written, other than bookkeeping.

    Writes inside a savepoint that was rolled back (a service refusing after it
    began) are undone and do not count: savepoints are followed as the database does.
    """
    stack: list[tuple[str, list[str]]] = [("", [])]  # (savepoint, writes since it)
    for query in queries:
        sql = query["sql"]
        savepoint = SAVEPOINT.match(sql)
        if savepoint:
            kind, name = savepoint.group(1).upper(), savepoint.group(2)
            names = [entry[0] for entry in stack]
            if kind == "SAVEPOINT":
                stack.append((name, []))
            elif name in names:
                level = names.index(name)
                if kind == "ROLLBACK TO SAVEPOINT":  # undone; the savepoint stays
                    del stack[level + 1 :]
                    stack[level][1].clear()
                else:  # released: what it holds belongs to the enclosing level
                    kept = [sql for _name, written in stack[level:] for sql in written]
                    del stack[level:]
                    stack[-1][1].extend(kept)
            continue
        match = WRITE.match(sql)
        if match and not match.group(2).startswith(BOOKKEEPING):
            stack[-1][1].append(f"{match.group(1).upper()} {match.group(2)}")
    return [sql for _name, written in stack for sql in written]


def errors_shown(response) -> list[str]:
    """The refusals a response carries: error messages, or errors on the page it renders."""
    found = [str(m) for m in get_messages(response.wsgi_request) if m.level == message_levels.ERROR]
    context = response.context
    if context is None:
        return found
    for key in ("errors", "evidence_errors"):
        found += [str(e) for e in context.get(key) or []]
    for key in ("form", "confirm_form", "return_form"):
        form = context.get(key)
        if form is not None and getattr(form, "errors", None):
            found += [str(e) for errors in form.errors.values() for e in errors]
    for row in context.get("assessments") or []:  # the rounds page
        found += [str(e) for e in getattr(row, "refusal", None) or []]
    for row in context.get("rows") or []:  # the explanation page, the workbench
        errors = row.get("errors") if isinstance(row, dict) else getattr(row, "form_errors", None)
        found += [str(e) for e in errors or []]
    return found


LOGIN_PATH = reverse("login")
PERMISSION_REFUSAL = re.compile(r"^(Only |You may not |You cannot )")


def check(row: Row, outcome: str, response, written: list[str], changed: bool) -> None:
    status = response.status_code
    where = response.get("Location", "")
    errors = errors_shown(response)
    if outcome == DONE:
        assert status in (200, 302), f"expected the action to happen, got {status} {where}"
        assert not errors, errors
        assert changed, "answered as if done, but nothing changed"
        return
    assert not changed, f"{outcome}, yet the database changed"
    assert not written, f"{outcome}, yet the request wrote: {written}"
    if outcome in (REFUSED, CLOSED, INVALID):
        refused = row.endpoint.refused
        assert status == refused, f"expected {outcome} ({refused}), got {status} {where}"
        assert errors, f"{outcome} without saying why"
        if outcome == REFUSED:
            assert any(PERMISSION_REFUSAL.match(e) for e in errors), errors
        elif outcome == CLOSED:
            assert any(row.why in e for e in errors), errors
        return
    expected = {OK: 200, NOT_FOUND: 404, NOT_ALLOWED: 405, LOGIN: 302, UNAUTHORIZED: 401}[outcome]
    assert status == expected, f"expected {expected}, got {status} {where}"
    if outcome == LOGIN:
        assert where.split("?")[0] == LOGIN_PATH, where


CELLS = [pytest.param(row, role, id=f"{row.id}-{role}") for row in ROWS for role in ROLES]


@pytest.mark.parametrize(("row", "role"), CELLS)
def test_cell(world, db, row: Row, role: str) -> None:
    PHASES[row.phase][1](world)
    endpoint = row.endpoint
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages as their English msgids
    if role != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    url = reverse(endpoint.name, kwargs=endpoint.kwargs(world))
    if endpoint.query:
        url = f"{url}?{endpoint.query}"
    outcome = row.expect[role]
    compare = outcome in (DONE, REFUSED, CLOSED, INVALID)
    before = fingerprint() if compare else None
    with CaptureQueriesContext(connection) as queries:
        if row.method == GET:
            response = client.get(url)
        else:
            response = client.post(url, endpoint.data(world) if endpoint.data else {})
    written = writes(queries.captured_queries)
    changed = fingerprint() != before if compare else bool(written)
    check(row, outcome, response, written, changed)


# --- the table itself ------------------------------------------------------------------------


def _patterns(resolver: URLResolver, namespace: str = "") -> list[tuple[str, str]]:
    """(qualified name, route) of every pattern, recursively; an unnamed one is ``?route``."""
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            for name, route in _patterns(entry, inner):
                found.append((name, f"{entry.pattern}{route}"))
        elif isinstance(entry, URLPattern):
            route = str(entry.pattern)
            found.append((f"{namespace}{entry.name}" if entry.name else f"?{route}", route))
    return found


def test_every_url_is_in_the_matrix():
    patterns = _patterns(get_resolver())
    in_table = {row.endpoint.name for row in ROWS}
    missing = sorted(
        f"{name} ({route})"
        for name, route in patterns
        if name not in in_table and not route.startswith(tuple(NOT_IN_MATRIX))
    )
    assert not missing, "URLs without a row in the permission matrix: " + ", ".join(missing)
    stale = sorted(in_table - {name for name, _route in patterns})
    assert not stale, f"rows for URLs that no longer exist: {stale}"


def test_the_table_is_well_formed():
    """Known phases, every role, a refusal status where a row refuses, a reason where closed."""
    for row in ROWS:
        assert row.phase in PHASES, row.id
        assert set(row.expect) == set(ROLES), row.id
        assert set(row.expect.values()) <= {OK, LOGIN, NOT_FOUND, NOT_ALLOWED, UNAUTHORIZED} | {
            REFUSED,
            CLOSED,
            INVALID,
            DONE,
        }, row.id
        if {REFUSED, CLOSED, INVALID} & set(row.expect.values()):
            assert row.endpoint.refused in (200, 302, 400), row.id
        assert (CLOSED in row.expect.values()) == bool(row.why), row.id
        if row.method == POST:
            assert row.endpoint.data is not None, row.id
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "two rows share an id"
