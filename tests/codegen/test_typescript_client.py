"""Typed clients: scripts/codegen-ts turns a client's operations into TypeScript types from
schema.graphql; the example client (examples/typescript) is checked by `tsc` against the
types generated now, and its committed generated.ts must be exactly what the command writes.
Needs Node.js: skipped without it, except under CI (scripts/codegen-ts installs it there)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "typescript"
CODEGEN = ROOT / "scripts" / "codegen-ts"
TSC = ROOT / "scripts" / "codegen" / "node_modules" / ".bin" / "tsc"

#: Misuses of the generated types that tsc must refuse: each line after a @ts-expect-error
#: has to be an error, or tsc fails on the unused directive.
MISUSE = """\
import type { JobByIdQuery, JobPageQueryVariables, ServiceJobStatus } from "./generated";
import { StartJobDocument } from "./generated";
import { request, type Gateway } from "./client";

declare const job: NonNullable<JobByIdQuery["serviceJob"]>;
declare const gateway: Gateway;
// @ts-expect-error: the operation does not select the job's description
job.description;
// @ts-expect-error: fields are camelCase, as on the wire
job.target_time;
// @ts-expect-error: tenantOrderId is nullable in the schema
const order: string = job.tenantOrderId;
// @ts-expect-error: not a status of the schema
const status: ServiceJobStatus = "DONE";
// @ts-expect-error: `first` is required by the operation
const page: JobPageQueryVariables = { after: null };
// @ts-expect-error: a custom scalar keeps its JSON shape (LocalizedText: locale to text)
const names: Record<string, number> = job.nameLocalized;
// @ts-expect-error: the mutation's variables are checked too (version is an Int)
void request(gateway, StartJobDocument, { input: { id: "1", version: "3" } });
export { order, status, page, names };
"""


@pytest.fixture(scope="module")
def node(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--db") == "postgres":
        pytest.skip("no database involved: runs once, in the SQLite pass")
    if shutil.which("node") is None and not os.environ.get("CI"):
        pytest.skip("Node.js is not installed (scripts/codegen-ts installs it under CI)")


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_example_client_is_current_and_type_checks(node: None, tmp_path: Path) -> None:
    project = tmp_path / "client"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("generated.ts"))
    generated = run(CODEGEN, "-o", project / "generated.ts", project / "operations.graphql")
    assert generated.returncode == 0, generated.stderr

    committed = (EXAMPLE / "generated.ts").read_text(encoding="utf-8")
    fresh = (project / "generated.ts").read_text(encoding="utf-8")
    assert fresh == committed, (
        "examples/typescript/generated.ts is stale: run scripts/codegen-ts -o "
        "examples/typescript/generated.ts examples/typescript/operations.graphql"
    )

    (project / "misuse.ts").write_text(MISUSE, encoding="utf-8")
    tsconfig = (project / "tsconfig.json").read_text(encoding="utf-8")
    (project / "tsconfig.json").write_text(
        tsconfig.replace('"generated.ts"]', '"generated.ts", "misuse.ts"]'), encoding="utf-8"
    )
    checked = run(TSC, "-p", project / "tsconfig.json", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_operations_that_do_not_fit_the_schema_are_refused(node: None, tmp_path: Path) -> None:
    operations = tmp_path / "operations.graphql"
    operations.write_text('query Job { serviceJob(id: "1") { id colour } }\n', encoding="utf-8")

    refused = run(CODEGEN, "-o", tmp_path / "generated.ts", operations)

    assert refused.returncode == 1
    assert 'Cannot query field "colour" on type "ServiceJob"' in refused.stderr
    assert not (tmp_path / "generated.ts").exists()
