// Package cli is the portico command: main calls Run. Its commands read the
// documents users write, with the parsers the functions and the Terraform
// provider use, so that what the command accepts is what the gateway
// accepts:
//
//	portico check routes.json limits.json auth.json payments=payments.binpb
//	portico explain --routes routes.json --limits limits.json GET /api/v1/users/123 -H 'X-API-Version: 2'
//	portico openapi --routes routes.json --descriptors payments.binpb > openapi.json
//	portico usage --table portico-state --by tenant --from 2026-01-01
//	portico keys --table portico-state
//
// check, explain and openapi work offline; usage and keys read a deployed
// state table with the AWS SDK's default credentials (AWS_ENDPOINT_URL
// points them at an emulator).
package cli
