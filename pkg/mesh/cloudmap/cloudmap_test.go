package cloudmap

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/pkg/mesh"
)

type fakeAPI struct {
	in     *servicediscovery.DiscoverInstancesInput
	out    *servicediscovery.DiscoverInstancesOutput
	err    error
	revIn  *servicediscovery.DiscoverInstancesRevisionInput
	revOut *servicediscovery.DiscoverInstancesRevisionOutput
}

func (f *fakeAPI) DiscoverInstancesRevision(_ context.Context, in *servicediscovery.DiscoverInstancesRevisionInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesRevisionOutput, error) {
	f.revIn = in
	return f.revOut, f.err
}

func (f *fakeAPI) DiscoverInstances(_ context.Context, in *servicediscovery.DiscoverInstancesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.DiscoverInstancesOutput, error) {
	f.in = in
	return f.out, f.err
}

func TestDiscover(t *testing.T) {
	api := &fakeAPI{out: &servicediscovery.DiscoverInstancesOutput{Instances: []sdtypes.HttpInstanceSummary{
		{InstanceId: aws.String("u1"), Attributes: map[string]string{AttrIPv4: "127.0.0.1", AttrPort: "8081", "version": "v1"}, HealthStatus: sdtypes.HealthStatusHealthy},
		{InstanceId: aws.String("no-port"), Attributes: map[string]string{AttrIPv4: "127.0.0.1"}},
		{InstanceId: aws.String("bad-port"), Attributes: map[string]string{AttrIPv4: "127.0.0.1", AttrPort: "70000"}},
	}}}
	d, err := New(api, "portico.local")
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Discover(context.Background(), "user-service")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(api.in.NamespaceName) != "portico.local" || aws.ToString(api.in.ServiceName) != "user-service" || api.in.HealthStatus != sdtypes.HealthStatusFilterAll {
		t.Fatalf("got input %+v, want namespace portico.local, service user-service, health ALL", api.in)
	}
	if len(got) != 1 || got[0].ID != "u1" || got[0].HostPort() != "127.0.0.1:8081" || got[0].Attributes["version"] != "v1" || got[0].Attributes[AttrIPv4] != "" {
		t.Fatalf("got %+v, want only u1 at 127.0.0.1:8081 with version v1 and no reserved attributes", got)
	}
}

func TestDiscoverHealth(t *testing.T) {
	tests := []struct {
		in   sdtypes.HealthStatus
		want mesh.Health
	}{
		{sdtypes.HealthStatusHealthy, mesh.HealthHealthy},
		{sdtypes.HealthStatusUnhealthy, mesh.HealthUnhealthy},
		{sdtypes.HealthStatusUnknown, mesh.HealthUnknown},
		{"", mesh.HealthUnknown},
	}
	for _, tt := range tests {
		api := &fakeAPI{out: &servicediscovery.DiscoverInstancesOutput{Instances: []sdtypes.HttpInstanceSummary{
			{InstanceId: aws.String("u1"), Attributes: map[string]string{AttrIPv4: "10.0.0.1", AttrPort: "80"}, HealthStatus: tt.in},
		}}}
		d, _ := New(api, "ns")
		got, err := d.Discover(context.Background(), "svc")
		if err != nil || len(got) != 1 || got[0].Health != tt.want {
			t.Fatalf("got %+v, %v for %q, want health %q", got, err, tt.in, tt.want)
		}
	}
}

func TestRevision(t *testing.T) {
	api := &fakeAPI{revOut: &servicediscovery.DiscoverInstancesRevisionOutput{InstancesRevision: aws.Int64(42)}}
	d, _ := New(api, "portico.local")
	got, err := d.Revision(context.Background(), "payment")
	if err != nil || got != 42 {
		t.Fatalf("got %d, %v; want 42", got, err)
	}
	if aws.ToString(api.revIn.NamespaceName) != "portico.local" || aws.ToString(api.revIn.ServiceName) != "payment" {
		t.Fatalf("got input %+v, want namespace portico.local, service payment", api.revIn)
	}
	api.err = errors.New("ThrottlingException: slow down")
	if _, err := d.Revision(context.Background(), "payment"); err == nil || !strings.Contains(err.Error(), "payment.portico.local") {
		t.Fatalf("got %v, want an error naming payment.portico.local", err)
	}
}

func TestDiscoverError(t *testing.T) {
	d, _ := New(&fakeAPI{err: errors.New("ThrottlingException: slow down")}, "ns")
	_, err := d.Discover(context.Background(), "svc")
	if err == nil || !strings.Contains(err.Error(), "slow down") || !strings.Contains(err.Error(), "svc.ns") {
		t.Fatalf("got %v, want an error naming svc.ns and the cause", err)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(nil, "ns"); err == nil {
		t.Error("got nil error without API, want one")
	}
	if _, err := New(&fakeAPI{}, ""); err == nil {
		t.Error("got nil error without namespace, want one")
	}
}

// DiscoverInstances returns 100 instances unless asked for more, and never
// more than 1,000: the Discoverer asks for the maximum and warns when a
// service has that many, since it may have more that go unseen.
func TestDiscoverAsksForTheMaximum(t *testing.T) {
	for _, tt := range []struct {
		instances int
		warn      bool
	}{{999, false}, {MaxInstances, true}} {
		out := &servicediscovery.DiscoverInstancesOutput{}
		for i := range tt.instances {
			out.Instances = append(out.Instances, sdtypes.HttpInstanceSummary{InstanceId: aws.String(strconv.Itoa(i)),
				Attributes: map[string]string{AttrIPv4: "10.0.0.1", AttrPort: strconv.Itoa(1000 + i)}})
		}
		api := &fakeAPI{out: out}
		var logs bytes.Buffer
		d, err := New(api, "portico.local", WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.Discover(context.Background(), "user-service")
		if err != nil || len(got) != tt.instances {
			t.Fatalf("got %d instances, %v, want %d", len(got), err, tt.instances)
		}
		if n := aws.ToInt32(api.in.MaxResults); n != MaxInstances {
			t.Fatalf("got MaxResults %d, want %d", n, MaxInstances)
		}
		if warned := strings.Contains(logs.String(), `"service":"user-service"`); warned != tt.warn {
			t.Fatalf("%d instances: got warning %v (%s), want %v", tt.instances, warned, logs.String(), tt.warn)
		}
	}
}
