// Package gateway is the request path behind API Gateway: the logic of the
// aggregator function. A request crosses a pipeline of steps, one file each,
// in the order it meets them (composed once, in pipeline.go):
//
//  1. clean (clean.go): the path is decoded once and cleaned, the query and
//     body are capped, and the client's headers lose everything the gateway
//     owns or strips (headers.go), in any spelling; then the route table's
//     own IP lists (addressFilter, rules.go), 403 before anything else;
//  2. preflight (preflight.go): a browser's CORS preflight is answered from
//     the CORS policy, without an identity (it carries none);
//  3. identify (identify.go): the caller is who the authorizer context says,
//     and a cached Allow that outlived the token's exp is refused;
//  4. limit, network (limit.go): the global and per-IP limits, before any
//     lookup a client-chosen credential can trigger;
//  5. resolve key (apikey.go): x-api-key to its record and tier;
//  6. limit, caller (limit.go): the per-key, per-endpoint and per-tier
//     limits (per token subject without a key);
//  7. route (route.go): the route of the configuration snapshot in use, 404
//     or 405 when there is none; then the route's request rules
//     (requestRules, rules.go): its IP lists (403), its body limit (413) and
//     its request header rules;
//  8. authorise (authorize.go): the route table's permissions, and who may
//     use a service's header routes;
//  9. enrich (enrich.go): the gateway's identity, request and trace headers;
//     then the usage counters (meter.go), when the limits document asks;
//  10. backend: a service route through the response cache (proxy.go,
//     cache.go), a composite route's parallel calls (composite.go), or a gRPC
//     method (grpc.go), all through the mesh client; the route's response
//     header rules apply to its answer (responseRules, rules.go); an answer
//     is base64-encoded for API Gateway when it is not UTF-8 text or carries
//     a Content-Encoding;
//  11. respond (respond.go): the rate-limit headers (the tightest policy's
//     RateLimit-Limit/-Remaining/-Reset, and RateLimit-Policy and RateLimit
//     naming every policy, ratelimitfields.go), the request-ID and CORS
//     headers, the cap on the answer as Lambda serialises it (Lambda refuses
//     over 6 MB), one JSON access line and one CloudWatch
//     embedded-metric-format line (observe.go).
//
// A request reads the configuration snapshot (package config) once, before
// the first step, and uses it to the end. Every answer the gateway makes
// itself is JSON, {"message", "requestId"}. Backends are addressed only by
// logical service name and the cleaned path; a client can never choose the
// host, and the gateway never follows a backend's redirect.
package gateway
