package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// The Lambda permissions that let API Gateway invoke Portico's functions.
//
// A function's resource policy decides whether API Gateway may invoke it,
// and API Gateway checks it on every call of the deployment a stage serves.
// So when portico_api moves to another function, the new function is granted
// before the API points at it and the old one is revoked only once no stage
// serves a deployment that still uses it; otherwise the stage answers 500
// in between. The provider works out what to grant and what to revoke from
// the permissions wanted (the plan) and those granted before (the state, and
// revocations an interrupted apply left pending), so that checking for
// permissions removed outside Terraform (drift) can later add to "wanted
// but missing" without changing the order.

// lambdaPermission is one statement of a function's resource policy that lets
// API Gateway invoke the function from one REST API.
type lambdaPermission struct {
	Function    string `json:"function"`
	StatementID string `json:"statementId"`
	SourceARN   string `json:"sourceArn"`
}

// sameStatement reports whether p and o are the same statement (function and
// statement id), whatever its source.
func (p lambdaPermission) sameStatement(o lambdaPermission) bool {
	return p.Function == o.Function && p.StatementID == o.StatementID
}

// apiPermissions are the permissions API apiID needs: one per role.
func apiPermissions(apiID, sourceARN string, functions map[string]string) []lambdaPermission {
	var out []lambdaPermission
	for _, role := range []string{"authorizer", "aggregator"} {
		if fn := functions[role]; fn != "" {
			out = append(out, lambdaPermission{Function: fn, StatementID: statementID(apiID, role), SourceARN: sourceARN})
		}
	}
	return out
}

// permissionChanges returns what to grant (every wanted permission: granting
// one that exists is a no-op, and grants repair any removed outside
// Terraform) and what to revoke (had but no longer wanted), in a stable order.
func permissionChanges(want, had []lambdaPermission) (grant, revoke []lambdaPermission) {
	grant = slices.Clone(want)
	for _, h := range had {
		if slices.ContainsFunc(want, h.sameStatement) || slices.ContainsFunc(revoke, h.sameStatement) {
			continue
		}
		revoke = append(revoke, h)
	}
	return grant, revoke
}

// lambdaPermissionAPI is the part of the Lambda client that manages
// resource policies; *lambda.Client implements it.
type lambdaPermissionAPI interface {
	AddPermission(ctx context.Context, in *lambda.AddPermissionInput, opts ...func(*lambda.Options)) (*lambda.AddPermissionOutput, error)
	RemovePermission(ctx context.Context, in *lambda.RemovePermissionInput, opts ...func(*lambda.Options)) (*lambda.RemovePermissionOutput, error)
	GetPolicy(ctx context.Context, in *lambda.GetPolicyInput, opts ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
}

var _ lambdaPermissionAPI = (*lambda.Client)(nil)

// grantPermission adds p. A statement that already exists with the same
// grant is success; one with another grant (another source) is replaced.
// Changes Lambda refuses while another is in progress are retried until ctx
// ends.
func grantPermission(ctx context.Context, api lambdaPermissionAPI, p lambdaPermission) error {
	tflog.Debug(ctx, "granting Lambda permission", map[string]any{"function": p.Function, "statement_id": p.StatementID})
	add := func(ctx context.Context) error {
		_, err := api.AddPermission(ctx, &lambda.AddPermissionInput{
			FunctionName: aws.String(p.Function),
			StatementId:  aws.String(p.StatementID),
			Action:       aws.String("lambda:InvokeFunction"),
			Principal:    aws.String(apigatewayService),
			SourceArn:    aws.String(p.SourceARN),
		})
		return err
	}
	err := retryCall(ctx, "Lambda to accept a permission on "+p.Function, add, lambdaBusy)
	if err == nil || !hasErrorCode(err, "ResourceConflictException") {
		return wrapPermissionError("allow API Gateway to invoke", p, err)
	}
	// The statement id is taken: keep it if it grants the same.
	same, err := hasStatement(ctx, api, p)
	if err != nil {
		return wrapPermissionError("read the resource policy of", p, err)
	}
	if same {
		return nil
	}
	tflog.Info(ctx, "replacing a Lambda permission with another grant", map[string]any{"function": p.Function, "statement_id": p.StatementID})
	if err := revokePermission(ctx, api, p); err != nil {
		return err
	}
	return wrapPermissionError("allow API Gateway to invoke", p, retryCall(ctx, "Lambda to accept a permission on "+p.Function, add, lambdaBusy))
}

func wrapPermissionError(action string, p lambdaPermission, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s (statement %s): %w", action, p.Function, p.StatementID, err)
}

// revokePermission removes p; a missing function or statement is fine.
func revokePermission(ctx context.Context, api lambdaPermissionAPI, p lambdaPermission) error {
	if p.Function == "" {
		return nil
	}
	tflog.Debug(ctx, "revoking Lambda permission", map[string]any{"function": p.Function, "statement_id": p.StatementID})
	err := retryCall(ctx, "Lambda to accept a permission change on "+p.Function, func(ctx context.Context) error {
		_, err := api.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(p.Function), StatementId: aws.String(p.StatementID)})
		return err
	}, lambdaBusy)
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("remove permission %s from %s: %w", p.StatementID, p.Function, err)
	}
	return nil
}

// policyStatement is the part of a resource policy statement the provider
// compares.
type policyStatement struct {
	Sid       string          `json:"Sid"`
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    json.RawMessage `json:"Action"`
	Condition json.RawMessage `json:"Condition"`
}

// hasStatement reports whether the function's resource policy has p's
// statement granting API Gateway the invocation from p's source.
func hasStatement(ctx context.Context, api lambdaPermissionAPI, p lambdaPermission) (bool, error) {
	out, err := api.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(p.Function)})
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var policy struct {
		Statement []policyStatement `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &policy); err != nil {
		return false, fmt.Errorf("resource policy is not JSON: %w", err)
	}
	for _, s := range policy.Statement {
		if s.Sid != p.StatementID {
			continue
		}
		return s.Effect == "Allow" && strings.Contains(string(s.Principal), apigatewayService) &&
			strings.Contains(string(s.Action), "lambda:InvokeFunction") && strings.Contains(string(s.Condition), p.SourceARN), nil
	}
	return false, nil
}
