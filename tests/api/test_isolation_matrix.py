"""Tenant isolation and facility scope, as a matrix generated from the live schema.

Tenant A (`acme`) builds a complete world through the API (tests/support/worlds.py: custom
services with questions and a prerequisite, connections in `fac-1`, an order whose jobs form a
four-level tree, selected service data items, an appointment with fulfilment data and an
uploaded document, a lone job, an upload not yet recorded). Two intruders, each with a small
world of its own built the same way, try to read and change it:

- `tenant-b`: another tenant, whose world sits in a facility of the same name, `fac-1`;
- `facility-scoped`: tenant A's token scoped to `fac-other` (with a subject of its own, so that
  A's uploads are not "its own"), whose world sits in `fac-other`.

The domain rule for the second (app/domain/access.py, app/services/custom_services.py): custom
services, with their additional information and required services, are tenant-wide blueprints,
not bound to a facility. A facility-scoped caller reads every one of them (exactly as A does)
and may connect them to its own facilities (that is how its world is made), but it may not
create or change any: those mutations answer FORBIDDEN whatever the id, so the answer tells
nothing about the id. Everything else (connections, jobs, trees, links, service data,
appointments, documents, orders, events, webhook subscriptions and their deliveries) belongs to
a facility, and another facility's is as foreign to it as another tenant's. (A facility-scoped
caller's webhook subscription covers facilities within its scope only, and it sees only such
subscriptions: never a tenant-wide one.)

For each intruder, `test_an_intruder_can_neither_read_nor_change_tenant_a_data` runs every case
generated from the schema and reports every violation together:

- root queries: every Query field with the arguments QUERY_CASES gives for A's world (A sees
  data there); naming A's data it answers null or an empty connection, exactly as for data
  that never existed; and every ID argument, or ID field of an input argument, of every Query
  field, given each of A's values in turn, answers as for an unknown id;
- nested paths: every field path below every root, up to NESTED_WALK, selected from the
  intruder's own data (which must show), reaches no id or label of A; a nested field taking
  an ID is given each of A's ids;
- documents: GET /documents/{id} of A's uploads answers exactly as for an unknown id;
- mutations: every Mutation field with the attempts MUTATION_CASES makes from A's ids (inputs
  otherwise valid: A's current versions, the intruder's own jobs): NOT_FOUND (FORBIDDEN for
  blueprint changes by the facility-scoped caller), the answer of stand-ins that never existed,
  and A's world, read by A, the same before and after.

Bugs found and not fixed yet are listed in KNOWN_LEAKS: they must keep failing, nothing else
may. `test_every_root_field_has_an_isolation_case` fails as soon as the schema has a root field
without a case here. The number of cases goes to test-artifacts/isolation-cases.txt.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module
from inspect import getsource
from pathlib import Path
from typing import Any, Literal
from uuid import uuid4

import httpx
import pytest
from graphql import GraphQLSchema
from graphql import build_schema as schema_from_sdl
from starlette.applications import Starlette

from app.auth import issue_token
from app.graphql.schema import build_schema
from app.settings import Settings
from tests.support.closeout import DE
from tests.support.graphql import GraphQLClient, codes
from tests.support.isolation import (
    Answer,
    Batcher,
    Lookup,
    Runner,
    StandIns,
    is_empty,
    strings,
    uuids,
)
from tests.support.jobs import TARGET, job
from tests.support.schema_walk import (
    PROBE,
    Limits,
    Selected,
    Walk,
    id_slots,
    pack,
    render,
    root_fields,
    selection,
    unwrap,
    uses_probe,
    variable_definitions,
)
from tests.support.worlds import World, build_world

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACT = REPOSITORY / "test-artifacts" / "isolation-cases.txt"

#: How deep reads of whole worlds go (A's snapshot, lookups with A's arguments).
WALK = Walk(max_depth=3, max_visits=2)
#: How deep the walk from an intruder's own data goes; nested fields taking an ID get A's.
NESTED_WALK = Walk(max_depth=4, max_visits=2, probe_ids=True)
#: Mutation payloads: one operation each (a mutation is never sent twice for a selection).
PAYLOAD_WALK = Walk(max_depth=2, max_visits=1)

INTRUDERS = ("tenant-b", "facility-scoped")
SCOPED_FACILITY = "fac-other"
SCOPED_SUBJECT = "acme-fac-other-clerk"
SCOPED_LABEL = "scoped"
#: Readable by a facility-scoped caller of the same tenant: the tenant-wide blueprints.
TENANT_WIDE_ROOTS = frozenset({"customService", "customServices"})


# Root queries: field -> the argument sets that look up a world's data through it.

QueryCase = Callable[[World], list[dict[str, Any]]]

ALL_STATUSES = [
    "NOT_READY",
    "OPEN",
    "IN_PROGRESS",
    "WAITING_FOR_INPUT",
    "FINISHED",
    "CANCELLED",
    "OBSOLETE",
]
#: A window holding every moment the tests make.
EVER = ("2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z")

QUERY_CASES: dict[str, QueryCase] = {
    "customService": lambda w: [{"id": s} for s in w.services],
    "customServices": lambda w: [
        {},
        {"filter": {"tenantCustomServiceId": w.service_tenant_ids[1]}},
    ],
    "facilityCustomServiceConnections": lambda w: [{"facilityId": w.facility}],
    "serviceJob": lambda w: [{"id": j} for j in (w.appointment_job, w.selecting_job, w.lone_job)],
    "serviceJobs": lambda w: [
        {},
        # A job in another facility may carry the same order id (a label, not a membership):
        # the order's jobs are those in its facility.
        {"filter": {"tenantOrderId": w.order_id, "facilityRef": w.facility}},
        {"filter": {"customServiceRef": w.services[1]}},
        {"filter": {"facilityRef": w.facility}},
        # The search filters, orders and backward pages: by A's labels and in A's windows
        # (order ids within A's facility, as above).
        {
            "filter": {"assignedUser": f"{w.label}-user"},
            "orderBy": {"field": "TARGET_TIME", "direction": "DESC"},
            "last": 5,
        },
        {
            "filter": {
                "searchTerm": w.order_id,
                "statuses": ALL_STATUSES,
                "facilityRef": w.facility,
            },
            "orderBy": {"field": "LAST_MODIFIED"},
        },
        {"filter": {"searchTerm": f"{w.label}-thread", "facilityRef": w.facility}},
        {
            "filter": {
                "facilityRef": w.facility,
                "createdFrom": EVER[0],
                "lastModifiedTo": EVER[1],
                "appointmentFrom": EVER[0],
                "appointmentTo": EVER[1],
                "targetTimeFrom": EVER[0],
            },
            "orderBy": {"field": "CREATED", "direction": "DESC"},
        },
        {
            "filter": {
                "tenantOrderId": w.order_id,
                "facilityRef": w.facility,
                "marketplaceIds": [DE],
            }
        },
    ],
    "searchLinkedServiceJobs": lambda w: [
        {},
        {
            "filter": {"tenantOrderId": w.order_id, "facilityRef": w.facility},
            "orderBy": {"field": "LAST_MODIFIED", "direction": "DESC"},
        },
        {
            "filter": {
                "facilityRef": w.facility,
                "or": [
                    {"searchTerm": w.order_id},
                    {"articleTitle": "thr", "and": [{"serviceName": w.label}]},
                ],
            },
            "last": 3,
        },
        {
            "filter": {
                "searchTerm": f"{w.label}-thread",
                "statuses": ALL_STATUSES,
                "targetTimeFrom": EVER[0],
                "lastModifiedTo": EVER[1],
            },
            "orderBy": {"field": "TARGET_TIME"},
        },
    ],
    "linkedServiceJobs": lambda w: [{"id": t} for t in w.trees],
    "order": lambda w: [{"tenantOrderId": w.order_id}],
    "serviceData": lambda w: [{"serviceJobId": w.selecting_job}, {"serviceJobId": w.lone_job}],
    "cancellationReasonCodes": lambda w: [{"marketplaceId": DE}],
    "webhookSubscriptions": lambda w: [{}],
    "webhookDeliveries": lambda w: [
        {"subscriptionId": w.webhook_subscription},
        {"subscriptionId": w.webhook_subscription, "status": "PENDING"},
    ],
    "events": lambda w: [
        {},
        {"filter": {"entityId": w.appointment_job}},
        {"filter": {"entityId": w.trees[0]}},
    ],
}

#: Subscriptions cannot be opened through the ASGI test client; each field names the test that
#: covers it against the real server ("path::test"); that test must exist and name the field.
SUBSCRIPTION_FIELDS_COVERED_IN: dict[str, str] = {
    "serviceJobChanged": "tests/api/test_subscriptions.py"
    "::test_other_tenants_and_facilities_ids_are_not_found",
    "linkedServiceJobsChanged": "tests/api/test_subscriptions.py"
    "::test_other_tenants_and_facilities_ids_are_not_found",
}


# Mutations: field -> the attempts an intruder makes on A's world.

#: TAKEN: refused with CONFLICT because a tenant-wide unique id is in use, naming nothing but
#: that id (by design for order ids, see `_create_order`); it cannot answer like a stand-in.
Outcome = Literal["NOT_FOUND", "FORBIDDEN", "ACCEPTED", "TAKEN"]


@dataclass(frozen=True, slots=True)
class Attempt:
    what: str
    input: dict[str, Any]
    #: What the intruder must get; the answer must also equal the answer for stand-ins.
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Target:
    """What an intruder's attempts are made of: A's world with the versions A last read
    (inputs are valid but for whose data they name), and the intruder's own world."""

    a: World
    own: World
    versions: Mapping[str, int]
    facility_scoped: bool

    def version(self, ident: str) -> int:
        """The version last read (1 for what its reader could not see: it is refused anyway)."""
        return self.versions.get(ident, 1)

    @property
    def blueprint_refusal(self) -> Outcome:
        return "FORBIDDEN" if self.facility_scoped else "NOT_FOUND"


MutationCase = Callable[[Target], list[Attempt]]
NAME = {"en_US": "Probe"}
QUESTION = {"nameLocalized": {"en_US": "Probe?"}, "valueType": "STRING"}
WHEN = {"startTime": "2026-12-03T09:00:00Z", "durationInMinutes": 60}


def _custom_services(t: Target) -> list[Attempt]:
    return [
        Attempt(
            "requires A's service",
            {"nameLocalized": NAME, "requiredCustomServiceRefs": [t.a.services[0]]},
            t.blueprint_refusal,
        ),
        # Tenant ids are per tenant: A's does not block tenant B (nor show that it exists).
        Attempt(
            "reuses A's tenantCustomServiceId",
            {"nameLocalized": NAME, "tenantCustomServiceId": t.a.service_tenant_ids[0]},
            "FORBIDDEN" if t.facility_scoped else "ACCEPTED",
        ),
    ]


def _update_custom_service(t: Target) -> list[Attempt]:
    return [
        Attempt(
            f"A's service {i}",
            {"id": s, "version": t.version(s), "status": "INACTIVE"},
            t.blueprint_refusal,
        )
        for i, s in enumerate(t.a.services)
    ]


def _add_question(t: Target) -> list[Attempt]:
    service = t.a.services[0]
    return [
        Attempt(
            "A's service",
            {
                "customServiceId": service,
                "version": t.version(service),
                "additionalInformation": QUESTION,
            },
            t.blueprint_refusal,
        )
    ]


def _question_of(t: Target, extra: dict[str, Any]) -> list[Attempt]:
    """A's question, on A's service and on the intruder's own."""
    a_service, own_service = t.a.services[0], t.own.services[0]
    question = t.a.additional_information[0]
    return [
        Attempt(
            f"A's question on {whose} service",
            {
                "customServiceId": service,
                "version": t.version(service),
                "additionalInformationId": question,
                **extra,
            },
            t.blueprint_refusal,
        )
        for whose, service in (("A's", a_service), ("its own", own_service))
    ]


def _create_connection(t: Target) -> list[Attempt]:
    attempts = [
        # For tenant B, A's facility name is its own too: A's service is what it lacks.
        Attempt(
            "A's service in A's facility",
            {"facilityId": t.a.facility, "customServiceId": t.a.services[2]},
            "NOT_FOUND",
        )
    ]
    if t.facility_scoped:
        # A's blueprints are its blueprints too; A's facility is out of its scope.
        attempts.append(
            Attempt(
                "its own service in A's facility",
                {"facilityId": t.a.facility, "customServiceId": t.own.services[0]},
                "NOT_FOUND",
            )
        )
    return attempts


def _each_connection(t: Target, **fields: Any) -> list[Attempt]:
    return [
        Attempt(f"A's connection {i}", {"id": c, "version": t.version(c), **fields}, "NOT_FOUND")
        for i, c in enumerate(t.a.connections)
    ]


def _create_job(t: Target) -> list[Attempt]:
    own = {
        "facilityRef": t.own.facility,
        "targetTime": TARGET,
        "customServiceRef": t.own.services[0],
    }
    attempts = [
        Attempt(f"beneath A's link {i}", {**own, "serviceJobLinkRef": link}, "NOT_FOUND")
        for i, link in enumerate(t.a.links)
    ]
    attempts.append(
        Attempt(
            "answering A's question",
            {
                **own,
                "additionalInformation": [
                    {"additionalInformationRef": t.a.additional_information[1], "value": "x"}
                ],
            },
            "NOT_FOUND",
        )
    )
    # A job may name any order id (a label): it must not join A's order (see the snapshot).
    attempts.append(Attempt("for A's order id", {**own, "tenantOrderId": t.a.order_id}, "ACCEPTED"))
    if t.facility_scoped:
        attempts.append(
            Attempt("in A's facility", {**own, "facilityRef": t.a.facility}, "NOT_FOUND")
        )
    else:
        base = {"facilityRef": t.own.facility, "targetTime": TARGET}
        attempts += [
            Attempt("from A's service", {**base, "customServiceRef": t.a.services[1]}, "NOT_FOUND"),
            Attempt(
                "from A's tenantCustomServiceId",
                {**base, "tenantCustomServiceId": t.a.service_tenant_ids[1]},
                "NOT_FOUND",
            ),
        ]
    return attempts


def _job_action(**extra: Any) -> MutationCase:
    def attempts(t: Target) -> list[Attempt]:
        return [
            Attempt(f"A's job {i}", {"id": j, "version": t.version(j), **extra}, "NOT_FOUND")
            for i, j in enumerate(t.a.jobs)
        ]

    return attempts


def _add_link(t: Target) -> list[Attempt]:
    a, own = t.a, t.own
    return [
        Attempt(
            "its own job into A's tree",
            {"linkedServiceJobsId": a.trees[0], "serviceJobId": own.lone_job},
            "NOT_FOUND",
        ),
        Attempt(
            "A's lone job into its own tree",
            {"linkedServiceJobsId": own.trees[0], "serviceJobId": a.lone_job},
            "NOT_FOUND",
        ),
        Attempt(
            "its own job beneath A's link in its own tree",
            {
                "linkedServiceJobsId": own.trees[0],
                "serviceJobId": own.lone_job,
                "serviceJobLinkId": a.links[0],
            },
            "NOT_FOUND",
        ),
    ]


def _create_order(t: Target) -> list[Attempt]:
    def order(tenant_order_id: str, facility: str, service: str) -> dict[str, Any]:
        return {
            "tenantOrderId": tenant_order_id,
            "facilityId": facility,
            "targetTime": TARGET,
            "customServices": [{"customServiceDefinition": {"customServiceRef": service}}],
        }

    probe = f"{t.own.label}-probe-order"
    attempts = [
        # Order ids are the tenant's own numbering, unique across its facilities (README,
        # "Isolation"): another tenant's id is free, while within the tenant a facility-scoped
        # caller learns that the id is taken, and nothing else about the order.
        Attempt(
            "with A's order id",
            order(t.a.order_id, t.own.facility, t.own.services[0]),
            "TAKEN" if t.facility_scoped else "ACCEPTED",
        ),
    ]
    if t.facility_scoped:
        attempts.append(
            Attempt("in A's facility", order(probe, t.a.facility, t.own.services[0]), "NOT_FOUND")
        )
    else:
        attempts.append(
            Attempt("of A's service", order(probe, t.own.facility, t.a.services[1]), "NOT_FOUND")
        )
    return attempts


def _items(t: Target) -> list[Attempt]:
    a, own = t.a, t.own
    return [
        Attempt(
            f"A's item {i} for {whose} job",
            {
                "serviceJobId": job_id,
                "serviceJobVersion": t.version(job_id),
                "items": [{"serviceItemRef": item, "quantity": 1}],
            },
            "NOT_FOUND",
        )
        for whose, job_id in (("A's", a.selecting_job), ("its own", own.selecting_job))
        for i, item in enumerate(a.items)
    ]


def _correct_items(field_name: str, entry: Callable[[str], Any]) -> MutationCase:
    """A's service data (whatever the items), and its own service data with A's items."""

    def attempts(t: Target) -> list[Attempt]:
        a, own = t.a, t.own
        return [
            Attempt(
                f"A's service data with {whose} item",
                {
                    "serviceDataId": a.service_data,
                    "version": t.version(a.service_data),
                    field_name: [entry(item)],
                },
                "NOT_FOUND",
            )
            for whose, item in (("A's", a.items[0]), ("its own", own.items[0]))
        ] + [
            Attempt(
                f"its own service data with A's item {i}",
                {
                    "serviceDataId": own.service_data,
                    "version": t.version(own.service_data),
                    field_name: [entry(item)],
                },
                "NOT_FOUND",
            )
            for i, item in enumerate(a.items)
        ]

    return attempts


def _add_items(t: Target) -> list[Attempt]:
    item = {"article": {"tenantArticleId": "probe"}, "quantity": 1}
    return [
        Attempt(
            "A's service data",
            {
                "serviceDataId": t.a.service_data,
                "version": t.version(t.a.service_data),
                "items": [item],
            },
            "NOT_FOUND",
        )
    ]


def _add_appointment(t: Target) -> list[Attempt]:
    return [
        Attempt(f"A's job {i}", {"serviceJobId": j, "appointmentTime": WHEN}, "NOT_FOUND")
        for i, j in enumerate(t.a.jobs)
    ]


def _reschedule(t: Target) -> list[Attempt]:
    a, own = t.a, t.own
    return [
        Attempt(
            f"A's appointment of {whose} job",
            {
                "serviceJobId": job_id,
                "appointmentId": a.appointment,
                "version": t.version(a.appointment),
                "appointmentTime": WHEN,
                "reasonCode": "PROBE",
            },
            "NOT_FOUND",
        )
        for whose, job_id in (("A's", a.appointment_job), ("its own", own.appointment_job))
    ]


def _destination(t: Target) -> list[Attempt]:
    # Takes no id at all: accepted, and its answer holds nothing of A.
    return [Attempt("a new destination", {"contentType": "PDF", "contentLength": 10}, "ACCEPTED")]


def _fulfil(t: Target) -> list[Attempt]:
    a, own = t.a, t.own
    resources = [{"resourceId": "tech-1"}]
    return [
        Attempt(
            "A's appointment of A's job",
            {
                "serviceJobId": a.appointment_job,
                "appointmentId": a.appointment,
                "appointmentResources": resources,
            },
            "NOT_FOUND",
        ),
        Attempt(
            "A's appointment of its own job",
            {
                "serviceJobId": own.appointment_job,
                "appointmentId": a.appointment,
                "appointmentResources": resources,
            },
            "NOT_FOUND",
        ),
        Attempt(
            "A's recorded document on its own appointment",
            {
                "serviceJobId": own.appointment_job,
                "appointmentId": own.appointment,
                "fulfillmentDocuments": [
                    {"uploadDestinationId": a.document, "contentSha256": a.document_digest}
                ],
            },
            "NOT_FOUND",
        ),
        Attempt(
            "A's unrecorded upload on its own appointment",
            {
                "serviceJobId": own.appointment_job,
                "appointmentId": own.appointment,
                "fulfillmentDocuments": [
                    {
                        "uploadDestinationId": a.unattached_document,
                        "contentSha256": a.unattached_digest,
                    }
                ],
            },
            "NOT_FOUND",
        ),
    ]


def _assign_resources(t: Target) -> list[Attempt]:
    a, own = t.a, t.own
    return [
        Attempt(
            f"A's appointment of {whose} job{versioned}",
            {
                "serviceJobId": job_id,
                "appointmentId": a.appointment,
                "resources": [{"resourceId": "intruder"}, {"resourceId": "tech-1"}],
                **extra,
            },
            "NOT_FOUND",
        )
        for whose, job_id in (("A's", a.appointment_job), ("its own", own.appointment_job))
        for versioned, extra in (
            ("", {}),
            (" with its version", {"version": t.version(a.appointment)}),
        )
    ]


def _subscribe(t: Target) -> list[Attempt]:
    hook = {"callbackUrl": "https://probe.hooks.example.com/", "events": ["SERVICE_JOB_CREATED"]}
    if t.facility_scoped:
        return [
            Attempt("to A's facility", {**hook, "facilityRefs": [t.a.facility]}, "NOT_FOUND"),
            Attempt(
                "to its own and A's facility",
                {**hook, "facilityRefs": [t.own.facility, t.a.facility]},
                "NOT_FOUND",
            ),
        ]
    # Facility ids are the tenant's own: tenant B's `fac-1` is its own facility.
    return [Attempt("to its fac-1", {**hook, "facilityRefs": [t.own.facility]}, "ACCEPTED")]


MUTATION_CASES: dict[str, MutationCase] = {
    "createCustomService": _custom_services,
    "updateCustomService": _update_custom_service,
    "addCustomServiceAdditionalInformation": _add_question,
    "replaceCustomServiceAdditionalInformation": lambda t: _question_of(
        t, {"additionalInformation": QUESTION}
    ),
    "deleteCustomServiceAdditionalInformation": lambda t: _question_of(t, {}),
    "createFacilityCustomServiceConnection": _create_connection,
    "updateFacilityCustomServiceConnection": lambda t: _each_connection(t, status="INACTIVE"),
    "deleteFacilityCustomServiceConnection": _each_connection,
    "createServiceJob": _create_job,
    "startServiceJob": _job_action(),
    "holdServiceJob": _job_action(),
    "openServiceJob": _job_action(),
    "finishServiceJob": _job_action(),
    "cancelServiceJob": _job_action(reason="probe"),
    "obsoleteServiceJob": _job_action(),
    "replaceServiceJobAssignedUsers": _job_action(assignedUsers=["intruder"]),
    "addServiceJobTargetTime": _job_action(targetTime=TARGET),
    "addServiceJobLink": _add_link,
    "createOrder": _create_order,
    "selectItemsForServiceJob": _items,
    "unselectItemsForServiceJob": _items,
    "addServiceDataAvailableLineItems": _add_items,
    "removeServiceDataAvailableLineItems": _correct_items("serviceItemRefs", lambda item: item),
    "updateServiceDataAvailableLineItems": _correct_items(
        "items", lambda item: {"serviceItemRef": item, "quantity": 5}
    ),
    "addAppointment": _add_appointment,
    "rescheduleAppointment": _reschedule,
    "createServiceDocumentUploadDestination": _destination,
    "setAppointmentFulfillmentData": _fulfil,
    "assignAppointmentResources": _assign_resources,
    "createWebhookSubscription": _subscribe,
    "deleteWebhookSubscription": lambda t: [
        Attempt("A's subscription", {"id": t.a.webhook_subscription}, "NOT_FOUND")
    ],
}

#: Isolation bugs this matrix found in app/ and that are not fixed yet, by intruder and case
#: (see `known_as`). Each must still fail (a fix shows here: remove its entry), and nothing else
#: may.
KNOWN_LEAKS: dict[str, dict[str, str]] = {
    "tenant-b": {},
    "facility-scoped": {},
}


def known_as(pattern: str, case: str) -> bool:
    """Whether a KNOWN_LEAKS entry names a case (an entry ending in `*` names every case that
    starts like it)."""
    return case.startswith(pattern[:-1]) if pattern.endswith("*") else case == pattern


# Counting cases for the README.

CASES: Counter[str] = Counter()
#: Field paths the walk reaches but the API refuses to run (over its cost limit): no client can
#: run them either. Counted apart, not as cases.
NOT_RUNNABLE: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _write_case_counts() -> Iterator[None]:
    yield
    if not CASES:
        return
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# tests/api/test_isolation_matrix.py: generated isolation cases by category [intruder]",
        *(f"{name}: {count}" for name, count in sorted(CASES.items())),
        f"total: {sum(CASES.values())}",
        *(f"not run, {name}: {count}" for name, count in sorted(NOT_RUNNABLE.items())),
    ]
    ARTIFACT.write_text("\n".join(lines) + "\n")


# The scenario: A's world, one intruder and its world, and what it must not reach.

_SCHEMAS: list[GraphQLSchema] = []


def live_schema(settings: Settings) -> GraphQLSchema:
    """The app's GraphQL schema (the same types whatever the settings), built once."""
    if not _SCHEMAS:
        _SCHEMAS.append(build_schema(settings)._schema)
    return _SCHEMAS[0]


@dataclass
class Intruder:
    name: str
    client: GraphQLClient
    world: World
    facility_scoped: bool


@dataclass
class Scenario:
    schema: GraphQLSchema
    settings: Settings
    owner: GraphQLClient
    a: World
    intruder: Intruder
    #: A's read of its own world, call by call (QUERY_CASES), before any intruder acted.
    a_reads: dict[str, Answer]
    #: A's values this intruder must never see nor reach, with their stand-ins.
    foreign: StandIns
    violations: dict[str, str]

    @property
    def limits(self) -> Limits:
        return Limits(self.schema, self.settings)

    def violate(self, case: str, detail: str) -> None:
        known = self.violations.get(case)
        self.violations[case] = f"{known}; {detail}" if known else detail

    def describe(self, values: set[str]) -> str:
        """A's values by what they are (values the world does not name: "a value of A")."""
        roles = self.a.roles()
        return ", ".join(sorted(f"{roles.get(v, 'a value of A')} {v}" for v in values))

    def check_violations(self) -> None:
        """No violation but the known leaks, and every known leak still there."""
        known = KNOWN_LEAKS[self.intruder.name]
        unexpected = {
            case: detail
            for case, detail in self.violations.items()
            if not any(known_as(pattern, case) for pattern in known)
        }
        fixed = [p for p in known if not any(known_as(p, case) for case in self.violations)]
        assert not unexpected, "isolation broken:\n" + "\n".join(
            f"- {case}: {detail}" for case, detail in sorted(unexpected.items())
        )
        assert not fixed, f"known leaks that no longer leak (remove them): {fixed}"


def calls(world: World) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(case id, root field, arguments) of every QUERY_CASES call for `world`."""
    for field_name in sorted(QUERY_CASES):
        for index, arguments in enumerate(QUERY_CASES[field_name](world)):
            yield f"{field_name}#{index}", field_name, arguments


def root_of(case: str) -> str:
    return case.split("#")[0]


def a_refs(a: World) -> set[str]:
    """A's ids and labels, as arguments name them."""
    return {*a.ids(), a.order_id, a.facility, *a.service_tenant_ids}


async def read_world(
    runner: Runner, client: GraphQLClient, world: World, only_with: set[str] | None = None
) -> dict[str, Answer]:
    """`client`'s answers to the QUERY_CASES calls of `world` (those naming `only_with`)."""
    answers: dict[str, Answer] = {}
    for case, field_name, arguments in calls(world):
        if only_with is None or set(strings(arguments)) & only_with:
            answers[case] = await runner.run(client, field_name, arguments)
    return answers


def naming_a(scenario: Scenario, answers: Mapping[str, Answer]) -> dict[str, Any]:
    """The answers of the calls naming A's data: A's world. (Lists of the whole tenant change
    with the facility-scoped caller's own legitimate work, and are left out.)"""
    refs = a_refs(scenario.a)
    named = {case for case, _, arguments in calls(scenario.a) if set(strings(arguments)) & refs}
    return {case: answer.data for case, answer in answers.items() if case in named}


async def snapshot(runner: Runner, scenario: Scenario) -> dict[str, Any]:
    """A's world as A reads it now."""
    answers = await read_world(runner, scenario.owner, scenario.a, a_refs(scenario.a))
    assert all(not answer.errors for answer in answers.values())
    return naming_a(scenario, answers)


@pytest.fixture(params=INTRUDERS)
async def scenario(
    request: pytest.FixtureRequest,
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    settings: Settings,
    app: Starlette,
) -> Scenario:
    """A's world, the intruder's, A's read of its own, and the values foreign to the intruder:
    every id A's calls naming A's data show, and A's labels, less (for the facility-scoped
    caller) the tenant-wide blueprints."""
    name: str = request.param
    schema = live_schema(settings)
    fan_out = app.state.webhooks.fan_out
    a = await build_world(gql, gql, http, label="acme", facility="fac-1", fan_out=fan_out)
    if name == "tenant-b":
        client = gql.as_tenant("tenant-b")
        own = await build_world(
            client, client, http, label="tenant-b", facility="fac-1", fan_out=fan_out
        )
    else:
        token = issue_token(
            settings, tenant="acme", facilities=[SCOPED_FACILITY], subject=SCOPED_SUBJECT
        )
        client = gql.with_token(token)
        # Its blueprints come from a tenant-wide caller; everything else it makes itself.
        own = await build_world(
            gql, client, http, label=SCOPED_LABEL, facility=SCOPED_FACILITY, fan_out=fan_out
        )
    intruder = Intruder(name, client, own, facility_scoped=name != "tenant-b")
    # Orders may span facilities (a job carries its order's id as a label): a fac-1 job of A
    # for the order the facility-scoped caller placed in its own facility.
    cross = await job(gql, a.services[0], tenantOrderId=f"{SCOPED_LABEL}-order")
    a.jobs.append(cross["id"])
    a.trees.append(cross["linkedServiceJobsRef"])
    a.links.append(cross["serviceJobLink"]["id"])

    runner = Runner(schema, Limits(schema, settings), WALK)
    a_reads = await read_world(runner, gql, a)
    for case, answer in a_reads.items():
        assert not answer.errors, (case, answer.errors)
        assert not is_empty(answer.data), f"A's world shows nothing for {case}: build it fuller"
    # A's values: every id its calls naming its data show. (A is tenant-wide: its lists of
    # the whole tenant hold the facility-scoped caller's world too.)
    own_calls = [case for case, _, arguments in calls(a) if set(strings(arguments)) & a_refs(a)]
    everything = a.ids() | set().union(*(uuids(a_reads[case].data) for case in own_calls))
    if intruder.facility_scoped:
        tenant_wide = set().union(
            *(uuids(a_reads[c].data) for c in own_calls if root_of(c) in TENANT_WIDE_ROOTS)
        )
        foreign = (everything - tenant_wide) | {a.order_id, a.facility}
    else:
        foreign = everything | a.labels()
    return Scenario(
        schema=schema,
        settings=settings,
        owner=gql,
        a=a,
        intruder=intruder,
        a_reads=a_reads,
        foreign=StandIns.for_values(foreign),
        violations={},
    )


# The schema has a case for every root field.


def test_every_root_field_has_an_isolation_case(settings: Settings) -> None:
    """A new Query or Mutation field fails here until QUERY_CASES or MUTATION_CASES has it; a
    new Subscription field until a test covering it is named (and exists)."""
    schema = live_schema(settings)
    assert set(root_fields(schema, "query")) == set(QUERY_CASES)
    assert set(root_fields(schema, "mutation")) == set(MUTATION_CASES)
    subscriptions = set(root_fields(schema, "subscription"))
    assert subscriptions == set(SUBSCRIPTION_FIELDS_COVERED_IN)
    for field_name, where in SUBSCRIPTION_FIELDS_COVERED_IN.items():
        path, _, test_name = where.partition("::")
        module = import_module(path.removesuffix(".py").replace("/", "."))
        assert callable(getattr(module, test_name, None)), f"{where} does not exist"
        assert field_name in getsource(module), f"{path} does not subscribe to {field_name}"
    CASES["schema fields with an isolation case"] = (
        len(QUERY_CASES) + len(MUTATION_CASES) + len(subscriptions)
    )


def test_the_schema_walker_on_what_the_schema_does_not_have_yet() -> None:
    """The walker's generic paths: nested fields taking an ID (bound to $probe, so that A's ids
    are looked up through an intruder's own objects) or another required argument (refused
    until taught), abstract types, ID slots inside input objects and lists, and packing."""
    schema = schema_from_sdl(
        """type Query { box(id: ID!): Box  find(filter: Filter, ids: [ID!]): [Box!]! }
           input Filter { name: String  ref: ID }
           type Box { id: ID!  peek(others: [ID!]): Box  inside: Thing }
           type Bag { size: Int }
           union Thing = Box | Bag"""
    )
    assert render(selection(schema, "Box", Walk(max_depth=1, max_visits=2))) == (
        "id inside { __typename ... on Box { id } ... on Bag { size } }"
    )
    chosen = selection(schema, "Bag", Walk(max_depth=2, max_visits=3, probe_ids=True))
    assert render(chosen) == "size"
    chosen = tuple(
        s
        for s in selection(schema, "Box", Walk(max_depth=2, max_visits=3, probe_ids=True))
        if s.name != "inside"
    )
    assert render(chosen) == (
        f"id peek(others: [${PROBE}]) {{ id peek(others: [${PROBE}]) {{ id }} "
        f"inside {{ __typename ... on Box {{ id }} ... on Bag {{ size }} }} }}"
    )
    assert uses_probe(chosen)

    strict = schema_from_sdl("type Query { box: Box } type Box { label(size: Int!): String }")
    with pytest.raises(AssertionError, match=r"Box.label\(size: Int!\) needs a value"):
        selection(strict, "Box")

    query = schema.query_type
    assert query is not None
    slots = id_slots(query.fields["find"].args)
    assert [str(slot) for slot in slots] == ["filter.ref", "ids[]"]
    given = {"filter": {"name": "x"}}
    assert slots[0].fill(given, "A") == {"filter": {"name": "x", "ref": "A"}}
    assert slots[1].fill(given, "A") == {"filter": {"name": "x"}, "ids": ["A"]}

    # Parts within a limit that together select every path; a path over the limit on its
    # own is set aside.
    box = selection(schema, "Box", Walk(max_depth=1, max_visits=2, probe_ids=True))[:2]
    refused: list[tuple[Selected, ...]] = []
    parts = pack(box, lambda part: sum(s.paths() for s in part) <= 1, refused)
    assert [render(part) for part in parts] == ["id", f"peek(others: [${PROBE}]) {{ id }}"]
    assert refused == []
    pack(box, lambda part: "peek" not in render(part), refused)
    assert [".".join(s.name for s in path) for path in refused] == ["peek.id"]


# The matrix: every category for one intruder; every violation is reported together.


async def test_an_intruder_can_neither_read_nor_change_tenant_a_data(
    scenario: Scenario, http: httpx.AsyncClient
) -> None:
    await root_queries_naming_a_data(scenario)
    await root_id_arguments_given_a_values(scenario)
    await nested_paths_from_own_data(scenario)
    await a_documents(scenario, http)
    # Last: the attempts that are accepted (on the intruder's own data) change its world.
    await mutations_naming_a_data(scenario)
    scenario.check_violations()


async def root_queries_naming_a_data(scenario: Scenario) -> None:
    """Every QUERY_CASES call with A's arguments shows nothing of A; naming A's data, it
    answers null or an empty connection, exactly as for data that never existed."""
    intruder, foreign = scenario.intruder, scenario.foreign
    runner = Runner(scenario.schema, scenario.limits, WALK)
    for case, field_name, arguments in calls(scenario.a):
        CASES[f"root queries with A's arguments [{intruder.name}]"] += 1
        answer = await runner.run(intruder.client, field_name, arguments)
        if answer.errors:
            scenario.violate(f"query {case}", f"errors {codes(answer.errors)}")
            continue
        if leaked := foreign.found_in(answer.data, sent=arguments):
            scenario.violate(f"query {case}", f"shows {scenario.describe(leaked)}")
        if named := foreign.carried_by(arguments):
            if not is_empty(answer.data):
                scenario.violate(f"query {case}", f"not empty for {scenario.describe(named)}")
            stand_in = await runner.run(intruder.client, field_name, foreign.substitute(arguments))
            if foreign.comparable(answer.data, stand_ins=False) != foreign.comparable(
                stand_in.data, stand_ins=True
            ):
                scenario.violate(f"query {case}", "answers A's ids unlike unknown ones")
        elif intruder.facility_scoped and field_name in TENANT_WIDE_ROOTS:
            # Blueprints are tenant-wide: the scoped caller reads them exactly as A does.
            assert answer.data == scenario.a_reads[case].data, f"{case}: not as A reads it"


async def root_id_arguments_given_a_values(scenario: Scenario) -> None:
    """Every ID argument (or ID field of an input argument) of every root field, given each
    of A's values in turn, answers as for an id that never existed."""
    intruder, foreign = scenario.intruder, scenario.foreign
    batcher = Batcher(scenario.schema, scenario.limits, scenario.settings.max_aliases)
    base = {field_name: QUERY_CASES[field_name](intruder.world)[0] for field_name in QUERY_CASES}
    unknown = str(uuid4())
    lookups: list[tuple[str, str, Lookup]] = []
    baselines: dict[str, Lookup] = {}
    for field_name, field in sorted(root_fields(scenario.schema, "query").items()):
        for slot in id_slots(field.args):
            case = f"{field_name}({slot})"
            baselines[case] = Lookup(field_name, slot.fill(base[field_name], unknown))
            lookups += [
                (case, value, Lookup(field_name, slot.fill(base[field_name], value)))
                for value in sorted(foreign.of)
            ]
    assert baselines, "no root field takes an ID"
    CASES[f"root ID arguments x A's values [{intruder.name}]"] += len(lookups)
    answers = await batcher.run(intruder.client, [lookup for _, _, lookup in lookups])
    unknowns = await batcher.run(intruder.client, list(baselines.values()))
    as_if_unknown = {case: seen(a) for case, a in zip(baselines, unknowns, strict=True)}
    for (case, value, lookup), answer in zip(lookups, answers, strict=True):
        sent, shown = lookup.arguments, seen(answer)
        if leaked := foreign.found_in(shown, sent=sent):
            scenario.violate(f"id {case}", f"shows {scenario.describe(leaked)} for {sent}")
        # The answer for an unknown id (naming this one instead, should it echo the id).
        expected = json.loads(json.dumps(as_if_unknown[case]).replace(unknown, value))
        if foreign.comparable(shown, stand_ins=False) != foreign.comparable(
            expected, stand_ins=False
        ):
            scenario.violate(f"id {case}", f"answers {sent} unlike an unknown id: {shown}")


def seen(answer: Answer) -> dict[str, Any]:
    """What an answer tells its caller, wherever in a batch it was: data, and the messages and
    codes of its errors."""
    errors = [{"message": e["message"], "code": codes([e])[0]} for e in answer.errors]
    return {"data": answer.data, "errors": errors}


async def nested_paths_from_own_data(scenario: Scenario) -> None:
    """Every field path below every root, up to NESTED_WALK, selected from the intruder's own
    data (which must show), reaches no id or label of A; nested fields taking an ID are given
    each of A's ids."""
    intruder, foreign = scenario.intruder, scenario.foreign
    runner = Runner(scenario.schema, scenario.limits, NESTED_WALK)
    light = Runner(scenario.schema, scenario.limits, Walk(max_depth=1, max_visits=1))
    probes: list[str | None] = [None]
    probing = [f for f in QUERY_CASES if uses_probe(runner.full_selection(f))]
    if probing:
        probes = [v for v in sorted(foreign.of) if v in scenario.a.ids()]
    CASES[f"nested fields taking an ID x A's ids [{intruder.name}]"] = len(probing) * len(
        [p for p in probes if p is not None]
    )
    for case, field_name, arguments in calls(intruder.world):
        for probe in probes:
            sent = arguments if probe is None else {**arguments, PROBE: probe}
            answer = await runner.run(intruder.client, field_name, sent)
            CASES[f"nested field paths from own data [{intruder.name}]"] += answer.paths
            shown = [answer.data]
            if answer.errors:
                scenario.violate(f"nested {case}", f"errors {codes(answer.errors)}")
                # An error nulls the objects above it: what do the fields around it show?
                shown.append((await light.run(intruder.client, field_name, sent)).data)
            elif is_empty(answer.data):
                scenario.violate(f"nested {case}", "its own data does not show")
            if leaked := foreign.found_in(shown, sent=sent):
                scenario.violate(f"nested {case}", f"reaches {scenario.describe(leaked)}")
    NOT_RUNNABLE[f"nested field paths over the API's cost limit [{intruder.name}]"] = (
        runner.refused()
    )


async def a_documents(scenario: Scenario, http: httpx.AsyncClient) -> None:
    """GET /documents/{id} of A's uploads answers exactly as for an unknown id."""

    async def get(client: GraphQLClient, ident: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {client.token}"}
        return await http.get(f"/documents/{ident}", headers=headers)

    intruder, a = scenario.intruder, scenario.a
    assert (await get(intruder.client, intruder.world.document)).status_code == 200
    unknown = await get(intruder.client, str(uuid4()))
    assert unknown.status_code == 404
    for what, ident in (("recorded", a.document), ("unrecorded", a.unattached_document)):
        CASES[f"documents of A [{intruder.name}]"] += 1
        assert (await get(scenario.owner, ident)).status_code == 200, f"A's {what} document"
        answer = await get(intruder.client, ident)
        if (answer.status_code, answer.content) != (unknown.status_code, unknown.content):
            scenario.violate(f"document {what}", f"{answer.status_code} {answer.content[:80]!r}")


async def mutations_naming_a_data(scenario: Scenario) -> None:
    """Every MUTATION_CASES attempt gets its outcome, answers as for stand-ins that never
    existed, shows nothing of A, and A's world reads the same after it."""
    intruder, foreign, a = scenario.intruder, scenario.foreign, scenario.a
    runner = Runner(scenario.schema, scenario.limits, WALK)
    versions = {
        **await versions_of(scenario, scenario.owner, a),
        **await versions_of(scenario, intruder.client, intruder.world),
    }
    target = Target(a, intruder.world, versions, intruder.facility_scoped)
    # A's reads from the start are the "before": reads since then must not have changed it.
    baseline = naming_a(scenario, scenario.a_reads)
    for field_name in sorted(MUTATION_CASES):
        document = mutation_document(scenario, field_name)
        for attempt in MUTATION_CASES[field_name](target):
            case = f"mutation {field_name}: {attempt.what}"
            CASES[f"mutation attempts with A's ids [{intruder.name}]"] += 1
            body = await intruder.client.raw(document, {"input": attempt.input})
            if problem := outcome_problem(body, field_name, attempt.outcome):
                scenario.violate(case, problem)
            if leaked := foreign.found_in(body, sent=attempt.input):
                scenario.violate(case, f"answers with {scenario.describe(leaked)}")
            if attempt.outcome == "TAKEN" or not foreign.carried_by(attempt.input):
                continue
            stand_in = await intruder.client.raw(
                document, {"input": foreign.substitute(attempt.input)}
            )
            if foreign.comparable(body, stand_ins=False) != foreign.comparable(
                stand_in, stand_ins=True
            ):
                scenario.violate(case, f"answers A's ids unlike unknown ones: {body}")
            if accepted(body, field_name):
                # It wrote something while naming A's data: A's world must read the same.
                now = await snapshot(runner, scenario)
                if now != baseline:
                    scenario.violate(case, differences(baseline, now))
                    baseline = now
    # Refused attempts write nothing: A's world is as the accepted ones left it.
    final = await snapshot(runner, scenario)
    if final != baseline:
        scenario.violate(
            "mutation (all): A's world after every attempt", differences(baseline, final)
        )


def mutation_document(scenario: Scenario, field_name: str) -> str:
    """`field(input: $input) { <every path of its payload within PAYLOAD_WALK> }`, one
    operation the API accepts (a mutation is never sent twice to read more of its payload)."""
    field = root_fields(scenario.schema, "mutation")[field_name]
    payload = selection(scenario.schema, unwrap(field.type).name, PAYLOAD_WALK)
    declared, passed = variable_definitions(field, {"input": None})
    document = f"mutation({declared}) {{ {field_name}{passed} {{ {render(payload)} }} }}"
    assert scenario.limits.accepts(document, {}), f"{field_name}'s payload is over the limits"
    return document


def outcome_problem(body: dict[str, Any], field_name: str, expected: Outcome) -> str | None:
    """Why an answer is not the `expected` outcome; None when it is."""
    errors = body.get("errors") or []
    payload = (body.get("data") or {}).get(field_name)
    if expected == "FORBIDDEN":
        if codes(errors) == ["FORBIDDEN"] and payload is None:
            return None
        return f"expected FORBIDDEN, got {codes(errors) or payload}"
    if errors or payload is None:
        return f"errors {codes(errors)}"
    refusals = [e["code"] for e in payload["userErrors"]]
    if expected == "ACCEPTED":
        return f"refused: {payload['userErrors']}" if refusals else None
    if expected == "TAKEN":
        taken = refusals == ["CONFLICT"] and all(
            v is None for k, v in payload.items() if k != "userErrors"
        )
        return None if taken else f"expected CONFLICT alone, got {payload}"
    if not refusals or set(refusals) != {"NOT_FOUND"}:
        return f"expected NOT_FOUND, got {payload['userErrors'] or 'success'}"
    returned = sorted(k for k, v in payload.items() if k != "userErrors" and v is not None)
    return f"refused but returned {returned}" if returned else None


def accepted(body: dict[str, Any], field_name: str) -> bool:
    payload = (body.get("data") or {}).get(field_name)
    return not body.get("errors") and payload is not None and not payload["userErrors"]


async def versions_of(scenario: Scenario, client: GraphQLClient, world: World) -> dict[str, int]:
    """The current version of every versioned entity of `world`, as `client` reads it."""
    batcher = Batcher(scenario.schema, scenario.limits, scenario.settings.max_aliases)
    lookups = [
        *(Lookup("customService", {"id": s}) for s in world.services),
        *(Lookup("serviceJob", {"id": j}) for j in world.jobs),
        Lookup("facilityCustomServiceConnections", {"facilityId": world.facility}),
        Lookup("serviceData", {"serviceJobId": world.selecting_job}),
    ]
    found: dict[str, int] = {}
    for answer in await batcher.run(client, lookups):
        for entity in [] if answer.data is None else answer.data.get("nodes", [answer.data]):
            found[entity["id"]] = entity["version"]
            for visit in entity.get("appointments", []):
                found[visit["appointmentId"]] = visit["version"]
    return found


def differences(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    changed = sorted(case for case in before if before[case] != after.get(case))
    return f"A's world changed in {changed}"
