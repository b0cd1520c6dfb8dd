package provider

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestDiscoveredInstances(t *testing.T) {
	ctx := context.Background()
	got, err := discoveredInstances(ctx, []sdtypes.HttpInstanceSummary{
		{InstanceId: aws.String("users-2"), HealthStatus: sdtypes.HealthStatusUnhealthy, Attributes: map[string]string{
			attrIPv4: "10.0.0.8", attrPort: "8081", "version": "v2", "zone": "b",
		}},
		{InstanceId: aws.String("users-1"), HealthStatus: sdtypes.HealthStatusHealthy, Attributes: map[string]string{
			attrIPv4: "10.0.0.7", attrPort: "8080",
		}},
		{InstanceId: aws.String("lambda-1"), Attributes: map[string]string{"arn": "arn:aws:lambda:us-east-1:000000000000:function:x"}},
	})
	if err != nil {
		t.Fatalf("discoveredInstances: got error %v, want none", err)
	}
	want := []discoveredInstanceModel{
		{ID: types.StringValue("lambda-1"), Address: types.StringNull(), Port: types.Int64Null(),
			Attributes: types.MapValueMust(types.StringType, map[string]attr.Value{"arn": types.StringValue("arn:aws:lambda:us-east-1:000000000000:function:x")})},
		{ID: types.StringValue("users-1"), Address: types.StringValue("10.0.0.7"), Port: types.Int64Value(8080),
			Attributes: types.MapValueMust(types.StringType, map[string]attr.Value{})},
		{ID: types.StringValue("users-2"), Address: types.StringValue("10.0.0.8"), Port: types.Int64Value(8081),
			Attributes: types.MapValueMust(types.StringType, map[string]attr.Value{"version": types.StringValue("v2"), "zone": types.StringValue("b")})},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d instances, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.ID.Equal(w.ID) || !g.Address.Equal(w.Address) || !g.Port.Equal(w.Port) || !g.Attributes.Equal(w.Attributes) {
			t.Errorf("instance %d: got %v, want %v", i, g, w)
		}
	}
}

func TestDiscoveredInstancesBadPort(t *testing.T) {
	_, err := discoveredInstances(context.Background(), []sdtypes.HttpInstanceSummary{
		{InstanceId: aws.String("users-1"), Attributes: map[string]string{attrIPv4: "10.0.0.7", attrPort: "http"}},
	})
	want := `instance users-1: attribute AWS_INSTANCE_PORT="http" is not a port number`
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %q", err, want)
	}
}

func TestDiscoveredInstancesNone(t *testing.T) {
	got, err := discoveredInstances(context.Background(), nil)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("got %v, %v; want an empty, non-nil list and no error", got, err)
	}
}
