package cloudmap

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/pkg/mesh"
)

var canary = mesh.Policy{
	Versions: []mesh.Weighted{{Version: "v1", Weight: 95}, {Version: "v2", Weight: 5}},
	Routes:   []mesh.Route{{Header: "X-Test-User", Value: "true", Version: "v2"}},
}

// manyRoutes returns a policy whose encoding needs several attributes; its
// header values hold spaces and non-ASCII characters.
func manyRoutes(n int) mesh.Policy {
	p := mesh.Policy{}
	for i := range n {
		p.Routes = append(p.Routes, mesh.Route{Header: "X-Tenant", Value: "tenant é 😀 " + strconv.Itoa(i), Version: "v2"})
	}
	return p
}

func TestPolicyRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		in         mesh.Policy
		wantChunks int
	}{
		{"zero policy", mesh.Policy{}, 1},
		{"canary", canary, 1},
		{"long, with spaces and non-ASCII", manyRoutes(60), 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs, err := EncodePolicy(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			chunks := 0
			for k, v := range attrs {
				if k == AttrPolicyChunks {
					continue
				}
				chunks++
				if len(v) > 1024 || len(v) == 0 {
					t.Errorf("attribute %s: got %d characters, want 1..1024", k, len(v))
				}
				for _, c := range v {
					if c <= ' ' || c >= 0x7f {
						t.Fatalf("attribute %s: got character %q, want printable ASCII without spaces", k, c)
					}
				}
			}
			if chunks != tt.wantChunks {
				t.Fatalf("got %d attributes, want %d", chunks, tt.wantChunks)
			}
			got, ok, err := DecodePolicy(attrs)
			if err != nil || !ok {
				t.Fatalf("got ok %v, %v; want the policy", ok, err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Fatalf("got %+v, want %+v", got, tt.in)
			}
		})
	}
}

func TestEncodePolicyTooLong(t *testing.T) {
	if _, err := EncodePolicy(manyRoutes(400)); err == nil || !strings.Contains(err.Error(), "16384") {
		t.Fatalf("got %v, want an error naming the 16384-character limit", err)
	}
}

func TestDecodePolicyErrors(t *testing.T) {
	long, _ := EncodePolicy(manyRoutes(30))
	missing := map[string]string{}
	for k, v := range long {
		if k != AttrPolicy+".1" {
			missing[k] = v
		}
	}
	tests := []struct {
		name  string
		attrs map[string]string
		want  string
	}{
		{"missing part", missing, "part portico.policy.1 of"},
		{"bad count", map[string]string{AttrPolicy: "{}", AttrPolicyChunks: "x"}, `portico.policy.chunks is "x"`},
		{"invalid policy", map[string]string{AttrPolicy: `{"versions":[{"version":"v1","weight":90}]}`}, "weights sum to 90, want 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, err := DecodePolicy(tt.attrs)
			if !ok || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got ok %v, %v; want ok and an error containing %q", ok, err, tt.want)
			}
		})
	}
	if _, ok, err := DecodePolicy(map[string]string{"team": "payments"}); ok || err != nil {
		t.Fatalf("got ok %v, %v for attributes without a policy, want not ok, nil", ok, err)
	}
}

func TestStalePolicyKeys(t *testing.T) {
	long, _ := EncodePolicy(manyRoutes(30))
	short, _ := EncodePolicy(canary)
	current := map[string]string{"team": "payments"}
	for k, v := range long {
		current[k] = v
	}
	got := StalePolicyKeys(current, short)
	want := []string{"portico.policy.1", "portico.policy.2", "portico.policy.chunks"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := StalePolicyKeys(current, nil); len(got) != 4 || got[0] != AttrPolicy {
		t.Fatalf("removing the policy: got %v, want the four policy keys and not team", got)
	}
}

// fakePolicyAPI is a Cloud Map with services in namespaces; it ignores the
// ListServices filter, as MiniStack does, and counts calls.
type fakePolicyAPI struct {
	namespaces map[string]string            // name → ID
	services   []sdtypes.Service            // all namespaces
	attrs      map[string]map[string]string // service ID → attributes
	calls      map[string]int
}

func (f *fakePolicyAPI) count(op string) {
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
}

func (f *fakePolicyAPI) ListNamespaces(_ context.Context, _ *servicediscovery.ListNamespacesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.ListNamespacesOutput, error) {
	f.count("ListNamespaces")
	out := &servicediscovery.ListNamespacesOutput{}
	for name, id := range f.namespaces {
		out.Namespaces = append(out.Namespaces, sdtypes.NamespaceSummary{Name: aws.String(name), Id: aws.String(id)})
	}
	return out, nil
}

func (f *fakePolicyAPI) ListServices(_ context.Context, _ *servicediscovery.ListServicesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.ListServicesOutput, error) {
	f.count("ListServices")
	out := &servicediscovery.ListServicesOutput{}
	for _, s := range f.services {
		out.Services = append(out.Services, sdtypes.ServiceSummary{Name: s.Name, Id: s.Id})
	}
	return out, nil
}

type apiError struct{ code string }

func (e apiError) Error() string     { return e.code + ": not found" }
func (e apiError) ErrorCode() string { return e.code }

func (f *fakePolicyAPI) GetService(_ context.Context, in *servicediscovery.GetServiceInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.GetServiceOutput, error) {
	f.count("GetService")
	for _, s := range f.services {
		if aws.ToString(s.Id) == aws.ToString(in.Id) {
			return &servicediscovery.GetServiceOutput{Service: &s}, nil
		}
	}
	return nil, apiError{"ServiceNotFound"}
}

func (f *fakePolicyAPI) GetServiceAttributes(_ context.Context, in *servicediscovery.GetServiceAttributesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.GetServiceAttributesOutput, error) {
	f.count("GetServiceAttributes")
	a, ok := f.attrs[aws.ToString(in.ServiceId)]
	if !ok {
		return nil, apiError{"ServiceNotFound"}
	}
	return &servicediscovery.GetServiceAttributesOutput{ServiceAttributes: &sdtypes.ServiceAttributes{Attributes: a}}, nil
}

func svc(id, name, ns string) sdtypes.Service {
	return sdtypes.Service{Id: aws.String(id), Name: aws.String(name), NamespaceId: aws.String(ns)}
}

// The policy is read from the service in the namespace (not a namesake in
// another one); the ID lookup is made once, then each read is one call.
func TestPolicies(t *testing.T) {
	ours, _ := EncodePolicy(canary)
	theirs, _ := EncodePolicy(mesh.Policy{LoadBalancer: mesh.RoundRobin})
	api := &fakePolicyAPI{
		namespaces: map[string]string{"shop.local": "ns-1", "other.local": "ns-2"},
		services:   []sdtypes.Service{svc("srv-other", "payment", "ns-2"), svc("srv-pay", "payment", "ns-1"), svc("srv-fraud", "fraud", "ns-1")},
		attrs:      map[string]map[string]string{"srv-pay": ours, "srv-other": theirs, "srv-fraud": {"team": "risk"}},
	}
	p, err := NewPolicies(api, "shop.local")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 3 {
		got, ok, err := p.Policy(ctx, "payment")
		if err != nil || !ok || !reflect.DeepEqual(got, canary) {
			t.Fatalf("read %d: got %+v, %v, %v; want the canary policy of srv-pay", i, got, ok, err)
		}
	}
	want := map[string]int{"ListNamespaces": 1, "ListServices": 1, "GetService": 2, "GetServiceAttributes": 3}
	if !reflect.DeepEqual(api.calls, want) {
		t.Fatalf("got calls %v for 3 reads, want %v", api.calls, want)
	}
	if _, ok, err := p.Policy(ctx, "fraud"); ok || err != nil {
		t.Fatalf("fraud (no policy): got ok %v, %v; want not ok, nil", ok, err)
	}
	if _, _, err := p.Policy(ctx, "bank"); err == nil || !strings.Contains(err.Error(), "no service bank in namespace shop.local") {
		t.Fatalf("bank: got %v, want an error naming the missing service", err)
	}
	// The service is deleted and created again with a new ID: the read fails
	// once, the next one finds the new ID.
	api.services[1] = svc("srv-pay2", "payment", "ns-1")
	api.attrs["srv-pay2"] = ours
	delete(api.attrs, "srv-pay")
	if _, _, err := p.Policy(ctx, "payment"); err == nil {
		t.Fatal("got nil error for a deleted service, want one")
	}
	if got, ok, err := p.Policy(ctx, "payment"); err != nil || !ok || !reflect.DeepEqual(got, canary) {
		t.Fatalf("after re-creation: got %+v, %v, %v; want the canary policy", got, ok, err)
	}
}

func TestPoliciesErrors(t *testing.T) {
	if _, err := NewPolicies(nil, "ns"); err == nil {
		t.Error("got nil error without API, want one")
	}
	if _, err := NewPolicies(&fakePolicyAPI{}, ""); err == nil {
		t.Error("got nil error without namespace, want one")
	}
	p, _ := NewPolicies(&fakePolicyAPI{namespaces: map[string]string{"a.local": "ns-1"}}, "b.local")
	if _, _, err := p.Policy(context.Background(), "payment"); err == nil || !strings.Contains(err.Error(), "no namespace named b.local") {
		t.Fatalf("got %v, want an error naming the missing namespace", err)
	}
}
