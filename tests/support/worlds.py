"""A small but complete world of one caller, built through the API so that every type of the
schema has data: custom services (with questions, a prerequisite and required articles), their
facility connections, an order whose jobs form a four-level linked service jobs tree, items
selected from the tree's service data, an appointment with fulfilment data and an uploaded
document, a lone job with answers, an upload not yet recorded anywhere, and a webhook
subscription to the world's facility with deliveries of its events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.closeout import DE, FULFILL, appointment, uploaded
from tests.support.graphql import GraphQLClient
from tests.support.jobs import TARGET, job, line_item

CREATE_SERVICE = """mutation($input: CreateCustomServiceInput!) {
  createCustomService(input: $input) {
    customService { id tenantCustomServiceId additionalInformation { id } }
    userErrors { code message field } } }"""
CONNECT = """mutation($input: CreateFacilityCustomServiceConnectionInput!) {
  createFacilityCustomServiceConnection(input: $input) {
    facilityCustomServiceConnection { id } userErrors { code message field } } }"""
ORDER = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { linkedServiceJobs { id }
    serviceJobs { id version serviceJobLink { id } } }
  userErrors { code message field } } }"""
ITEMS = """query($id: ID!) { serviceData(serviceJobId: $id) { id availableLineItems { id } } }"""
SELECT = """mutation($input: ServiceJobItemsInput!) { selectItemsForServiceJob(input: $input) {
  userErrors { code message field } } }"""
TREE = """query($id: ID!) { linkedServiceJobs(id: $id) {
  includedServiceJobRefs includedServiceJobLinkIds } }"""
SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    webhookSubscription { id } userErrors { code message field } } }"""


@dataclass
class World:
    """What one caller made, by kind; every id of it is in `ids()`."""

    label: str
    facility: str
    services: list[str] = field(default_factory=list)
    service_tenant_ids: list[str] = field(default_factory=list)
    additional_information: list[str] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)
    order_id: str = ""
    jobs: list[str] = field(default_factory=list)
    trees: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    appointment: str = ""
    appointment_job: str = ""
    document: str = ""
    document_digest: str = ""
    unattached_document: str = ""
    unattached_digest: str = ""
    #: A job alone in its own tree (addServiceJobLink moves such jobs).
    lone_job: str = ""
    #: A NOT_READY job of the order with items selected (selecting items needs NOT_READY).
    selecting_job: str = ""
    #: The service data of the order's tree (its items are `items`).
    service_data: str = ""
    #: A webhook subscription to the world's facility (its deliveries: the world's events).
    webhook_subscription: str = ""

    def roles(self) -> dict[str, str]:
        """What each id or label of the world is, for messages."""
        named = {
            self.order_id: "order id",
            self.facility: "facility",
            self.appointment: "appointment",
            self.service_data: "service data",
            self.document: "recorded document",
            self.unattached_document: "unrecorded upload",
            self.webhook_subscription: "webhook subscription",
            f"{self.label}-part": "article",
            f"{self.label}-thread": "article",
            f"{self.label}-user": "assigned user",
        }
        for kind, values in (
            ("service", self.services),
            ("tenant service id", self.service_tenant_ids),
            ("question", self.additional_information),
            ("connection", self.connections),
            ("job", self.jobs),
            ("tree", self.trees),
            ("link", self.links),
            ("item", self.items),
        ):
            named.update({value: f"{kind} {index}" for index, value in enumerate(values)})
        return named

    def labels(self) -> set[str]:
        """The world's own names that are not ids: its order, tenant service ids, articles and
        user (each carries the world's label)."""
        return {
            self.order_id,
            *self.service_tenant_ids,
            f"{self.label}-part",
            f"{self.label}-thread",
            f"{self.label}-user",
        }

    def ids(self) -> set[str]:
        """Every entity id of the world (ids are UUIDs, unique across tenants)."""
        return {
            *self.services,
            *self.additional_information,
            *self.connections,
            *self.jobs,
            *self.trees,
            *self.links,
            *self.items,
            self.service_data,
            self.appointment,
            self.document,
            self.unattached_document,
            self.webhook_subscription,
        }


def _past(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _service(blueprints: GraphQLClient, world: World, suffix: str, **fields: Any) -> str:
    tenant_id = f"{world.label}-{suffix}"
    data = await blueprints(
        CREATE_SERVICE,
        {
            "input": {
                "nameLocalized": {"en_US": tenant_id.title()},
                "tenantCustomServiceId": tenant_id,
                **fields,
            }
        },
    )
    payload = data["createCustomService"]
    assert payload["userErrors"] == [], payload["userErrors"]
    made = payload["customService"]
    world.services.append(made["id"])
    world.service_tenant_ids.append(tenant_id)
    world.additional_information += [q["id"] for q in made["additionalInformation"]]
    return str(made["id"])


async def _connect(actor: GraphQLClient, world: World, service_id: str) -> None:
    data = await actor(
        CONNECT, {"input": {"facilityId": world.facility, "customServiceId": service_id}}
    )
    payload = data["createFacilityCustomServiceConnection"]
    assert payload["userErrors"] == [], payload["userErrors"]
    world.connections.append(payload["facilityCustomServiceConnection"]["id"])


def _node(service_id: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {
        "customServiceDefinition": {"customServiceRef": service_id},
        "customServiceItems": list(children),
    }


async def build_world(
    blueprints: GraphQLClient,
    actor: GraphQLClient,
    http: httpx.AsyncClient,
    *,
    label: str,
    facility: str,
    fan_out: Callable[[], Awaitable[object]],
) -> World:
    """`blueprints` makes the custom services (tenant-wide: a facility-scoped caller may not),
    `actor` everything else, in `facility`. Labels keep every tenant id and order id apart.
    `fan_out` turns the events into webhook deliveries (the app's worker, one round; nothing
    is sent)."""
    world = World(label=label, facility=facility)
    subscribed = await actor(
        SUBSCRIBE,
        {
            "input": {
                "callbackUrl": f"https://{label}.hooks.example.com/events",
                "events": ["SERVICE_JOB_CREATED", "LINKED_SERVICE_JOBS_CHANGED"],
                "facilityRefs": [facility],
            }
        },
    )
    payload = subscribed["createWebhookSubscription"]
    assert payload["userErrors"] == [], payload["userErrors"]
    world.webhook_subscription = payload["webhookSubscription"]["id"]
    question = {"nameLocalized": {"en_US": "Serial number"}, "valueType": "STRING"}
    base = await _service(
        blueprints,
        world,
        "base",
        additionalInformation=[{**question, "tenantAdditionalInformationId": "serial"}],
    )
    main = await _service(
        blueprints,
        world,
        "main",
        requiredCustomServiceRefs=[base],
        additionalInformation=[
            {
                "nameLocalized": {"en_US": "Note"},
                "valueType": "INPUT_MULTILINE_STRING",
                "tenantAdditionalInformationId": "note",
            }
        ],
        customAttributes={"origin": label},
    )
    part = f"{label}-part"
    leaf = await _service(
        blueprints,
        world,
        "leaf",
        itemsRequired="MANDATORY",
        articleItems=[{"article": {"tenantArticleId": part, "title": "Part"}, "quantity": 1}],
    )
    for service_id in (base, main, leaf):
        await _connect(actor, world, service_id)

    # An order: main <- base <- leaf, one tree of three levels with the order's items.
    world.order_id = f"{label}-order"
    data = await actor(
        ORDER,
        {
            "input": {
                "tenantOrderId": world.order_id,
                "facilityId": facility,
                "targetTime": TARGET,
                "marketplaceId": DE,
                "customServices": [_node(main, _node(base, _node(leaf)))],
                "lineItems": [
                    {"article": {"tenantArticleId": part, "title": "Part"}, "quantity": 2}
                ],
            }
        },
    )
    payload = data["createOrder"]
    assert payload["userErrors"] == [], payload["userErrors"]
    order_jobs = payload["order"]["serviceJobs"]
    world.trees += [t["id"] for t in payload["order"]["linkedServiceJobs"]]
    leaf_job = order_jobs[-1]

    # A fourth level beneath the leaf, with line items of its own (inherited above it).
    step = await job(
        actor,
        base,
        facilityRef=facility,
        serviceJobLinkRef=leaf_job["serviceJobLink"]["id"],
        lineItems=[line_item(f"{label}-thread", "Thread", 3)],
        additionalInformation=[{"tenantAdditionalInformationRef": "serial", "value": "SN-1"}],
    )

    # Items of the tree's service data selected for the (NOT_READY) leaf job.
    data = (await actor(ITEMS, {"id": leaf_job["id"]}))["serviceData"]
    world.service_data = data["id"]
    world.items += [i["id"] for i in data["availableLineItems"]]
    selected = await actor(
        SELECT,
        {
            "input": {
                "serviceJobId": leaf_job["id"],
                "serviceJobVersion": leaf_job["version"],
                "items": [{"serviceItemRef": world.items[0], "quantity": 1}],
            }
        },
    )
    assert selected["selectItemsForServiceJob"]["userErrors"] == []
    world.selecting_job = leaf_job["id"]

    # An appointment of the step job with fulfilment data and an uploaded document.
    visit = await appointment(actor, step["id"])
    dest, digest = await uploaded(actor, http)
    fulfilled = await actor(
        FULFILL,
        {
            "input": {
                "serviceJobId": step["id"],
                "appointmentId": visit["appointmentId"],
                "estimatedArrivalTime": {"startTime": _past(4), "endTime": _past(3.5)},
                "fulfillmentTime": {"startTime": _past(3), "endTime": _past(2)},
                "appointmentResources": [{"resourceId": "tech-1"}],
                "fulfillmentDocuments": [{"uploadDestinationId": dest.id, "contentSha256": digest}],
            }
        },
    )
    assert fulfilled["setAppointmentFulfillmentData"]["userErrors"] == []
    world.appointment, world.appointment_job = visit["appointmentId"], step["id"]
    world.document, world.document_digest = dest.id, digest
    loose, loose_digest = await uploaded(actor, http)
    world.unattached_document, world.unattached_digest = loose.id, loose_digest

    # A lone job in a tree of its own, with an answer and an assigned user.
    lone = await job(
        actor,
        main,
        facilityRef=facility,
        assignedUsers=[f"{label}-user"],
        additionalInformation=[{"tenantAdditionalInformationRef": "note", "value": "Fragile"}],
    )
    world.lone_job = lone["id"]
    world.trees.append(lone["linkedServiceJobsRef"])

    for tree_id in world.trees:
        tree = (await actor(TREE, {"id": tree_id}))["linkedServiceJobs"]
        world.jobs += tree["includedServiceJobRefs"]
        world.links += tree["includedServiceJobLinkIds"]
    assert len(world.jobs) == 5 and len(world.links) == 5
    await fan_out()
    return world
