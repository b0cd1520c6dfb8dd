// Package gateway is the request path behind API Gateway: the logic of the
// aggregator function. For each proxy event it
//
//   - rejects requests that arrive without the authorizer's identity, or whose
//     token expired while API Gateway's authorizer cache still held an Allow;
//   - applies the per-client-IP rate limit (one DynamoDB write per decision);
//   - cleans the path (route.Clean) and caps the body and query;
//   - strips client-supplied identity, enrichment and hop-by-hop headers (and
//     headers named in Connection), then adds X-User-*, X-Request-ID,
//     X-Forwarded-For, X-Forwarded-Proto, X-Request-Start and the trace header;
//   - finds the route in the current route table (package route): 404 or 405
//     JSON when there is none, 403 when a per-route permission is missing;
//   - sends the request to the route's service through the mesh client, within
//     the route's timeout and the function's deadline, or runs a composite
//     route's calls in parallel and merges their JSON answers under the
//     partial-results contract (see Handler.Handle), or, for a gRPC route,
//     translates the JSON request to the method's Protobuf message, calls the
//     backend and answers in JSON (package pkg/transcode; GRPCBackends builds
//     the transcoders from the descriptor sets the route table names);
//   - treats backend answers as untrusted (size cap, no hop-by-hop or
//     gateway-owned headers, no header injection back to the client);
//   - logs one JSON access line and writes one CloudWatch embedded-metric-format
//     line per request.
//
// Backends are addressed only by logical service name and the cleaned path; a
// client can never choose the host.
package gateway
