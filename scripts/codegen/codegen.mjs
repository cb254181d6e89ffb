// TypeScript types for a client's GraphQL operations, from the gateway's schema.graphql, with
// GraphQL Code Generator's `typescript-operations` plugin (through its core API: no config
// file, no watcher), and each operation's text as a typed document constant. The plugin
// writes the enums and input types the operations use, and nothing else of the schema.
//
//   node scripts/codegen/codegen.mjs --schema schema.graphql --out src/generated.ts ops.graphql...
//
// Run through scripts/codegen-ts, which installs the pinned packages first.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";

import { codegen } from "@graphql-codegen/core";
import * as typescriptOperations from "@graphql-codegen/typescript-operations";
import { Kind, buildASTSchema, parse, print, visit } from "graphql";

// The gateway's custom scalars as they travel in JSON (see their descriptions in the schema).
const SCALARS = {
  DateTime: "string",
  LocalizedText: "Record<string, string>",
  JSONObject: "Record<string, unknown>",
};

const CONFIG = {
  // A scalar missing from SCALARS fails the run instead of becoming `any`.
  strictScalars: true,
  scalars: SCALARS,
  // Enums as unions of string literals: type-only output, nothing to bundle.
  enumsAsTypes: true,
  // A response has every field it asked for (null where nullable); variables may be left out
  // where the schema allows it.
  avoidOptionals: { field: true, object: true, inputValue: false, defaultValue: false },
  maybeValue: "T | null",
  inputMaybeValue: "T | null | undefined",
  useTypeImports: true,
  skipTypename: true,
};

function usage(message) {
  console.error(`codegen-ts: ${message}`);
  console.error("usage: scripts/codegen-ts [--schema schema.graphql] -o OUT.ts OPERATIONS.graphql...");
  process.exit(2);
}

function fragmentsUsedBy(node, fragments, seen = new Set()) {
  visit(node, {
    FragmentSpread(spread) {
      const name = spread.name.value;
      if (!seen.has(name) && fragments.has(name)) {
        seen.add(name);
        fragmentsUsedBy(fragments.get(name), fragments, seen);
      }
    },
  });
  return seen;
}

// `export const XDocument`: the operation's text with the fragments it spreads, typed with its
// result and variables, for clients that post the text (fetch) rather than an AST.
function typedDocuments(documents) {
  const definitions = documents.flatMap((file) => file.document.definitions);
  const fragments = new Map(
    definitions
      .filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const lines = [
    "",
    "/** An operation's text, carrying its result and variables types. */",
    "export type TypedDocument<TResult, TVariables> = string & {",
    "  readonly __result?: TResult;",
    "  readonly __variables?: TVariables;",
    "};",
  ];
  for (const operation of definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
    if (!operation.name) usage("every operation needs a name (its types are named after it)");
    const name = operation.name.value;
    const kind = operation.operation[0].toUpperCase() + operation.operation.slice(1);
    const used = [...fragmentsUsedBy(operation, fragments)].sort();
    const text = [operation, ...used.map((f) => fragments.get(f))].map(print).join("\n\n");
    lines.push(
      "",
      `export const ${name}Document = ${JSON.stringify(text)} as TypedDocument<`,
      `  ${name}${kind},`,
      `  ${name}${kind}Variables`,
      ">;",
    );
  }
  return lines.join("\n") + "\n";
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { schema: { type: "string", default: "schema.graphql" }, out: { type: "string", short: "o" } },
});
if (!values.out) usage("say where to write the types: -o OUT.ts");
if (positionals.length === 0) usage("name at least one .graphql file of operations");

const schemaText = await readFile(values.schema, "utf8");
const schema = parse(schemaText);
const documents = [];
for (const file of positionals) {
  const text = await readFile(file, "utf8");
  try {
    documents.push({ location: file, document: parse(text, { noLocation: true }) });
  } catch (error) {
    usage(`${file}: ${error.message}`);
  }
}

const outDir = path.dirname(path.resolve(values.out));
const sources = positionals.map((f) => path.relative(outDir, path.resolve(f)).split(path.sep).join("/"));
let output;
try {
  output = await codegen({
    schema,
    schemaAst: buildASTSchema(schema),
    documents,
    filename: values.out,
    config: CONFIG,
    plugins: [{ typescriptOperations: {} }],
    pluginMap: { typescriptOperations },
  });
} catch (error) {
  // Documents that do not validate against the schema: say which and why.
  const details = (error.errors ?? error.details ?? [])
    .map((e) => `  ${e.message ?? e}`)
    .join("\n");
  console.error(`codegen-ts: ${error.message}${details ? `\n${details}` : ""}`);
  process.exit(1);
}
const header =
  `// Generated by scripts/codegen-ts from the gateway's schema.graphql and ${sources.join(", ")}.\n` +
  "// Do not edit: change the operations and run the command again.\n\n";
await writeFile(values.out, header + output + typedDocuments(documents));
console.log(`codegen-ts: wrote ${values.out}`);
