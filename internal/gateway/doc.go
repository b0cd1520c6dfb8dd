// Package gateway is the request path behind API Gateway: the logic of the
// aggregator function. For each proxy event it
//
//   - rejects requests that arrive without the authorizer's identity, or whose
//     token expired while API Gateway's authorizer cache still held an Allow;
//   - applies the per-client-IP rate limit (one DynamoDB write per decision);
//   - strips client-supplied identity, enrichment and hop-by-hop headers, then
//     adds X-User-ID, X-User-Roles, X-Request-ID, X-Forwarded-For and
//     X-Request-Start;
//   - routes by path prefix to a logical service (with prefix stripping) and
//     sends the request through the mesh client, or serves a composite endpoint
//     such as /user-dashboard by calling several services in parallel and
//     merging their answers into one JSON object.
//
// Backends are addressed only by logical service name and the cleaned path; a
// client can never choose the host.
package gateway
