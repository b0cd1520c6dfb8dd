// Package config is the functions' live configuration: the control documents
// the Terraform provider writes to the state table (package statetable),
// loaded together, validated together, and swapped in as one immutable value.
//
// A Watch keeps the current value. Every Refresh it makes one small read, the
// revision item that the provider bumps on every configuration write; only
// when the revision moved does it read the documents again (one BatchGetItem,
// and a second for the items the route table names) and build a new value. A
// set of documents that cannot be read or does not validate never replaces
// the value in use: the Watch keeps the last good one and logs why, once per
// revision. Until a first value is built, it tries again at most once per
// ColdRetry.
//
// The aggregator's value is a Snapshot: the route table with its permissions,
// the rate limits, a transcoder per gRPC route, and the traffic policy of
// every service the routes call. A request reads the snapshot once and uses
// it to the end, so a route can never be paired with another table's
// transcoder or policy. The authorizer's value is its settings document.
//
// Package config/dynamo reads the state table; Memory holds documents in
// memory, for tests and examples.
package config
