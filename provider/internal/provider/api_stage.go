package provider

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	apigwtypes "github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// The stage settings of portico_api users expect on day one: an access log
// in a log group the provider manages, throttling as a first wall in front
// of the aggregator's DynamoDB limits, and X-Ray tracing. Stage settings
// take effect at once, without a deployment.

// accessLogModel is portico_api's access_log.
type accessLogModel struct {
	RetentionDays     types.Int64  `tfsdk:"retention_days"`
	CloudWatchRoleARN types.String `tfsdk:"cloudwatch_role_arn"`
}

// throttlingModel is portico_api's throttling.
type throttlingModel struct {
	RateLimit  types.Float64 `tfsdk:"rate_limit"`
	BurstLimit types.Int64   `tfsdk:"burst_limit"`
}

// accessLogFormat is the stage's access log line: one JSON object per
// request with what an operator needs to follow a request from API Gateway
// into the aggregator's own log (its xRequestId is the integration's
// X-Request-Id answer header, its amznTraceId the X-Ray trace).
const accessLogFormat = `{"requestId":"$context.requestId","extendedRequestId":"$context.extendedRequestId",` +
	`"ip":"$context.identity.sourceIp","userAgent":"$context.identity.userAgent","requestTime":"$context.requestTime",` +
	`"httpMethod":"$context.httpMethod","path":"$context.path","resourcePath":"$context.resourcePath",` +
	`"status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength",` +
	`"responseLatency":"$context.responseLatency","principalId":"$context.authorizer.principalId",` +
	`"authorizerStatus":"$context.authorizer.status","authorizerLatency":"$context.authorizer.latency",` +
	`"authorizerError":"$context.authorizer.error","integrationStatus":"$context.integration.status",` +
	`"integrationLatency":"$context.integration.latency","integrationError":"$context.integration.error",` +
	`"errorType":"$context.error.responseType","xrayTraceId":"$context.xrayTraceId"}`

// accessLogGroup is the log group of a stage's access log.
func accessLogGroup(apiID, stage string) string {
	return fmt.Sprintf("/aws/apigateway/%s/%s/access", apiID, stage)
}

// allMethods is the method-settings key of every resource and method.
const allMethods = "*/*"

// stageSchema is the schema of the stage settings.
func stageSchema() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"access_log": schema.SingleNestedAttribute{
			MarkdownDescription: "Access logging on the stage: one JSON line per request (request id, source IP, method, " +
				"path, status, response latency, the authorizer's status, latency and error, the integration's status, latency " +
				"and error, the X-Ray trace id) in the log group `/aws/apigateway/<id>/<stage>/access`, which the provider " +
				"creates with a retention and the API's tags. API Gateway writes it with the region's account-level CloudWatch " +
				"Logs role: give `cloudwatch_role_arn` (a `portico_lambda_role` with `service = \"apigateway.amazonaws.com\"`) " +
				"to set it, once per account and region. Logging turned off or redirected outside Terraform shows in the plan.",
			Optional: true,
			Attributes: map[string]schema.Attribute{
				"retention_days": schema.Int64Attribute{
					MarkdownDescription: "Days the access log group keeps its logs, one of " + logRetentionList() + ". Defaults to " +
						fmt.Sprint(defaultLogRetentionDays) + ".",
					Optional:   true,
					Computed:   true,
					Default:    int64default.StaticInt64(defaultLogRetentionDays),
					Validators: []validator.Int64{logRetentionValidator()},
				},
				"cloudwatch_role_arn": schema.StringAttribute{
					MarkdownDescription: "ARN of the role API Gateway assumes to write CloudWatch logs in this account and region " +
						"(API Gateway's account setting `cloudwatchRoleArn`, which every API of the region shares). Without it the " +
						"setting must already be there, or API Gateway refuses the access log.",
					Optional:   true,
					Validators: []validator.String{roleARNValidator},
				},
			},
		},
		"access_log_group_name": schema.StringAttribute{
			MarkdownDescription: "Name of the stage's access log group (null without `access_log`).",
			Computed:            true,
		},
		"throttling": schema.SingleNestedAttribute{
			MarkdownDescription: "Stage throttling for every method: API Gateway answers 429 itself beyond it, before the " +
				"authorizer and the aggregator run, so it is the first wall in front of Portico's own rate limits (which cost " +
				"DynamoDB calls). Changed outside Terraform, it shows in the plan.",
			Optional: true,
			Attributes: map[string]schema.Attribute{
				"rate_limit": schema.Float64Attribute{
					MarkdownDescription: "Steady-state requests per second.",
					Required:            true,
					Validators:          []validator.Float64{float64validator.AtLeast(0)},
				},
				"burst_limit": schema.Int64Attribute{
					MarkdownDescription: "Requests allowed at once above the rate (the token bucket's size).",
					Required:            true,
					Validators:          []validator.Int64{int64validator.AtLeast(0)},
				},
			},
		},
	}
}

// stagePatch is the UpdateStage patch that makes the stage's settings
// those of data from what cur has; logARN is the access log group's ARN
// (with access_log).
func stagePatch(ctx context.Context, data *APIResourceModel, cur *apigateway.GetStageOutput, logARN string) []apigwtypes.PatchOperation {
	accessLog, throttling := data.accessLogCfg(ctx), data.throttlingCfg(ctx)
	var ops []apigwtypes.PatchOperation
	replace := func(path, value string) {
		ops = append(ops, apigwtypes.PatchOperation{Op: apigwtypes.OpReplace, Path: aws.String(path), Value: aws.String(value)})
	}
	if want := data.Tracing.ValueBool(); want != cur.TracingEnabled {
		replace("/tracingEnabled", strconv.FormatBool(want))
	}
	var curDest, curFormat string
	if cur.AccessLogSettings != nil {
		curDest, curFormat = aws.ToString(cur.AccessLogSettings.DestinationArn), aws.ToString(cur.AccessLogSettings.Format)
	}
	switch {
	case accessLog != nil:
		if curDest != logARN {
			replace("/accessLogSettings/destinationArn", logARN)
		}
		if curFormat != accessLogFormat {
			replace("/accessLogSettings/format", accessLogFormat)
		}
	case curDest != "":
		ops = append(ops, apigwtypes.PatchOperation{Op: apigwtypes.OpRemove, Path: aws.String("/accessLogSettings")})
	}
	ms, has := cur.MethodSettings[allMethods]
	switch {
	case throttling != nil:
		rate, burst := throttling.RateLimit.ValueFloat64(), throttling.BurstLimit.ValueInt64()
		if !has || ms.ThrottlingRateLimit != rate {
			replace("/"+allMethods+"/throttling/rateLimit", strconv.FormatFloat(rate, 'f', -1, 64))
		}
		if !has || int64(ms.ThrottlingBurstLimit) != burst {
			replace("/"+allMethods+"/throttling/burstLimit", strconv.FormatInt(burst, 10))
		}
	case has && (ms.ThrottlingRateLimit != 0 || ms.ThrottlingBurstLimit != 0):
		ops = append(ops, apigwtypes.PatchOperation{Op: apigwtypes.OpRemove, Path: aws.String("/" + allMethods)})
	}
	return ops
}

// configureStage makes the stage's access log, throttling, tracing and tags
// those of data; a stage that does not exist (no stage_name) has none.
func (r *APIResource) configureStage(ctx context.Context, data *APIResourceModel, tags map[string]string) error {
	data.AccessLogGroupName = types.StringNull()
	if data.StageName.IsNull() {
		return nil
	}
	apiID, stage := data.ID.ValueString(), data.StageName.ValueString()
	cur, err := r.gw.GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage)})
	if err != nil {
		return fmt.Errorf("get stage %s: %w", stage, err)
	}
	var logARN string
	if accessLog := data.accessLogCfg(ctx); accessLog != nil {
		if r.logs == nil {
			return fmt.Errorf("access_log needs CloudWatch Logs, which this provider configuration has no client for")
		}
		if role := accessLog.CloudWatchRoleARN.ValueString(); role != "" {
			if err := r.setAccountRole(ctx, role); err != nil {
				return err
			}
		}
		var tagger tagger
		if r.logTags != nil {
			tagger = r.logTags
		}
		lg, err := ensureLogGroup(ctx, r.logs, tagger, accessLogGroup(apiID, stage), accessLog.RetentionDays.ValueInt64(), tags)
		if err != nil {
			return err
		}
		logARN = lg.ARN
		data.AccessLogGroupName = types.StringValue(lg.Name)
	}
	if ops := stagePatch(ctx, data, cur, logARN); len(ops) > 0 {
		tflog.Info(ctx, "updating stage settings", map[string]any{"api_id": apiID, "stage": stage, "operations": len(ops)})
		if _, err := r.gw.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(apiID), StageName: aws.String(stage), PatchOperations: ops}); err != nil {
			return fmt.Errorf("update stage %s settings: %w", stage, err)
		}
	}
	if r.tagsAPI != nil && !data.attached() {
		// GetTags, not the stage's own tags field: TagResource is what
		// tags a stage after its creation.
		arn := r.stageARN(apiID, stage)
		have, err := (apigwTags{r.tagsAPI}).listTags(ctx, arn)
		if err == nil {
			err = syncTags(ctx, apigwTags{r.tagsAPI}, arn, have, tags)
		}
		if err != nil {
			return fmt.Errorf("tag stage %s: %w", stage, err)
		}
	}
	return nil
}

// dropStageLog deletes the access log group of a stage that no longer logs.
func (r *APIResource) dropStageLog(ctx context.Context, name types.String) error {
	if name.IsNull() || name.ValueString() == "" || r.logs == nil {
		return nil
	}
	return deleteLogGroup(ctx, r.logs, name.ValueString())
}

// setAccountRole sets API Gateway's account-level CloudWatch Logs role of
// the region, when it is not that already.
func (r *APIResource) setAccountRole(ctx context.Context, role string) error {
	if r.account == nil {
		return fmt.Errorf("access_log.cloudwatch_role_arn needs the API Gateway account settings, which this provider configuration has no client for")
	}
	cur, err := r.account.GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil {
		return fmt.Errorf("get API Gateway account settings: %w", err)
	}
	if aws.ToString(cur.CloudwatchRoleArn) == role {
		return nil
	}
	tflog.Info(ctx, "setting API Gateway's account CloudWatch Logs role", map[string]any{"role": role})
	// A role created in the same apply may not be visible to API Gateway yet.
	return retryCall(ctx, "API Gateway to accept the CloudWatch Logs role "+role, func(ctx context.Context) error {
		_, err := r.account.UpdateAccount(ctx, &apigateway.UpdateAccountInput{PatchOperations: []apigwtypes.PatchOperation{
			{Op: apigwtypes.OpReplace, Path: aws.String("/cloudwatchRoleArn"), Value: aws.String(role)},
		}})
		return err
	}, func(err error) bool { return hasErrorCode(err, "BadRequestException") })
}

// stageARN is the ARN API Gateway tags a stage by.
func (r *APIResource) stageARN(apiID, stage string) string {
	return apigwARN(r.partition(), r.region, "/restapis/"+apiID+"/stages/"+stage)
}

// restAPIARN is the ARN API Gateway tags a REST API by.
func (r *APIResource) restAPIARN(apiID string) string {
	return apigwARN(r.partition(), r.region, "/restapis/"+apiID)
}

// partition is the AWS partition of the provider's region.
func (r *APIResource) partition() string {
	switch {
	case len(r.region) > 3 && r.region[:3] == "cn-":
		return "aws-cn"
	case len(r.region) > 7 && r.region[:7] == "us-gov-":
		return "aws-us-gov"
	}
	return "aws"
}

// readStageSettings refreshes the stage settings of data from the stage
// cur, adding a repair reason for what the attributes cannot show.
func (r *APIResource) readStageSettings(ctx context.Context, data *APIResourceModel, cur *apigateway.GetStageOutput, repair *[]string) error {
	apiID, stage := data.ID.ValueString(), data.StageName.ValueString()
	data.Tracing = types.BoolValue(cur.TracingEnabled)
	var throttling *throttlingModel
	if ms, ok := cur.MethodSettings[allMethods]; ok && (ms.ThrottlingRateLimit != 0 || ms.ThrottlingBurstLimit != 0) {
		throttling = &throttlingModel{RateLimit: types.Float64Value(ms.ThrottlingRateLimit), BurstLimit: types.Int64Value(int64(ms.ThrottlingBurstLimit))}
	}
	data.Throttling = objectOf(ctx, throttlingAttrTypes, throttling)
	dest := ""
	if cur.AccessLogSettings != nil {
		dest = aws.ToString(cur.AccessLogSettings.DestinationArn)
	}
	data.AccessLogGroupName = types.StringNull()
	switch {
	case dest == "":
		// Logging off: the plan turns it on again if configured.
		data.AccessLog = types.ObjectNull(accessLogAttrTypes)
	case r.logs != nil:
		name := accessLogGroup(apiID, stage)
		lg, found, err := readLogGroup(ctx, r.logs, name)
		if err != nil {
			return err
		}
		if !found || lg.ARN != dest {
			*repair = append(*repair, fmt.Sprintf("the access log of stage %s goes to %s, not to the log group %s", stage, dest, name))
			break
		}
		data.AccessLogGroupName = types.StringValue(name)
		accessLog := data.accessLogCfg(ctx)
		if accessLog == nil {
			accessLog = &accessLogModel{CloudWatchRoleARN: types.StringNull()}
		}
		accessLog.RetentionDays = types.Int64Value(lg.RetentionDays)
		data.AccessLog = objectOf(ctx, accessLogAttrTypes, accessLog)
		if cur.AccessLogSettings.Format == nil || aws.ToString(cur.AccessLogSettings.Format) != accessLogFormat {
			*repair = append(*repair, fmt.Sprintf("the access log format of stage %s was changed", stage))
		}
	}
	return nil
}
