// Package provider implements the Portico Terraform provider: the DynamoDB
// tables, Lambda functions, API Gateway REST API and Cloud Map registry that a
// Portico gateway runs on. The provider reaches AWS, or a LocalStack-compatible
// emulator, through internal/awsconfig.
package provider
