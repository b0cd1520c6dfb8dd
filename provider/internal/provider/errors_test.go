package provider

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

func TestIsNotFound(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
		{"dynamodb", &smithy.GenericAPIError{Code: "ResourceNotFoundException"}, true},
		{"apigateway", &smithy.GenericAPIError{Code: "NotFoundException"}, true},
		{"cloudmap namespace", &smithy.GenericAPIError{Code: "NamespaceNotFound"}, true},
		{"cloudmap instance", &smithy.GenericAPIError{Code: "InstanceNotFound"}, true},
		{"wrapped", fmt.Errorf("get stage: %w", &smithy.GenericAPIError{Code: "NotFoundException"}), true},
		{"other code", &smithy.GenericAPIError{Code: "AccessDeniedException"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isNotFound(tt.err); got != tt.want {
				t.Errorf("isNotFound(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestAWSErrorText(t *testing.T) {
	tests := []struct {
		err         error
		wantSummary string
		wantDetail  string
	}{
		{
			&smithy.GenericAPIError{Code: "ResourceInUseException", Message: "Table already exists: routes"},
			"Cannot create DynamoDB table",
			`Could not create DynamoDB table "routes": ResourceInUseException: Table already exists: routes`,
		},
		{
			fmt.Errorf("wait: %w", &smithy.GenericAPIError{Code: "ThrottlingException"}),
			"Cannot create DynamoDB table",
			`Could not create DynamoDB table "routes": ThrottlingException`,
		},
		{
			fmt.Errorf("enable TTL: %w", &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "UpdateTimeToLive",
				Err: fmt.Errorf("https response error StatusCode: 400, RequestID: 1, %w",
					&smithy.GenericAPIError{Code: "ValidationException", Message: "TimeToLive is already enabled"})}),
			"Cannot create DynamoDB table",
			`Could not create DynamoDB table "routes": enable TTL: ValidationException: TimeToLive is already enabled`,
		},
		{
			errors.New("dial tcp: connection refused"),
			"Cannot create DynamoDB table",
			`Could not create DynamoDB table "routes": dial tcp: connection refused`,
		},
	}
	for _, tt := range tests {
		summary, detail := awsErrorText("create", "DynamoDB table", "routes", tt.err)
		if summary != tt.wantSummary {
			t.Errorf("summary: got %q, want %q", summary, tt.wantSummary)
		}
		if detail != tt.wantDetail {
			t.Errorf("detail: got %q, want %q", detail, tt.wantDetail)
		}
	}
	var diags diag.Diagnostics
	addAWSError(&diags, "delete", "REST API", "abc", errors.New("x"))
	if len(diags) != 1 || diags[0].Severity() != diag.SeverityError {
		t.Errorf("addAWSError: got %v, want one error", diags)
	}
}
