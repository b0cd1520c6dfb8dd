// Package route is Portico's route table: a versioned JSON document (data, not
// code) that says which backend service, or which set of parallel backend
// calls, serves each request. The Terraform provider validates and writes the
// document (resource portico_route_table); the aggregator reads it at cold
// start and refreshes it on an interval through a Store.
//
// # Document
//
//	{
//	  "version": 1,
//	  "revision": "2026-11-25.1",
//	  "routes": [
//	    {"id": "users", "match": {"pathPrefix": "/api/v1/users"},
//	     "service": "user-service", "stripPrefix": "/api/v1"},
//	    {"id": "products", "match": {"pathPrefix": "/api/v1/products", "methods": ["GET"]},
//	     "service": "product-service", "stripPrefix": "/api/v1"},
//	    {"id": "products-fr", "match": {"pathPrefix": "/api/v1/products", "methods": ["GET"],
//	       "headers": [{"name": "Accept-Language", "prefix": "fr"}]},
//	     "service": "french-content-service", "stripPrefix": "/api/v1"},
//	    {"id": "order", "match": {"path": "/api/v1/orders/{id}", "methods": ["GET"]},
//	     "service": "order-service", "stripPrefix": "/api/v1", "timeout": "30s"},
//	    {"id": "users-v2", "match": {"pathPrefix": "/api/v1/users", "version": "2"},
//	     "service": "api-v2-service", "stripPrefix": "/api/v1"},
//	    {"id": "dashboard", "match": {"path": "/user-dashboard"}, "timeout": "5s",
//	     "composite": {"calls": [
//	       {"key": "user", "service": "user-service", "path": "/users/{userId}"},
//	       {"key": "orders", "service": "order-service", "path": "/orders?userId={userId}&limit=5",
//	        "timeout": "2s", "optional": true}]}}
//	  ]
//	}
//
// A route matches on exactly one of pathPrefix (the prefix itself and anything
// below it, on segment boundaries), or path: an exact path, or a parameterised
// one whose segments may be {name} (one whole segment each). methods limits the
// route to those methods (a composite route without methods serves GET only).
// headers are predicates on the first value of a header, compared ASCII
// case-insensitively: "value" for equality, "prefix" for a prefix. version is
// shorthand for a "value" predicate on the document's versionHeader (default
// X-API-Version). A route names either a service, which gets the request with
// stripPrefix removed from the cleaned path, or a composite of calls (see
// Call). timeout bounds the backend call (the whole composite for a
// composite route); the default is DefaultTimeout, and the caller's deadline
// always bounds it too. allowClientRequestId lets a client's X-Request-ID
// through when it is a valid UUID. A route may instead name a gRPC method, or
// the google.api.http annotations of a proto service, with a descriptor set
// (see GRPC); Table.GRPC checks such routes against the sets.
//
// # Precedence
//
// Of the routes whose path, headers and method match a request, the most
// specific wins, compared in this order (the order of the Kubernetes Gateway
// API's HTTPRoute rules):
//
//  1. path kind: exact path, then parameterised path, then prefix;
//  2. within a kind: a longer prefix (more segments) wins; of two
//     parameterised paths, the one with a literal segment where the other has
//     a parameter, at the first position where they differ, wins;
//  3. a route that lists methods beats one that does not;
//  4. more header predicates (version counts as one) win.
//
// Two routes that tie on all four and could match the same request are a
// validation error, so the winner never depends on the order of the routes.
// When routes match the path and headers but none the method, the answer is
// 405 with Allow listing their methods; when none matches, 404.
//
// # Paths
//
// Clean turns the request path into the form routes are matched against and
// stripped from: percent-escapes are decoded once, "." and ".." segments are
// resolved, repeated slashes collapsed and a trailing slash removed. Paths that
// a backend could read differently from the gateway are refused with
// ErrBadPath: escaped separators (%2F, %5C), an escaped '%' (double encoding),
// escaped '?' or '#', ';' path parameters, backslashes, control characters,
// malformed escapes and invalid UTF-8. Matching is case-sensitive: /API/v1 is
// not /api/v1 and reaches no route unless one is declared for it.
//
// # Request rules
//
// A route may cap its request body (maxBodyBytes), allow or deny client
// addresses (ip, CIDR v4 and v6; the document may have its own ip lists for
// every route), change request and response headers (requestHeaders,
// responseHeaders: remove, set, add, and a response allow-list) without ever
// naming a header the gateway owns (package hygiene), and a composite call
// may keep and rename fields of its answer (fields, rename; Shape). See
// rules.go. Table.Explain says, for people, which route serves a request and
// why each other does not.
package route
