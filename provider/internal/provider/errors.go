package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// notFoundCodes are the AWS error codes that mean "the resource does not exist",
// across the services the provider uses.
var notFoundCodes = map[string]bool{
	"ResourceNotFoundException": true, // DynamoDB, Lambda
	"NotFoundException":         true, // API Gateway
	"NamespaceNotFound":         true, // Cloud Map
	"ServiceNotFound":           true, // Cloud Map
	"InstanceNotFound":          true, // Cloud Map
	"OperationNotFound":         true, // Cloud Map
	"NoSuchEntity":              true, // IAM
}

// isNotFound reports whether err is an AWS error saying the resource is gone.
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && notFoundCodes[apiErr.ErrorCode()]
}

// hasErrorCode reports whether err is an AWS error with the given code.
func hasErrorCode(err error, code string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == code
}

// awsMessage is the part of err a person needs: the provider's own context
// (which step failed) followed by "Code: message" for an AWS error, without the
// SDK's operation, status and request id noise; the error text otherwise
// (network errors, timeouts).
func awsMessage(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return err.Error()
	}
	msg := apiErr.ErrorCode()
	if m := apiErr.ErrorMessage(); m != "" {
		msg += ": " + m
	}
	// Keep the context the provider wrapped around the SDK's error.
	var opErr *smithy.OperationError
	if errors.As(err, &opErr) {
		return strings.TrimSuffix(err.Error(), opErr.Error()) + msg
	}
	return msg
}

// addAWSError adds a diagnostic for a failed AWS call: action is a verb
// ("create"), kind the resource kind ("DynamoDB table"), name its name or id.
func addAWSError(diags *diag.Diagnostics, action, kind, name string, err error) {
	summary, detail := awsErrorText(action, kind, name, err)
	diags.AddError(summary, detail)
}

// awsErrorText is the summary and detail that addAWSError reports.
func awsErrorText(action, kind, name string, err error) (summary, detail string) {
	summary = fmt.Sprintf("Cannot %s %s", action, kind)
	detail = fmt.Sprintf("Could not %s %s %q: %s", action, kind, name, awsMessage(err))
	return summary, detail
}
