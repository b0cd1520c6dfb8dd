// Package meshproxy holds the end-to-end tests of portico-mesh, the mesh
// for code in any language, with the binary that make builds:
//
//   - as a Lambda extension: a Python function (localstack/polyglot) with
//     the binary in /opt/extensions, under the AWS Lambda Runtime Interface
//     Emulator, calls services discovered in the emulator's Cloud Map
//     through localhost, and gets balanced, retried, mutual-TLS calls;
//   - as a sidecar: a Python order service calls a Node.js payment service
//     (three instances, two versions) through their sidecars, with the
//     payment policy from Cloud Map: canary split, tester route, ejection,
//     and one trace across both hops.
//
// Built only with the e2e tag; they need the emulator (PORTICO_ENDPOINT,
// PORTICO_CA_CERT), the binary (PORTICO_MESH_BIN), the emulator of the
// Lambda runtime (PORTICO_RIE), unshare, python3 and node:
//
//	make e2e   # or, with an emulator running:
//	PORTICO_ENDPOINT=https://localhost:4566 PORTICO_CA_CERT=.portico/tls/ca.pem \
//	PORTICO_MESH_BIN=.portico/build/local/portico-mesh PORTICO_RIE=.tools/bin/aws-lambda-rie \
//	  go test -tags e2e -count=1 -v ./tests/meshproxy/
package meshproxy
