// GraphQL over HTTP conformance: graphql-http's reference audit against a live server.
//   node audit.mjs <url> <bearer token>
// Exits non-zero on any error or warning (notices are MAY items).
import { auditServer } from 'graphql-http';

const [url, token] = process.argv.slice(2);
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
const counts = {};
for (const result of results) {
  counts[result.status] = (counts[result.status] || 0) + 1;
  if (result.status !== 'ok') console.log(result.status, result.id, result.name, '->', result.reason);
}
console.log('graphql-http audit:', JSON.stringify(counts));
process.exit(counts.error || counts.warn ? 1 : 0);
