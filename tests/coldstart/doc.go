// Package coldstart measures the aggregator as Lambda runs it, under the
// AWS Lambda Runtime Interface Emulator (aws-lambda-rie) against the local
// emulator, beside a bare Go function (barefn) that only answers, in the
// same run (see BENCHMARKS.md, "Cold start and warm cost"):
//
//   - BenchmarkColdStart: a fresh execution environment per variant and
//     round, from starting the emulator to the first answer; the AWS calls
//     the aggregator makes on the way, counted and timed by a proxy in front
//     of the emulator, split at the runtime's INVOKE START;
//   - BenchmarkWarm: 10,000 requests to a warm aggregator under the RIE and
//     to the same handler in process, in alternating blocks, p50 and p99.
//
// Both need the emulator and the RIE (make bench-lambda starts them):
//
//	go test -tags e2e -run '^$' -bench . -benchtime 1x ./tests/coldstart/
package coldstart
