// A small typed client of the gateway: fetch and the generated types, no framework.
// generated.ts comes from operations.graphql (scripts/codegen-ts); `tsc` checks this file
// against it, so a field renamed in the schema fails the build here, not in production.

import {
  JobByIdDocument,
  JobPageDocument,
  StartJobDocument,
  type JobByIdQuery,
  type JobPageQuery,
  type ServiceJobFilterInput,
  type StartJobMutation,
  type TypedDocument,
} from "./generated";

/** A request-level failure: the gateway's `errors`, each with its `extensions.code`. */
export class GraphQLRequestError extends Error {
  constructor(readonly errors: ReadonlyArray<{ message: string; extensions?: { code?: string } }>) {
    super(errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; "));
  }
}

export interface Gateway {
  /** e.g. http://127.0.0.1:8000/graphql */
  endpoint: string;
  /** A JWT (python -m app token --tenant demo). */
  token: string;
}

/** Runs one operation; the result's type comes from the document. */
export async function request<TResult, TVariables>(
  gateway: Gateway,
  document: TypedDocument<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(gateway.endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json;q=0.9",
      Authorization: `Bearer ${gateway.token}`,
    },
    body: JSON.stringify({ query: document, variables }),
  });
  const body = (await response.json()) as {
    data?: TResult | null;
    errors?: ReadonlyArray<{ message: string; extensions?: { code?: string } }>;
  };
  if (body.errors?.length || body.data == null) {
    throw new GraphQLRequestError(body.errors ?? [{ message: `HTTP ${response.status}` }]);
  }
  return body.data;
}

export type Job = NonNullable<JobByIdQuery["serviceJob"]>;
export type JobPage = JobPageQuery["serviceJobs"];

/** One job by id, or null when it does not exist or the token may not see it. */
export async function jobById(gateway: Gateway, id: string): Promise<Job | null> {
  return (await request(gateway, JobByIdDocument, { id })).serviceJob;
}

/** Every job matching `filter`, soonest target time first, page by page. */
export async function* jobs(
  gateway: Gateway,
  filter: ServiceJobFilterInput,
  pageSize = 50,
): AsyncGenerator<JobPage["nodes"][number]> {
  let after: string | null = null;
  for (;;) {
    const page: JobPage = (
      await request(gateway, JobPageDocument, { first: pageSize, after, filter })
    ).serviceJobs;
    yield* page.nodes;
    if (!page.pageInfo.hasNextPage) return;
    after = page.pageInfo.endCursor;
  }
}

export type StartOutcome =
  | { started: NonNullable<StartJobMutation["startServiceJob"]["serviceJob"]> }
  | { refused: StartJobMutation["startServiceJob"]["userErrors"] };

/** Starts an OPEN job; a stale `version` comes back as a VERSION_CONFLICT user error. */
export async function startJob(gateway: Gateway, job: { id: string; version: number }) {
  const { startServiceJob } = await request(gateway, StartJobDocument, {
    input: { id: job.id, version: job.version },
  });
  const outcome: StartOutcome =
    startServiceJob.userErrors.length > 0 || startServiceJob.serviceJob === null
      ? { refused: startServiceJob.userErrors }
      : { started: startServiceJob.serviceJob };
  return outcome;
}

/** Starts the open jobs of a facility whose target time has come, and says what happened. */
export async function startDueJobs(gateway: Gateway, facilityRef: string, now = new Date()) {
  const lines: string[] = [];
  for await (const job of jobs(gateway, { facilityRef, statuses: ["OPEN"] })) {
    if (new Date(job.targetTime) > now) break;
    const outcome = await startJob(gateway, job);
    lines.push(
      "started" in outcome
        ? `${job.name}: ${outcome.started.status} (version ${outcome.started.version})`
        : `${job.name}: ${outcome.refused.map((e) => `${e.code} ${e.message}`).join(", ")}`,
    );
  }
  return lines;
}
