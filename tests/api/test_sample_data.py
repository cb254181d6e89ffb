"""The sample data in fixtures/ loads through the use cases and reads back as the seeds describe
it; representative responses are kept as snapshots (volatile values normalised)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from syrupy.assertion import SnapshotAssertion

from app.db.engine import SessionFactory
from app.services.seeding import is_empty, seed
from tests.support.graphql import GraphQLClient
from tests.support.normalise import normalise

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "sample.json"
EMBROIDERY_ID = "6a0c7c5e-2f3a-4a8e-9d53-0f6f1d7b1a02"


@pytest.fixture
async def sample(db: SessionFactory) -> dict[str, int]:
    assert await is_empty(db)
    counts = await seed(db, "acme", orjson.loads(FIXTURE.read_bytes()))
    assert not await is_empty(db)
    return counts


async def test_the_sample_loads_every_service_and_connection(sample: dict[str, int]) -> None:
    assert sample == {
        "customServices": 4,
        "facilityConnections": 5,
        "trees": 1,
        "serviceJobs": 3,
    }


async def test_the_sample_embroidery_service_reads_back_in_english_and_german(
    gql: GraphQLClient, sample: dict[str, int], snapshot: SnapshotAssertion
) -> None:
    query = """
    query($id: ID!) {
      customService(id: $id) {
        id tenantCustomServiceId status
        en: name(locale: en_US) de: name(locale: de_DE) description nameLocalized
        executionTimeInMin itemsReturnable itemsRequired customAttributes version
        articleItems { quantity article { tenantArticleId title } }
        additionalInformation {
          tenantAdditionalInformationId name descriptionLocalized valueType isMandatory
        }
        requiredCustomServices { tenantCustomServiceId
          requiredCustomServices { tenantCustomServiceId } }
      }
    }
    """
    data = await gql(query, {"id": EMBROIDERY_ID})
    service = data["customService"]
    assert service["en"] == "Shirt initials embroidery"
    assert service["de"] == "Hemd Initialien Bestickung"
    assert normalise(data, keep=frozenset({EMBROIDERY_ID})) == snapshot


async def test_a_facility_lists_its_sample_connections(
    gql: GraphQLClient, sample: dict[str, int], snapshot: SnapshotAssertion
) -> None:
    data = await gql(
        """{ facilityCustomServiceConnections(facilityId: "fac-berlin-mitte", first: 2) {
              totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
              edges { cursor node { id status executionTimeInMin version
                customService { tenantCustomServiceId executionTimeInMin } } } } }"""
    )
    assert data["facilityCustomServiceConnections"]["totalCount"] == 3
    assert normalise(data, keep=frozenset()) == snapshot


async def test_seeding_twice_is_refused_without_writing_anything(
    db: SessionFactory, sample: dict[str, int], gql: GraphQLClient
) -> None:
    from app.domain.errors import DomainError

    with pytest.raises(DomainError) as refused:
        await seed(db, "acme", orjson.loads(FIXTURE.read_bytes()))
    assert refused.value.problems[0].code.value == "CONFLICT"
    assert (await gql("{ customServices { totalCount } }"))["customServices"]["totalCount"] == 4


TREE_ID = "5e1f3a70-9c2d-4f0e-a8b1-7d6c5b4a3001"
FIXTURE_IDS = frozenset(
    [TREE_ID, EMBROIDERY_ID]
    + [f"5e1f3a70-9c2d-4f0e-a8b1-7d6c5b4a3{n}" for n in (101, 102, 103, 201, 202, 203, 302, 303)]
)
NESTED = """query($id: ID!) { linkedServiceJobs(id: $id) {
  id processRef facilityRef status includedServiceJobRefs
  serviceData { version serviceJobRefs availableLineItems { id quantity availableQuantity
    article { tenantArticleId } executedServiceJobData { serviceJobRef sequence } } }
  serviceJobLinks { ...link nextServiceJobLinks { ...link nextServiceJobLinks { ...link } } } } }
fragment link on ServiceJobLink {
  id depth previousServiceJobLinkRef
  serviceJob { id name status subStatus executionTimeInMin customServiceRef
    lineItems { id article { tenantArticleId title } quantity }
    requiredLineItems { quantity article { tenantArticleId } }
    inheritedLineItems { serviceJobRef article { title } }
    additionalInformation { tenantAdditionalInformationId isMandatory value } } }"""
FLAT = """query($id: ID!) { linkedServiceJobs(id: $id) { id status
  allServiceJobLinks { id depth previousServiceJobLinkRef serviceJobRef
    serviceJob { name status } } } }"""


async def test_the_sample_tree_nested(
    gql: GraphQLClient, sample: dict[str, int], snapshot: SnapshotAssertion
) -> None:
    data = await gql(NESTED, {"id": TREE_ID})
    quality = data["linkedServiceJobs"]["serviceJobLinks"][0]
    assert quality["serviceJob"]["name"] == "Quality check"
    assert quality["nextServiceJobLinks"][0]["nextServiceJobLinks"][0]["serviceJob"]["name"] == (
        "Custom tailoring"
    )
    assert normalise(data, keep=FIXTURE_IDS) == snapshot


async def test_the_sample_tree_flat(
    gql: GraphQLClient, sample: dict[str, int], snapshot: SnapshotAssertion
) -> None:
    data = await gql(FLAT, {"id": TREE_ID})
    links = data["linkedServiceJobs"]["allServiceJobLinks"]
    assert [(link["depth"], link["serviceJob"]["status"]) for link in links] == [
        (1, "NOT_READY"),
        (2, "NOT_READY"),
        (3, "OPEN"),  # tailoring was created with its shirt: nothing to wait for
    ]
    assert normalise(data, keep=FIXTURE_IDS) == snapshot
