package provider

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestServiceNamespaceSchema(t *testing.T) {
	s := resourceSchema(t, NewServiceNamespaceResource())
	checkRequiresReplace(t, s, map[string]bool{"name": true})
	tests := []struct {
		attr, value string
		wantErr     bool
	}{
		{"name", "portico.local", false},
		{"name", "", true},
		{"name", "has space", true},
		{"name", strings.Repeat("n", 1025), true},
		{"description", "", false},
	}
	for _, tt := range tests {
		diags := validateString(t, s, tt.attr, tt.value)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("%s=%q: got error %v, want %v (%s)", tt.attr, tt.value, got, tt.wantErr, errorText(diags))
		}
	}
}

func TestServiceNamespaceImport(t *testing.T) {
	if got := importedString(t, &ServiceNamespaceResource{}, "ns-abc123", "id"); got != "ns-abc123" {
		t.Errorf("imported id: got %q, want ns-abc123", got)
	}
}

// fakeCloudMap is a Cloud Map with AWS's idempotency: a create with a
// CreatorRequestId it has seen is a DuplicateRequest naming the earlier
// operation, and a name in use is NamespaceAlreadyExists with the owner's id
// and request id. Operations finish after settle calls to GetOperation
// (never when settle < 0).
type fakeCloudMap struct {
	mu         sync.Mutex
	namespaces map[string]*sdtypes.Namespace // id → namespace
	requests   map[string]string             // creator request id → operation id
	ops        map[string]string             // operation id → namespace id
	polls      map[string]int
	settle     int
	creates    int
	next       int
}

var _ namespaceAPI = (*fakeCloudMap)(nil)

func newFakeCloudMap() *fakeCloudMap {
	return &fakeCloudMap{namespaces: map[string]*sdtypes.Namespace{}, requests: map[string]string{}, ops: map[string]string{}, polls: map[string]int{}}
}

func (f *fakeCloudMap) CreateHttpNamespace(_ context.Context, in *servicediscovery.CreateHttpNamespaceInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.CreateHttpNamespaceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates++
	req := aws.ToString(in.CreatorRequestId)
	if op, ok := f.requests[req]; ok {
		return nil, &sdtypes.DuplicateRequest{Message: aws.String("duplicate"), DuplicateOperationId: aws.String(op)}
	}
	for _, ns := range f.namespaces {
		if aws.ToString(ns.Name) == aws.ToString(in.Name) {
			return nil, &sdtypes.NamespaceAlreadyExists{Message: aws.String("exists"), NamespaceId: ns.Id, CreatorRequestId: ns.CreatorRequestId}
		}
	}
	f.next++
	id, op := "ns-"+strings.Repeat("0", 15)+string(rune('a'+f.next)), "op-"+string(rune('a'+f.next))
	f.namespaces[id] = &sdtypes.Namespace{Id: aws.String(id), Name: in.Name, Arn: aws.String("arn:aws:servicediscovery:us-east-1:1:namespace/" + id),
		Description: in.Description, CreatorRequestId: in.CreatorRequestId}
	f.requests[req], f.ops[op] = op, id
	return &servicediscovery.CreateHttpNamespaceOutput{OperationId: aws.String(op)}, nil
}

func (f *fakeCloudMap) GetOperation(_ context.Context, in *servicediscovery.GetOperationInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.GetOperationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := aws.ToString(in.OperationId)
	f.polls[op]++
	status := sdtypes.OperationStatusSuccess
	if f.settle < 0 || f.polls[op] <= f.settle {
		status = sdtypes.OperationStatusPending
	}
	return &servicediscovery.GetOperationOutput{Operation: &sdtypes.Operation{Id: in.OperationId, Status: status,
		Targets: map[string]string{string(sdtypes.OperationTargetTypeNamespace): f.ops[op]}}}, nil
}

func (f *fakeCloudMap) GetNamespace(_ context.Context, in *servicediscovery.GetNamespaceInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.GetNamespaceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ns, ok := f.namespaces[aws.ToString(in.Id)]
	if !ok {
		return nil, &sdtypes.NamespaceNotFound{Message: aws.String("not found")}
	}
	c := *ns
	return &servicediscovery.GetNamespaceOutput{Namespace: &c}, nil
}

func (f *fakeCloudMap) ListNamespaces(_ context.Context, _ *servicediscovery.ListNamespacesInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.ListNamespacesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &servicediscovery.ListNamespacesOutput{}
	for _, ns := range f.namespaces {
		out.Namespaces = append(out.Namespaces, sdtypes.NamespaceSummary{Id: ns.Id, Name: ns.Name})
	}
	return out, nil
}

func (f *fakeCloudMap) UpdateHttpNamespace(context.Context, *servicediscovery.UpdateHttpNamespaceInput, ...func(*servicediscovery.Options)) (*servicediscovery.UpdateHttpNamespaceOutput, error) {
	return nil, apiError("UnsupportedInFake", "not used")
}

func (f *fakeCloudMap) DeleteNamespace(_ context.Context, in *servicediscovery.DeleteNamespaceInput, _ ...func(*servicediscovery.Options)) (*servicediscovery.DeleteNamespaceOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.namespaces, aws.ToString(in.Id))
	return &servicediscovery.DeleteNamespaceOutput{OperationId: aws.String("op-delete")}, nil
}

// namespacePlan is a portico_service_namespace planned for create, with a
// create timeout ("" for none).
func namespacePlan(name, create string) ServiceNamespaceResourceModel {
	types_ := map[string]attr.Type{"create": types.StringType, "update": types.StringType, "delete": types.StringType}
	to := timeouts.Value{Object: types.ObjectNull(types_)}
	if create != "" {
		to = timeouts.Value{Object: types.ObjectValueMust(types_, map[string]attr.Value{
			"create": types.StringValue(create), "update": types.StringNull(), "delete": types.StringNull()})}
	}
	return ServiceNamespaceResourceModel{ID: types.StringUnknown(), Name: types.StringValue(name), Description: types.StringNull(),
		ARN: types.StringUnknown(), Timeouts: to, Tags: types.MapNull(types.StringType), TagsAll: types.MapUnknown(types.StringType)}
}

// createNamespaceWith runs Create and returns the diagnostics' text and the
// namespace id in state ("" when none was saved).
func createNamespaceWith(t *testing.T, r *ServiceNamespaceResource, plan ServiceNamespaceResourceModel) (errs, id string) {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t, r)
	resp := resource.CreateResponse{State: tfState(t, s, nil)}
	r.Create(ctx, resource.CreateRequest{Plan: tfPlan(t, s, &plan)}, &resp)
	if !resp.State.Raw.IsNull() {
		var got ServiceNamespaceResourceModel
		noErrors(t, "state", resp.State.Get(ctx, &got))
		id = got.ID.ValueString()
	}
	return errorText(resp.Diagnostics.Errors()), id
}

// A create whose operation outlives its timeout fails naming the timeout;
// the namespace it left behind carries this name's request id, so the next
// apply adopts it instead of colliding with it. A namespace of that name
// that another configuration created is refused with an import hint. In
// process, because MiniStack neither echoes CreatorRequestId nor reports it
// in NamespaceAlreadyExists.
func TestServiceNamespaceTimeoutThenAdoption(t *testing.T) {
	cm := newFakeCloudMap()
	r := &ServiceNamespaceResource{sd: cm}
	cm.settle = -1 // the operation never finishes
	start := time.Now()
	errs, id := createNamespaceWith(t, r, namespacePlan("mesh.local", "1s"))
	if !strings.Contains(errs, "timed out after") || !strings.Contains(errs, "Cloud Map operation") || id != "" {
		t.Fatalf("create that outlives its timeout: got errors %q, id %q; want a timeout naming the operation and nothing in state", errs, id)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("create with a 1s timeout: returned after %s, want about 1s", d)
	}
	if len(cm.namespaces) != 1 {
		t.Fatalf("got %d namespaces, want the one the timed-out create left", len(cm.namespaces))
	}
	var orphan string
	for id := range cm.namespaces {
		orphan = id
	}

	cm.settle = 0
	errs, id = createNamespaceWith(t, r, namespacePlan("mesh.local", ""))
	if errs != "" || id != orphan || len(cm.namespaces) != 1 {
		t.Fatalf("next apply: got errors %q, id %q, %d namespaces; want the orphan %s adopted", errs, id, len(cm.namespaces), orphan)
	}

	other := "ns-someone-elses"
	cm.namespaces[other] = &sdtypes.Namespace{Id: aws.String(other), Name: aws.String("taken.local"), CreatorRequestId: aws.String("console-1234")}
	errs, _ = createNamespaceWith(t, r, namespacePlan("taken.local", ""))
	if !strings.Contains(errs, "was not created by this resource") || !strings.Contains(errs, "terraform import <address> "+other) {
		t.Fatalf("name taken by another: got %q, want a refusal with an import hint", errs)
	}
}

// After the namespace was deleted, Cloud Map may still remember the
// request: the provider follows the old operation, finds its namespace gone,
// and makes a fresh request.
func TestServiceNamespaceRecreateAfterDelete(t *testing.T) {
	cm := newFakeCloudMap()
	r := &ServiceNamespaceResource{sd: cm}
	_, first := createNamespaceWith(t, r, namespacePlan("mesh.local", ""))
	delete(cm.namespaces, first)
	errs, second := createNamespaceWith(t, r, namespacePlan("mesh.local", ""))
	if errs != "" || second == "" || second == first {
		t.Fatalf("re-create: got errors %q, id %q; want a new namespace, not %s", errs, second, first)
	}
	if got := aws.ToString(cm.namespaces[second].CreatorRequestId); got != namespaceRequestID("mesh.local", 1) {
		t.Fatalf("request id of the re-created namespace: got %q, want the name's next generation", got)
	}
}

func TestNamespaceRequestID(t *testing.T) {
	a, b := namespaceRequestID("mesh.local", 0), namespaceRequestID("other.local", 0)
	if a == b || a != namespaceRequestID("mesh.local", 0) || len(a) > 64 || !strings.HasPrefix(namespaceRequestID("mesh.local", 2), a) {
		t.Fatalf("got %q and %q: want stable, distinct per name, at most 64 characters, generations sharing the prefix", a, b)
	}
}
