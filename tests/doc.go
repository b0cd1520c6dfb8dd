// Package tests holds Portico's end-to-end tests. They are built only with the
// e2e tag and run by `make test`, which starts the emulator first:
//
//	go test -tags e2e ./tests/...
//
// The tests depend only on the emulator's endpoint URL (PORTICO_ENDPOINT, plus
// PORTICO_CA_CERT when it serves a local CA's certificate): they start the demo
// services in-process, apply terraform/local with their own name and state,
// call the API over HTTPS, and destroy everything at the end.
package tests
