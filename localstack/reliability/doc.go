// Package reliability is the harness of make reliability: it brings up the
// stack of terraform/reliability on the local emulator with services,
// a JWKS endpoint and fault proxies of its own (Up), drives an open-model
// load through API Gateway over HTTPS (Load, Mix), and runs the fault
// matrix (Matrix, RunRows): each row holds a fault for a bounded window,
// judges every answer against what the row allows, then checks
// over-admission against the rate-limit counters, the cached answers, the
// aggregator instances' goroutines and heap, and the recovery time. The
// soak and the report (RELIABILITY.md, an SVG plot) follow. The command is
// localstack/cmd/reliability; tests/reliability runs two rows in make test.
package reliability
