package provider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// operationAPI is the part of the Cloud Map client that waitOperation uses.
type operationAPI interface {
	GetOperation(ctx context.Context, in *servicediscovery.GetOperationInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.GetOperationOutput, error)
}

// waitOperation polls a Cloud Map operation until it succeeds, fails or ctx
// ends, and returns its targets (for example "NAMESPACE": id).
func waitOperation(ctx context.Context, sd operationAPI, operationID string) (map[string]string, error) {
	var targets map[string]string
	err := poll(ctx, "Cloud Map operation "+operationID, func(ctx context.Context) (bool, error) {
		out, err := sd.GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: aws.String(operationID)})
		if err != nil {
			return false, fmt.Errorf("get operation %s: %w", operationID, err)
		}
		op := out.Operation
		tflog.Debug(ctx, "Cloud Map operation", map[string]any{"id": operationID, "status": string(op.Status)})
		return operationDone(op, &targets)
	})
	return targets, err
}

// operationDone reports whether op has finished, storing its targets; a failed
// operation is an error carrying Cloud Map's message.
func operationDone(op *sdtypes.Operation, targets *map[string]string) (bool, error) {
	switch op.Status {
	case sdtypes.OperationStatusSuccess:
		*targets = make(map[string]string, len(op.Targets))
		for k, v := range op.Targets {
			(*targets)[string(k)] = v
		}
		return true, nil
	case sdtypes.OperationStatusFail:
		return false, fmt.Errorf("operation %s failed: %s: %s",
			aws.ToString(op.Id), aws.ToString(op.ErrorCode), aws.ToString(op.ErrorMessage))
	default:
		return false, nil
	}
}
