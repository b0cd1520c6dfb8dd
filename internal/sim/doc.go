// Package sim runs Portico's rate limiter and mesh discovery at a scale these
// machines cannot reach, on simulated time: the real code (pkg/ratelimit and
// its DynamoDB store, pkg/mesh with its Cloud Map discoverer and the shared
// discovery of pkg/mesh/dynamo) against models of DynamoDB (per-partition-key
// write capacity, throttling with ProvisionedThroughputExceededException) and
// Cloud Map (the account's discovery throttle, RequestLimitExceeded), each
// client behind the AWS SDK's own standard retryer.
//
// RunLimits is the global limit across a fleet of function instances;
// RunStampede is a fleet starting at once and discovering its services. Both
// use the time package's clock: run them inside a testing/synctest bubble,
// where time advances only when every goroutine waits, and a minute of
// simulated traffic takes a second or so. Outside a bubble they run in real
// time.
//
// RELIABILITY.md states the models' assumptions and has the full runs (make
// reliability, TestReport); figures_test.go has quick versions of the
// figures that must not regress, run by make test.
package sim
