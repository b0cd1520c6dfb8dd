//go:build e2e

package mesh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/internal/awsconfig"
	"github.com/portico-gw/portico/pkg/mesh"
	"github.com/portico-gw/portico/pkg/mesh/cloudmap"
)

// TestDiscoveryFollowsCloudMap: the mesh client against the emulator's Cloud
// Map sees a newly registered instance (the service's revision changes), stops
// sending to an instance marked unhealthy, and falls back to all instances when
// none is healthy.
func TestDiscoveryFollowsCloudMap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Endpoint: os.Getenv("PORTICO_ENDPOINT"), CABundle: os.Getenv("PORTICO_CA_CERT")})
	if err != nil {
		t.Fatal(err)
	}
	sd := servicediscovery.NewFromConfig(cfg, func(o *servicediscovery.Options) {
		o.APIOptions = append(o.APIOptions, awsconfig.DisableHostPrefix)
	})
	suffix := make([]byte, 3)
	rand.Read(suffix)
	ns := "disc-" + hex.EncodeToString(suffix) + ".local"
	nsOut, err := sd.CreateHttpNamespace(ctx, &servicediscovery.CreateHttpNamespaceInput{Name: aws.String(ns)})
	if err != nil {
		t.Fatal(err)
	}
	op, err := sd.GetOperation(ctx, &servicediscovery.GetOperationInput{OperationId: nsOut.OperationId})
	if err != nil || op.Operation.Status != sdtypes.OperationStatusSuccess {
		t.Fatalf("namespace operation: %v %v", op, err)
	}
	nsID := op.Operation.Targets[string(sdtypes.OperationTargetTypeNamespace)]
	svc, err := sd.CreateService(ctx, &servicediscovery.CreateServiceInput{
		Name: aws.String("inventory"), NamespaceId: aws.String(nsID),
		HealthCheckCustomConfig: &sdtypes.HealthCheckCustomConfig{FailureThreshold: aws.Int32(1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	svcID := svc.Service.Id
	register := func(id, port string) {
		t.Helper()
		if _, err := sd.RegisterInstance(ctx, &servicediscovery.RegisterInstanceInput{
			ServiceId: svcID, InstanceId: aws.String(id),
			Attributes: map[string]string{cloudmap.AttrIPv4: "127.0.0.1", cloudmap.AttrPort: port},
		}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		for _, id := range []string{"a", "b"} {
			sd.DeregisterInstance(ctx, &servicediscovery.DeregisterInstanceInput{ServiceId: svcID, InstanceId: aws.String(id)})
		}
		sd.DeleteService(ctx, &servicediscovery.DeleteServiceInput{Id: svcID})
		sd.DeleteNamespace(ctx, &servicediscovery.DeleteNamespaceInput{Id: aws.String(nsID)})
	})
	setHealth := func(id string, status sdtypes.CustomHealthStatus) {
		t.Helper()
		if _, err := sd.UpdateInstanceCustomHealthStatus(ctx, &servicediscovery.UpdateInstanceCustomHealthStatusInput{
			ServiceId: svcID, InstanceId: aws.String(id), Status: status,
		}); err != nil {
			t.Fatal(err)
		}
	}

	disc, err := cloudmap.New(sd, ns)
	if err != nil {
		t.Fatal(err)
	}
	client, err := mesh.New(mesh.Config{Discoverer: disc, RefreshInterval: 100 * time.Millisecond, ResyncInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// picked returns the instance IDs that 40 picks reach.
	picked := func() []string {
		seen := map[string]bool{}
		for range 40 {
			inst, err := client.Pick(ctx, "inventory")
			if err != nil {
				t.Fatal(err)
			}
			seen[inst.ID] = true
		}
		var ids []string
		for id := range seen {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids
	}
	// eventually waits (bounded) until the picks reach exactly want.
	eventually := func(what string, want ...string) {
		t.Helper()
		var got []string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if got = picked(); slices.Equal(got, want) {
				return
			}
		}
		t.Fatalf("%s: picks reach %v, want %v", what, got, want)
	}

	register("a", "18201")
	rev1, err := disc.Revision(ctx, "inventory")
	if err != nil {
		t.Fatal(err)
	}
	eventually("one instance", "a")
	register("b", "18202")
	rev2, err := disc.Revision(ctx, "inventory")
	if err != nil || rev2 <= rev1 {
		t.Fatalf("revision after registering b: got %d (%v), want more than %d", rev2, err, rev1)
	}
	eventually("after registering b", "a", "b")
	setHealth("a", sdtypes.CustomHealthStatusUnhealthy)
	eventually("a unhealthy", "b")
	setHealth("b", sdtypes.CustomHealthStatusUnhealthy)
	eventually("none healthy: all instances", "a", "b")
	setHealth("a", sdtypes.CustomHealthStatusHealthy)
	eventually("a healthy again", "a")
}
