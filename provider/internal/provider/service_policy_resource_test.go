package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

// fakeServiceAttributes is the attribute store of Cloud Map services.
type fakeServiceAttributes map[string]map[string]string

var _ servicePolicyAPI = fakeServiceAttributes(nil)

func (f fakeServiceAttributes) GetService(_ context.Context, in *servicediscovery.GetServiceInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.GetServiceOutput, error) {
	if _, ok := f[aws.ToString(in.Id)]; !ok {
		return nil, &sdtypes.ServiceNotFound{Message: aws.String("no service")}
	}
	return &servicediscovery.GetServiceOutput{Service: &sdtypes.Service{Id: in.Id, Name: aws.String("payment")}}, nil
}

func (f fakeServiceAttributes) GetServiceAttributes(_ context.Context, in *servicediscovery.GetServiceAttributesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.GetServiceAttributesOutput, error) {
	attrs, ok := f[aws.ToString(in.ServiceId)]
	if !ok {
		return nil, &sdtypes.ServiceNotFound{Message: aws.String("no service")}
	}
	return &servicediscovery.GetServiceAttributesOutput{ServiceAttributes: &sdtypes.ServiceAttributes{Attributes: attrs}}, nil
}

func (f fakeServiceAttributes) UpdateServiceAttributes(_ context.Context, in *servicediscovery.UpdateServiceAttributesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.UpdateServiceAttributesOutput, error) {
	for k, v := range in.Attributes {
		f[aws.ToString(in.ServiceId)][k] = v
	}
	return &servicediscovery.UpdateServiceAttributesOutput{}, nil
}

func (f fakeServiceAttributes) DeleteServiceAttributes(_ context.Context, in *servicediscovery.DeleteServiceAttributesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.DeleteServiceAttributesOutput, error) {
	for _, k := range in.Attributes {
		delete(f[aws.ToString(in.ServiceId)], k)
	}
	return &servicediscovery.DeleteServiceAttributesOutput{}, nil
}

// portico_service_policy writes the policy to a service it did not create,
// refuses a service that has one, reads back after an import what was
// configured (semantically), and on destroy removes only the policy.
func TestServicePolicyLifecycle(t *testing.T) {
	ctx := context.Background()
	sd := fakeServiceAttributes{"srv-ecs1": {"ECS_CLUSTER": "prod"}}
	r := &ServicePolicyResource{sd: sd}
	s := resourceSchema(t, r)
	const policy = `{"versions":[{"weight":95,"version":"v1"},{"weight":5,"version":"v2"}],"retry":{"perTryTimeout":"1m"}}`
	plan := ServicePolicyResourceModel{ID: types.StringUnknown(), ServiceID: types.StringValue("srv-ecs1"), Policy: jsonString(jsonMeshPolicy, policy)}

	create := func() resource.CreateResponse {
		resp := resource.CreateResponse{State: tfState(t, s, nil)}
		r.Create(ctx, resource.CreateRequest{Plan: tfPlan(t, s, &plan)}, &resp)
		return resp
	}
	resp := create()
	noErrors(t, "Create", resp.Diagnostics)
	if _, ok := sd["srv-ecs1"][cloudmap.AttrPolicy]; !ok || sd["srv-ecs1"]["ECS_CLUSTER"] != "prod" {
		t.Fatalf("attributes after create: got %v, want the policy beside ECS's attribute", sd["srv-ecs1"])
	}
	wantError(t, "second Create", create().Diagnostics, "terraform import <address> srv-ecs1")

	imp := resource.ImportStateResponse{State: tfState(t, s, nil)}
	r.ImportState(ctx, resource.ImportStateRequest{ID: "srv-ecs1"}, &imp)
	noErrors(t, "ImportState", imp.Diagnostics)
	var imported ServicePolicyResourceModel
	if readInto(t, r, s, imp.State, &imported) {
		t.Fatal("import: got gone, want the policy")
	}
	if same, _ := imported.Policy.StringSemanticEquals(ctx, plan.Policy); !same || imported.ServiceID.ValueString() != "srv-ecs1" {
		t.Fatalf("import: got %v, want the configured policy (as a policy)", imported.Policy)
	}
	if got := imported.ServiceName.ValueString(); got != "payment" {
		t.Fatalf("import: got service_name %q, want the service's name, payment", got)
	}

	var del resource.DeleteResponse
	r.Delete(ctx, resource.DeleteRequest{State: resp.State}, &del)
	noErrors(t, "Delete", del.Diagnostics)
	for k := range sd["srv-ecs1"] {
		if strings.HasPrefix(k, cloudmap.AttrPolicy) {
			t.Fatalf("after destroy: got attribute %s, want the policy gone", k)
		}
	}
	if sd["srv-ecs1"]["ECS_CLUSTER"] != "prod" {
		t.Fatal("after destroy: ECS's attribute is gone, want it left alone")
	}
	var after ServicePolicyResourceModel
	if !readInto(t, r, s, resp.State, &after) {
		t.Fatal("read after destroy: got the policy, want it gone from state")
	}
}
