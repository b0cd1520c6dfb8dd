package provider

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
)

func TestOperationDone(t *testing.T) {
	tests := []struct {
		name        string
		op          sdtypes.Operation
		wantDone    bool
		wantErr     string
		wantTargets map[string]string
	}{
		{name: "submitted", op: sdtypes.Operation{Status: sdtypes.OperationStatusSubmitted}},
		{name: "pending", op: sdtypes.Operation{Status: sdtypes.OperationStatusPending}},
		{
			name: "success",
			op: sdtypes.Operation{Status: sdtypes.OperationStatusSuccess,
				Targets: map[string]string{"NAMESPACE": "ns-123"}},
			wantDone:    true,
			wantTargets: map[string]string{"NAMESPACE": "ns-123"},
		},
		{
			name: "fail",
			op: sdtypes.Operation{Id: aws.String("op-1"), Status: sdtypes.OperationStatusFail,
				ErrorCode: aws.String("CANNOT_CREATE_HOSTED_ZONE"), ErrorMessage: aws.String("quota exceeded")},
			wantErr: "operation op-1 failed: CANNOT_CREATE_HOSTED_ZONE: quota exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var targets map[string]string
			done, err := operationDone(&tt.op, &targets)
			if done != tt.wantDone {
				t.Errorf("done: got %v, want %v", done, tt.wantDone)
			}
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error: got %v, want %q", err, tt.wantErr)
			}
			if got, want := targets["NAMESPACE"], tt.wantTargets["NAMESPACE"]; got != want {
				t.Errorf("NAMESPACE target: got %q, want %q", got, want)
			}
		})
	}
}
