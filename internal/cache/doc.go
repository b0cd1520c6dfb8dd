// Package cache keeps backend answers for routes that declare a Policy, in a
// Store shared by every function instance (the in-memory Memory twin here,
// DynamoDB in package cache/dynamo), with an optional short in-memory tier
// per warm instance.
//
// # Key
//
// The key is a SHA-256 over the method, the cleaned path, the query
// parameters the policy declares (sorted by name) and the values of the
// request headers it declares in Vary. Nothing else enters the key, and
// nothing else reaches the backend either: on a cached route the backend
// receives the request as the key sees it (declared parameters and headers,
// plus the trace headers X-Request-Id, Traceparent, Tracestate and
// X-Amzn-Trace-Id), so its answer cannot depend on anything the key does not
// hold. That is what makes unkeyed-header poisoning impossible and keeps user
// identity (X-User-*, Authorization, Cookie) away from answers that are
// shared: a backend cannot personalise what it cannot see.
//
// # What is never stored
//
// Answers with Set-Cookie; with Cache-Control private, no-store or no-cache;
// with a status outside 2xx (and 206); with a Vary naming a header the policy
// does not key on, or Vary: *; and bodies whose item would exceed
// Config.MaxItemBytes after gzip (DynamoDB items hold at most 400 KB). A policy
// on a user-specific route, or one that keys on Authorization, Cookie or the
// gateway's X-User-* headers, is refused by Policy.Validate, and Do then
// bypasses the cache.
//
// # Freshness
//
// An entry is fresh for the policy's TTL (less when the backend's max-age or
// s-maxage says less) and may then be served for StaleIfError more when the
// backend fails (an error or a 5xx). Expired entries are ignored on read:
// DynamoDB deletes them lazily through the TTL attribute. Answers carry
// X-Cache (HIT, MISS, STALE or BYPASS) and, from the cache, Age.
package cache
