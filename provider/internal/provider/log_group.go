package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Log groups the provider creates for what it deploys (a function's
// /aws/lambda/<name>, a stage's access log), so that they exist before
// anything writes to them and keep their logs for a set time: left to
// Lambda, a function's log group is created on first use and never expires.

// logRetentionDays are the retention periods CloudWatch Logs accepts.
var logRetentionDays = []int64{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// defaultLogRetentionDays is the retention of the log groups the provider creates.
const defaultLogRetentionDays = 30

// logRetentionValidator accepts the retention periods CloudWatch Logs accepts.
func logRetentionValidator() validator.Int64 {
	return int64validator.OneOf(logRetentionDays...)
}

// logRetentionList is logRetentionDays for descriptions.
func logRetentionList() string {
	s := make([]string, len(logRetentionDays))
	for i, d := range logRetentionDays {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, ", ")
}

// logGroup is a log group as the provider manages it.
type logGroup struct {
	Name          string
	ARN           string // without the trailing :*
	RetentionDays int64  // 0: never expires
}

// logsAPI is the part of the CloudWatch Logs client that manages log groups.
type logsAPI interface {
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	DeleteLogGroup(ctx context.Context, in *cloudwatchlogs.DeleteLogGroupInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteLogGroupOutput, error)
	DescribeLogGroups(ctx context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	PutRetentionPolicy(ctx context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
}

var _ logsAPI = (*cloudwatchlogs.Client)(nil)

// ensureLogGroup creates the log group name (or adopts it when it exists:
// Lambda may have made it on a first invocation) with its retention and
// tags, and returns it.
func ensureLogGroup(ctx context.Context, api logsAPI, tags tagger, name string, retention int64, wantTags map[string]string) (logGroup, error) {
	tflog.Info(ctx, "creating log group", map[string]any{"name": name, "retention_days": retention})
	_, err := api.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name), Tags: nonEmpty(wantTags)})
	if err != nil && !hasErrorCode(err, "ResourceAlreadyExistsException") {
		return logGroup{}, fmt.Errorf("create log group %s: %w", name, err)
	}
	adopted := err != nil
	if _, err := api.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{
		LogGroupName: aws.String(name), RetentionInDays: aws.Int32(int32(retention)),
	}); err != nil {
		return logGroup{}, fmt.Errorf("set the retention of log group %s: %w", name, err)
	}
	lg, found, err := readLogGroup(ctx, api, name)
	if err != nil {
		return logGroup{}, err
	}
	if !found {
		return logGroup{}, fmt.Errorf("log group %s disappeared after it was created", name)
	}
	if adopted && tags != nil {
		have, err := tags.listTags(ctx, lg.ARN)
		if err != nil {
			return logGroup{}, fmt.Errorf("read the tags of log group %s: %w", name, err)
		}
		if err := syncTags(ctx, tags, lg.ARN, have, wantTags); err != nil {
			return logGroup{}, fmt.Errorf("tag log group %s: %w", name, err)
		}
	}
	return lg, nil
}

// nonEmpty is m, or nil when it is empty (CreateLogGroup refuses an empty map).
func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// readLogGroup finds the log group called name.
func readLogGroup(ctx context.Context, api logsAPI, name string) (logGroup, bool, error) {
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(name)}
	for {
		out, err := api.DescribeLogGroups(ctx, in)
		if err != nil {
			return logGroup{}, false, fmt.Errorf("describe log group %s: %w", name, err)
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) != name {
				continue
			}
			arn := aws.ToString(g.LogGroupArn)
			if arn == "" {
				arn = strings.TrimSuffix(aws.ToString(g.Arn), ":*")
			}
			return logGroup{Name: name, ARN: arn, RetentionDays: int64(aws.ToInt32(g.RetentionInDays))}, true, nil
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(in.NextToken) {
			return logGroup{}, false, nil
		}
		in.NextToken = out.NextToken
	}
}

// deleteLogGroup deletes the log group name; a missing one is fine.
func deleteLogGroup(ctx context.Context, api logsAPI, name string) error {
	tflog.Info(ctx, "deleting log group", map[string]any{"name": name})
	_, err := api.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("delete log group %s: %w", name, err)
	}
	return nil
}

// validRetention reports whether CloudWatch Logs accepts days.
func validRetention(days int64) bool { return slices.Contains(logRetentionDays, days) }
