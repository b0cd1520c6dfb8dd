package provider

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Tags, as users of the hashicorp/aws provider know them: tags is what the
// configuration gives, tags_all what the resource has, the provider's
// default_tags merged in (a resource's own tags win). Both are read back, so
// a tag changed, added or removed outside Terraform shows in the plan and
// the next apply puts it back. Tags AWS reserves (aws:*) and the ones
// Portico keeps for itself (portico:*) are neither shown nor touched.

var (
	// accountIDPattern matches an AWS account ID.
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
	// sessionNamePattern is STS's rule for role session names.
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
	// reservedTagPattern matches keys no user may set.
	reservedTagPattern = regexp.MustCompile(`(?i)^(aws|portico):`)
)

// maxTags is the fewest user tags any of the tagged services accepts.
const maxTags = 50

// tagsValidators check a tags map against the rules all tagged services share.
func tagsValidators() []validator.Map {
	return []validator.Map{
		mapvalidator.SizeAtMost(maxTags),
		mapvalidator.KeysAre(stringvalidator.LengthBetween(1, 128), reservedTagKeyValidator{}),
		mapvalidator.ValueStringsAre(stringvalidator.LengthAtMost(256)),
	}
}

// tagsAttribute is the tags attribute of a taggable resource.
func tagsAttribute() schema.MapAttribute {
	return schema.MapAttribute{
		MarkdownDescription: "Tags of the resource, merged over the provider's `default_tags`. Tags changed outside " +
			"Terraform show in the plan. Keys starting with `aws:` or `portico:` are reserved.",
		ElementType: types.StringType,
		Optional:    true,
		Validators:  tagsValidators(),
	}
}

// tagsAllAttribute is the tags_all attribute: every tag of the resource,
// default_tags included, planned by modifyPlanTags in the resource's
// ModifyPlan (the provider's default tags are known only to a configured
// resource).
func tagsAllAttribute() schema.MapAttribute {
	return schema.MapAttribute{
		MarkdownDescription: "Every tag of the resource: the provider's `default_tags` with `tags` over them.",
		ElementType:         types.StringType,
		Computed:            true,
	}
}

// modifyPlanTags plans tags_all: the provider's default tags with the
// planned tags over them, unknown while the tags are.
func modifyPlanTags(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, defaults map[string]string) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var own types.Map
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("tags"), &own)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !fullyKnown(own) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("tags_all"), types.MapUnknown(types.StringType))...)
		return
	}
	ownMap, err := mapStrings(ctx, own)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("tags"), "Invalid tags", err.Error())
		return
	}
	v, diags := types.MapValueFrom(ctx, types.StringType, mergeTags(defaults, ownMap))
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("tags_all"), v)...)
}

// mergeTags is defaults with own over them; never nil.
func mergeTags(defaults, own map[string]string) map[string]string {
	out := make(map[string]string, len(defaults)+len(own))
	maps.Copy(out, defaults)
	maps.Copy(out, own)
	return out
}

// visibleTags drops the tags reserved by AWS and by the provider.
func visibleTags(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		if !reservedTagPattern.MatchString(k) {
			out[k] = v
		}
	}
	return out
}

// tagsFromAWS turns the tags a resource has into tags and tags_all. A key
// stays in tags when the prior tags (state or plan) have it, or when it is
// not a default tag with the default's value: so a tag added outside
// Terraform, or a default tag's value changed there, shows as a difference
// from the configuration.
func tagsFromAWS(ctx context.Context, have, defaults map[string]string, prior types.Map) (tags, all types.Map, diags diag.Diagnostics) {
	have = visibleTags(have)
	priorMap, err := mapStrings(ctx, prior)
	if err != nil {
		diags.AddError("Invalid tags", err.Error())
		return tags, all, diags
	}
	own := map[string]string{}
	for k, v := range have {
		_, configured := priorMap[k]
		if d, isDefault := defaults[k]; configured || !isDefault || d != v {
			own[k] = v
		}
	}
	all, d := types.MapValueFrom(ctx, types.StringType, have)
	diags.Append(d...)
	if len(own) == 0 && prior.IsNull() {
		return types.MapNull(types.StringType), all, diags
	}
	tags, d = types.MapValueFrom(ctx, types.StringType, own)
	diags.Append(d...)
	return tags, all, diags
}

// wantedTags are the tags a resource should have: default_tags with the
// model's tags over them.
func wantedTags(ctx context.Context, defaults map[string]string, own types.Map) (map[string]string, error) {
	m, err := mapStrings(ctx, own)
	if err != nil {
		return nil, err
	}
	return mergeTags(defaults, m), nil
}

// mapStrings converts a map attribute; null or unknown is nil.
func mapStrings(ctx context.Context, m types.Map) (map[string]string, error) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	out := map[string]string{}
	if diags := m.ElementsAs(ctx, &out, false); diags.HasError() {
		return nil, fmt.Errorf("read map: %v", diags)
	}
	return out, nil
}

// setStrings converts a set attribute; null or unknown is nil.
func setStrings(ctx context.Context, s types.Set) ([]string, diag.Diagnostics) {
	if s.IsNull() || s.IsUnknown() {
		return nil, nil
	}
	var out []string
	diags := s.ElementsAs(ctx, &out, false)
	return out, diags
}

// tagger tags one kind of resource, named by ARN (or by name where the
// service names it so).
type tagger interface {
	listTags(ctx context.Context, id string) (map[string]string, error)
	tag(ctx context.Context, id string, tags map[string]string) error
	untag(ctx context.Context, id string, keys []string) error
}

// syncTags makes the resource's visible tags want, from have: it removes
// the keys want lacks and sets the ones that differ.
func syncTags(ctx context.Context, t tagger, id string, have, want map[string]string) error {
	have = visibleTags(have)
	var remove []string
	for k := range have {
		if _, ok := want[k]; !ok {
			remove = append(remove, k)
		}
	}
	slices.Sort(remove)
	set := map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			set[k] = v
		}
	}
	if len(remove) > 0 {
		if err := t.untag(ctx, id, remove); err != nil {
			return fmt.Errorf("remove tags %s: %w", strings.Join(remove, ", "), err)
		}
	}
	if len(set) > 0 {
		if err := t.tag(ctx, id, set); err != nil {
			return fmt.Errorf("set tags: %w", err)
		}
	}
	return nil
}

// nullUnknowns replaces the unknown computed values of a half-built
// resource, its strings and its tags_all, with nulls, so that it can be saved
// as tainted.
func nullUnknowns(tagsAll *types.Map, strs ...*types.String) {
	for _, v := range strs {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
	if tagsAll.IsUnknown() {
		*tagsAll = types.MapNull(types.StringType)
	}
}

// ---- the services' tagging APIs

// tagList turns tags into a service's own tag type, in key order.
func tagList[T any](tags map[string]string, mk func(k, v *string) T) []T {
	var list []T
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		list = append(list, mk(aws.String(k), aws.String(tags[k])))
	}
	return list
}

// addTags adds a service's tags, of its own tag type, to m.
func addTags[T any](m map[string]string, list []T, kv func(T) (k, v *string)) {
	for _, tg := range list {
		k, v := kv(tg)
		m[aws.ToString(k)] = aws.ToString(v)
	}
}

type lambdaTags struct{ c *lambda.Client }

func (t lambdaTags) listTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := t.c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	return out.Tags, nil
}

func (t lambdaTags) tag(ctx context.Context, arn string, tags map[string]string) error {
	_, err := t.c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: tags})
	return err
}

func (t lambdaTags) untag(ctx context.Context, arn string, keys []string) error {
	_, err := t.c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: keys})
	return err
}

// iamRoleTags tags roles by name.
type iamRoleTags struct{ c *iam.Client }

func (t iamRoleTags) listTags(ctx context.Context, name string) (map[string]string, error) {
	out := map[string]string{}
	p := iam.NewListRoleTagsPaginator(t.c, &iam.ListRoleTagsInput{RoleName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		addTags(out, page.Tags, func(t iamtypes.Tag) (k, v *string) { return t.Key, t.Value })
	}
	return out, nil
}

func (t iamRoleTags) tag(ctx context.Context, name string, tags map[string]string) error {
	list := tagList(tags, func(k, v *string) iamtypes.Tag { return iamtypes.Tag{Key: k, Value: v} })
	_, err := t.c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(name), Tags: list})
	return err
}

func (t iamRoleTags) untag(ctx context.Context, name string, keys []string) error {
	_, err := t.c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(name), TagKeys: keys})
	return err
}

type dynamoTags struct{ c *dynamodb.Client }

func (t dynamoTags) listTags(ctx context.Context, arn string) (map[string]string, error) {
	out := map[string]string{}
	in := &dynamodb.ListTagsOfResourceInput{ResourceArn: aws.String(arn)}
	for {
		page, err := t.c.ListTagsOfResource(ctx, in)
		if err != nil {
			return nil, err
		}
		addTags(out, page.Tags, func(t ddbtypes.Tag) (k, v *string) { return t.Key, t.Value })
		if page.NextToken == nil || aws.ToString(page.NextToken) == aws.ToString(in.NextToken) {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

func (t dynamoTags) tag(ctx context.Context, arn string, tags map[string]string) error {
	list := tagList(tags, func(k, v *string) ddbtypes.Tag { return ddbtypes.Tag{Key: k, Value: v} })
	_, err := t.c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String(arn), Tags: list})
	return err
}

func (t dynamoTags) untag(ctx context.Context, arn string, keys []string) error {
	_, err := t.c.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: keys})
	return err
}

// apigwTags tags API Gateway resources by ARN
// (arn:aws:apigateway:<region>::/restapis/<id>[/stages/<name>]).
type apigwTags struct{ c apigwTagAPI }

// apigwTagAPI is the part of the API Gateway client that tags.
type apigwTagAPI interface {
	GetTags(ctx context.Context, in *apigateway.GetTagsInput, opts ...func(*apigateway.Options)) (*apigateway.GetTagsOutput, error)
	TagResource(ctx context.Context, in *apigateway.TagResourceInput, opts ...func(*apigateway.Options)) (*apigateway.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *apigateway.UntagResourceInput, opts ...func(*apigateway.Options)) (*apigateway.UntagResourceOutput, error)
}

func (t apigwTags) listTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := t.c.GetTags(ctx, &apigateway.GetTagsInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	return out.Tags, nil
}

func (t apigwTags) tag(ctx context.Context, arn string, tags map[string]string) error {
	_, err := t.c.TagResource(ctx, &apigateway.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags})
	return err
}

func (t apigwTags) untag(ctx context.Context, arn string, keys []string) error {
	_, err := t.c.UntagResource(ctx, &apigateway.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: keys})
	return err
}

// apigwARN is the ARN API Gateway tags a resource by: path is /restapis/<id>,
// /restapis/<id>/stages/<name> or /domainnames/<name>.
func apigwARN(partition, region, resourcePath string) string {
	return fmt.Sprintf("arn:%s:apigateway:%s::%s", partition, region, resourcePath)
}

type sdTags struct{ c *servicediscovery.Client }

func (t sdTags) listTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := t.c.ListTagsForResource(ctx, &servicediscovery.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	addTags(m, out.Tags, func(t sdtypes.Tag) (k, v *string) { return t.Key, t.Value })
	return m, nil
}

func (t sdTags) tag(ctx context.Context, arn string, tags map[string]string) error {
	list := tagList(tags, func(k, v *string) sdtypes.Tag { return sdtypes.Tag{Key: k, Value: v} })
	_, err := t.c.TagResource(ctx, &servicediscovery.TagResourceInput{ResourceARN: aws.String(arn), Tags: list})
	return err
}

func (t sdTags) untag(ctx context.Context, arn string, keys []string) error {
	_, err := t.c.UntagResource(ctx, &servicediscovery.UntagResourceInput{ResourceARN: aws.String(arn), TagKeys: keys})
	return err
}

// smTags tags Secrets Manager secrets by ARN or name.
type smTags struct{ c *secretsmanager.Client }

func (t smTags) listTags(ctx context.Context, id string) (map[string]string, error) {
	out, err := t.c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	addTags(m, out.Tags, func(t smtypes.Tag) (k, v *string) { return t.Key, t.Value })
	return m, nil
}

func (t smTags) tag(ctx context.Context, id string, tags map[string]string) error {
	list := tagList(tags, func(k, v *string) smtypes.Tag { return smtypes.Tag{Key: k, Value: v} })
	_, err := t.c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(id), Tags: list})
	return err
}

func (t smTags) untag(ctx context.Context, id string, keys []string) error {
	_, err := t.c.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String(id), TagKeys: keys})
	return err
}

// logsTags tags CloudWatch Logs log groups by ARN (without the trailing :*).
type logsTags struct{ c *cloudwatchlogs.Client }

func (t logsTags) listTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := t.c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	return out.Tags, nil
}

func (t logsTags) tag(ctx context.Context, arn string, tags map[string]string) error {
	_, err := t.c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags})
	return err
}

func (t logsTags) untag(ctx context.Context, arn string, keys []string) error {
	_, err := t.c.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: keys})
	return err
}

// reservedTagKeyValidator refuses the tag keys AWS and the provider reserve.
type reservedTagKeyValidator struct{}

func (reservedTagKeyValidator) Description(context.Context) string {
	return "must not start with aws: (reserved by AWS) or portico: (reserved by the provider)"
}

func (v reservedTagKeyValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v reservedTagKeyValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if reservedTagPattern.MatchString(req.ConfigValue.ValueString()) {
		resp.Diagnostics.AddAttributeError(req.Path, "Reserved tag key",
			fmt.Sprintf("Tag key %q %s.", req.ConfigValue.ValueString(), v.Description(ctx)))
	}
}

// durationBetween accepts a Go duration from min to max.
func durationBetween(min, max time.Duration) validator.String {
	return durationValidator{min: min, max: max}
}

type durationValidator struct{ min, max time.Duration }

func (v durationValidator) Description(context.Context) string {
	return fmt.Sprintf("must be a Go duration from %s to %s", v.min, v.max)
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d < v.min || d > v.max {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("Attribute %s %s, got: %q", req.Path, v.Description(ctx), req.ConfigValue.ValueString()))
	}
}

// applyTags makes the resource id's tags the provider's default tags with
// own over them, from have (the state's tags_all; null on create), and
// returns the new tags_all.
func applyTags(ctx context.Context, t tagger, id string, defaults map[string]string, own, have types.Map) (types.Map, error) {
	want, err := wantedTags(ctx, defaults, own)
	if err != nil {
		return types.MapNull(types.StringType), err
	}
	haveMap, err := mapStrings(ctx, have)
	if err != nil {
		return types.MapNull(types.StringType), err
	}
	if err := syncTags(ctx, t, id, haveMap, want); err != nil {
		return types.MapNull(types.StringType), err
	}
	v, diags := types.MapValueFrom(ctx, types.StringType, want)
	if diags.HasError() {
		return types.MapNull(types.StringType), fmt.Errorf("convert tags: %v", diags)
	}
	return v, nil
}

// readTags refreshes tags and all from the resource id's tags.
func readTags(ctx context.Context, t tagger, id string, defaults map[string]string, tags, all *types.Map) error {
	have, err := t.listTags(ctx, id)
	if err != nil {
		return fmt.Errorf("read tags: %w", err)
	}
	var diags diag.Diagnostics
	*tags, *all, diags = tagsFromAWS(ctx, have, defaults, *tags)
	if diags.HasError() {
		return fmt.Errorf("read tags: %v", diags)
	}
	return nil
}

// defaultTagsOf are the provider's default tags in c (none before the
// provider is configured).
func defaultTagsOf(c *Clients) map[string]string {
	if c == nil {
		return nil
	}
	return c.DefaultTags
}

// typedMap is m, or a null map of strings when m is the zero value (a
// model built in Go rather than read from Terraform).
func typedMap(m types.Map) types.Map {
	if m.ElementType(context.Background()) == nil {
		return types.MapNull(types.StringType)
	}
	return m
}
