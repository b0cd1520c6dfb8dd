package cloudmap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/portico-gw/portico/pkg/mesh"
)

// A service's traffic policy is stored in its Cloud Map service attributes
// (UpdateServiceAttributes), as compact JSON in which every character outside
// printable ASCII, and the space, is written as a \u escape, so each value
// satisfies Cloud Map's character rules. Cloud Map limits a value to 1,024
// characters and a service to 30 attributes, so a longer policy is split:
// AttrPolicy holds the first 1,024 characters, AttrPolicy+".1", ".2", … the
// rest, and AttrPolicyChunks the number of parts (absent when there is one).
const (
	AttrPolicy       = "portico.policy"
	AttrPolicyChunks = "portico.policy.chunks"
	// MaxPolicyChunks bounds a policy to 16 attributes (16 KiB).
	MaxPolicyChunks = 16

	maxAttrValue = 1024
)

// EncodePolicy returns the service attributes that hold p.
func EncodePolicy(p mesh.Policy) (map[string]string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("cloudmap: encode policy: %w", err)
	}
	s := asciiJSON(b)
	n := (len(s) + maxAttrValue - 1) / maxAttrValue
	if n > MaxPolicyChunks {
		return nil, fmt.Errorf("cloudmap: policy is %d characters as a service attribute, more than the %d that %d attributes of %d characters hold",
			len(s), MaxPolicyChunks*maxAttrValue, MaxPolicyChunks, maxAttrValue)
	}
	attrs := map[string]string{}
	for i := 0; i < n; i++ {
		attrs[chunkKey(i)] = s[i*maxAttrValue : min(len(s), (i+1)*maxAttrValue)]
	}
	if n > 1 {
		attrs[AttrPolicyChunks] = strconv.Itoa(n)
	}
	return attrs, nil
}

func chunkKey(i int) string {
	if i == 0 {
		return AttrPolicy
	}
	return AttrPolicy + "." + strconv.Itoa(i)
}

// asciiJSON rewrites compact JSON so that every character is printable ASCII
// other than the space: those only occur inside strings, where a \u escape
// means the same.
func asciiJSON(b []byte) string {
	var sb strings.Builder
	for _, r := range string(b) {
		if r > ' ' && r < 0x7f {
			sb.WriteRune(r)
			continue
		}
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&sb, `\u%04x\u%04x`, r1, r2)
			continue
		}
		fmt.Fprintf(&sb, `\u%04x`, r)
	}
	return sb.String()
}

// DecodePolicy reads the policy that EncodePolicy stored in attrs; ok is false
// when attrs hold none. The policy is parsed strictly and validated
// (mesh.ParsePolicy).
func DecodePolicy(attrs map[string]string) (p mesh.Policy, ok bool, err error) {
	first, ok := attrs[AttrPolicy]
	if !ok {
		return mesh.Policy{}, false, nil
	}
	n := 1
	if v, has := attrs[AttrPolicyChunks]; has {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > MaxPolicyChunks {
			return mesh.Policy{}, true, fmt.Errorf("cloudmap: policy: %s is %q, want 1..%d", AttrPolicyChunks, v, MaxPolicyChunks)
		}
	}
	var sb strings.Builder
	sb.WriteString(first)
	for i := 1; i < n; i++ {
		part, has := attrs[chunkKey(i)]
		if !has {
			return mesh.Policy{}, true, fmt.Errorf("cloudmap: policy: part %s of %d is missing", chunkKey(i), n)
		}
		sb.WriteString(part)
	}
	p, err = mesh.ParsePolicy([]byte(sb.String()))
	if err != nil {
		return mesh.Policy{}, true, fmt.Errorf("cloudmap: %s: %w", AttrPolicy, err)
	}
	return p, true, nil
}

// StalePolicyKeys returns the policy attributes in current that next (an
// EncodePolicy result, or nil to remove the policy) does not set, sorted.
func StalePolicyKeys(current, next map[string]string) []string {
	var stale []string
	for k := range current {
		if _, keep := next[k]; keep {
			continue
		}
		if k == AttrPolicy || strings.HasPrefix(k, AttrPolicy+".") {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	return stale
}

// PolicyAPI is the part of the Cloud Map client that Policies uses.
type PolicyAPI interface {
	ListNamespaces(ctx context.Context, in *servicediscovery.ListNamespacesInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.ListNamespacesOutput, error)
	ListServices(ctx context.Context, in *servicediscovery.ListServicesInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.ListServicesOutput, error)
	GetService(ctx context.Context, in *servicediscovery.GetServiceInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.GetServiceOutput, error)
	GetServiceAttributes(ctx context.Context, in *servicediscovery.GetServiceAttributesInput, opts ...func(*servicediscovery.Options)) (*servicediscovery.GetServiceAttributesOutput, error)
}

// Policies implements mesh.PolicySource on Cloud Map service attributes. It
// needs a service's ID to read its attributes: the IDs of the namespace's
// services are listed once (ListNamespaces, ListServices) and cached, and
// listed again only for a service not in the cache or gone from Cloud Map;
// each service's namespace is confirmed once with GetService (the SDK's
// service summaries carry no namespace, and an emulator may ignore the
// NAMESPACE_ID filter). Reading a known service's policy is then one
// GetServiceAttributes call.
type Policies struct {
	api       PolicyAPI
	namespace string

	mu          sync.Mutex
	namespaceID string
	listed      map[string][]string // service name → IDs, from the last listing
	ids         map[string]string   // service name → ID, confirmed in the namespace
}

var _ mesh.PolicySource = (*Policies)(nil)

// NewPolicies returns a PolicySource for the services of namespace (its name).
func NewPolicies(api PolicyAPI, namespace string) (*Policies, error) {
	if api == nil {
		return nil, errors.New("cloudmap: API client is required")
	}
	if namespace == "" {
		return nil, errors.New("cloudmap: namespace name is required")
	}
	return &Policies{api: api, namespace: namespace}, nil
}

// Policy returns service's policy; ok is false when it has none.
func (p *Policies) Policy(ctx context.Context, service string) (mesh.Policy, bool, error) {
	id, err := p.serviceID(ctx, service)
	if err != nil {
		return mesh.Policy{}, false, err
	}
	out, err := p.api.GetServiceAttributes(ctx, &servicediscovery.GetServiceAttributesInput{ServiceId: aws.String(id)})
	if err != nil {
		if errorCode(err) == "ServiceNotFound" {
			p.forget(service)
		}
		return mesh.Policy{}, false, fmt.Errorf("cloudmap: policy of %s.%s: %s", service, p.namespace, err.Error())
	}
	if out.ServiceAttributes == nil {
		return mesh.Policy{}, false, nil
	}
	pol, ok, err := DecodePolicy(out.ServiceAttributes.Attributes)
	if err != nil {
		return mesh.Policy{}, false, fmt.Errorf("cloudmap: policy of %s.%s: %w", service, p.namespace, err)
	}
	return pol, ok, nil
}

func (p *Policies) forget(service string) {
	p.mu.Lock()
	delete(p.ids, service)
	delete(p.listed, service)
	p.mu.Unlock()
}

// serviceID returns the ID of service, listing the namespace's services when
// it is not known, and confirming the candidate's namespace with GetService
// once.
func (p *Policies) serviceID(ctx context.Context, service string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id, ok := p.ids[service]; ok {
		return id, nil
	}
	if p.namespaceID == "" {
		id, err := p.findNamespace(ctx)
		if err != nil {
			return "", err
		}
		p.namespaceID = id
	}
	if _, listed := p.listed[service]; !listed {
		if err := p.list(ctx); err != nil {
			return "", err
		}
	}
	for _, id := range p.listed[service] {
		out, err := p.api.GetService(ctx, &servicediscovery.GetServiceInput{Id: aws.String(id)})
		if err != nil {
			if errorCode(err) == "ServiceNotFound" {
				continue
			}
			return "", fmt.Errorf("cloudmap: get service %s (%s): %s", service, id, err.Error())
		}
		if out.Service != nil && aws.ToString(out.Service.NamespaceId) == p.namespaceID {
			if p.ids == nil {
				p.ids = map[string]string{}
			}
			p.ids[service] = id
			return id, nil
		}
	}
	delete(p.listed, service) // list again next time
	return "", fmt.Errorf("cloudmap: no service %s in namespace %s", service, p.namespace)
}

// list lists the namespace's services into p.listed.
func (p *Policies) list(ctx context.Context) error {
	listed := map[string][]string{}
	pages := servicediscovery.NewListServicesPaginator(p.api, &servicediscovery.ListServicesInput{
		Filters: []sdtypes.ServiceFilter{{Name: sdtypes.ServiceFilterNameNamespaceId, Values: []string{p.namespaceID}, Condition: sdtypes.FilterConditionEq}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("cloudmap: list services of %s: %s", p.namespace, err.Error())
		}
		for _, s := range page.Services {
			listed[aws.ToString(s.Name)] = append(listed[aws.ToString(s.Name)], aws.ToString(s.Id))
		}
	}
	p.listed = listed
	return nil
}

func (p *Policies) findNamespace(ctx context.Context) (string, error) {
	pages := servicediscovery.NewListNamespacesPaginator(p.api, &servicediscovery.ListNamespacesInput{
		Filters: []sdtypes.NamespaceFilter{{Name: sdtypes.NamespaceFilterNameName, Values: []string{p.namespace}, Condition: sdtypes.FilterConditionEq}},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("cloudmap: find namespace %s: %s", p.namespace, err.Error())
		}
		for _, ns := range page.Namespaces {
			if aws.ToString(ns.Name) == p.namespace {
				return aws.ToString(ns.Id), nil
			}
		}
	}
	return "", fmt.Errorf("cloudmap: no namespace named %s", p.namespace)
}

// errorCode returns the API error code of err, if it has one.
func errorCode(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	return ""
}
