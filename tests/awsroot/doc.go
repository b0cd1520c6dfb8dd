// Package awsroot applies terraform/aws, the real-AWS root module, to the
// emulator, with the host's Lambda zips instead of arm64 ones: the route table
// from routes.json and the limits document load, a request crosses the
// authorizer and the aggregator to a service registered in the root's Cloud
// Map namespace, the plan is empty afterwards and destroy leaves nothing. The
// provider block of that root takes no endpoint: AWS_ENDPOINT_URL and
// AWS_CA_BUNDLE in Terraform's environment point it at the emulator, as they
// would point it anywhere else. Built only with the e2e tag; run by make test.
package awsroot
