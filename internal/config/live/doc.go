// Package live keeps a value built from configuration documents current, for
// any function that follows the state table: the aggregator's Snapshot
// (package config) and the authorizer's settings.
//
// A Watch keeps the current value. Every Refresh it makes one small read, the
// revision item that the provider bumps on every configuration write; only
// when the revision moved does it read the documents again and build a new
// value. A set of documents that cannot be read or does not validate never
// replaces the value in use: the Watch keeps the last good one and logs why,
// once per revision. Until a first value is built, it tries again at most
// once per ColdRetry. A replaced value that holds resources (a Releaser) is
// released a Grace later, when no request can still be using it.
//
// The package imports nothing of Portico's, so that a small function can
// watch its settings without the gateway's dependencies. Memory holds
// documents in memory, for tests and examples.
package live
