// Package config is the aggregator's live configuration: the control
// documents the Terraform provider writes to the state table (package
// statetable), loaded together, validated together, and swapped in as one
// immutable Snapshot by a live.Watch (package config/live).
//
// A Snapshot holds the route table with its permissions, the rate limits, a
// transcoder per gRPC route, and the traffic policy of every service the
// routes call. A request reads the snapshot once and uses it to the end, so a
// route can never be paired with another table's transcoder or policy.
// A Builder makes snapshots from the documents; Policies serves a Watch's
// policies to the mesh client.
//
// Package config/dynamo reads the state table with the AWS SDK;
// config/dynamohttp reads it with a signed HTTP client, for the authorizer,
// whose settings document is watched the same way.
package config
