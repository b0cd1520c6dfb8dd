// Package reliability holds the quick version, run by make test, of the
// fault matrix that make reliability runs in full (localstack/reliability):
// two rows through the running stack, checking the figures that must not
// regress (over-admission against the counters, lost requests, recovery
// time).
package reliability
