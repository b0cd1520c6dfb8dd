// Package mesh holds the end-to-end tests of the service mesh: the demo
// services order → payment (v1 and v2) → fraud → bank (package
// localstack/meshdemo) call each other over mutual TLS through the mesh
// client, discovered in a Cloud Map namespace that each test creates and
// deletes, with payment's canary policy read from Cloud Map and X-Ray
// segments captured on a local UDP port. Built only with the e2e tag; they
// need nothing but Cloud Map (PORTICO_ENDPOINT, plus PORTICO_CA_CERT for an
// emulator with a local CA):
//
//	PORTICO_ENDPOINT=https://localhost:4566 PORTICO_CA_CERT=.portico/tls/ca.pem \
//	  go test -tags e2e -count=1 -v ./tests/mesh/
package mesh
