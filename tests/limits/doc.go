// Package limits holds the end-to-end tests of the rate limiter's and the
// response cache's DynamoDB stores. They are built only with the e2e tag and
// need nothing but a DynamoDB endpoint (PORTICO_ENDPOINT, plus PORTICO_CA_CERT
// for an emulator with a local CA): each test creates its own table and
// deletes it afterwards, independent of the Terraform stack in package tests.
//
//	PORTICO_ENDPOINT=https://localhost:4566 PORTICO_CA_CERT=.portico/tls/ca.pem \
//	  go test -tags e2e -count=1 -v ./tests/limits/
package limits
