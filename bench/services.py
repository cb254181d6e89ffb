"""The custom services page of issue 16 (W5 in bench/peers.py): a tenant's catalogue of 100
custom services, each with its name and description in three locales, three questions with
localized names, an article, and up to two prerequisites (chains at most 10 deep), as a
document for `python -m app seed`; and the page a frontend asks for.

    .venv/bin/python bench/services.py > /tmp/services.json   # the seed document
"""

from __future__ import annotations

import json
import sys
from typing import Any
from uuid import UUID, uuid5

#: Where the services' ids come from (the same ids every run).
NAMESPACE = UUID("5b0f3c1e-7a3d-4c4b-9a57-2f1e8d6c0b15")
COUNT = 100

#: The page: a hundred services with their names (the caller's locale, German, all of them),
#: their questions and their prerequisites.
PAGE = """query Services {
  customServices(first: 100) {
    totalCount
    nodes {
      id tenantCustomServiceId status version executionTimeInMin
      name de: name(locale: de_DE) nameLocalized description
      additionalInformation { tenantAdditionalInformationId name valueType isMandatory }
      requiredCustomServices { tenantCustomServiceId name }
    }
  }
}"""


def service_id(n: int) -> str:
    return str(uuid5(NAMESPACE, f"service-{n}"))


def services_document(count: int = COUNT) -> dict[str, Any]:
    services = []
    for n in range(count):
        required = [service_id(n - k) for k in (1, 2) if n - k >= 0 and (n - k) // 10 == n // 10]
        services.append(
            {
                "id": service_id(n),
                "tenantCustomServiceId": f"bench-service-{n:03d}",
                "nameLocalized": {
                    "en_US": f"Service {n}",
                    "de_DE": f"Dienst {n}",
                    "fr_FR": f"Service n° {n}",
                },
                "descriptionLocalized": {
                    "en_US": f"What service {n} does, in a sentence or two.",
                    "de_DE": f"Was Dienst {n} tut, in ein, zwei Sätzen.",
                },
                "executionTimeInMin": 15 + n % 90,
                "itemsRequired": "MANDATORY" if n % 3 == 0 else "NONE",
                "articleItems": [
                    {
                        "article": {"tenantArticleId": f"art-{n}", "title": f"Article {n}"},
                        "quantity": 1,
                    }
                ],
                "additionalInformation": [
                    {
                        "tenantAdditionalInformationId": f"q-{n}-{q}",
                        "nameLocalized": {"en_US": f"Question {q}", "de_DE": f"Frage {q}"},
                        "valueType": ("NUMBER", "STRING", "BOOLEAN")[q],
                        "isMandatory": q == 0,
                    }
                    for q in range(3)
                ],
                "requiredCustomServiceRefs": required,
            }
        )
    return {"description": "bench: a custom services catalogue (W5)", "customServices": services}


def page_body() -> dict[str, Any]:
    return {"query": PAGE, "operationName": "Services"}


if __name__ == "__main__":
    json.dump(services_document(), sys.stdout, ensure_ascii=False)
    sys.exit(0)
