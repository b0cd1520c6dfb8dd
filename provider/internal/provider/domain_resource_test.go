package provider

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestDomainURL(t *testing.T) {
	for _, tt := range []struct{ name, base, want string }{
		{"api.example.com", "", "https://api.example.com"},
		{"api.example.com", "v1", "https://api.example.com/v1"},
	} {
		if got := domainURL(tt.name, tt.base); got != tt.want {
			t.Errorf("domainURL(%q, %q): got %q, want %q", tt.name, tt.base, got, tt.want)
		}
	}
	if got := apiBasePath(""); got != "(none)" {
		t.Errorf("empty base path: got %q, want (none)", got)
	}
}

// A new certificate or security policy changes the name in place.
func TestDomainPatch(t *testing.T) {
	state := DomainResourceModel{CertificateARN: types.StringValue("arn:aws:acm:eu-west-1:123456789012:certificate/a"), SecurityPolicy: types.StringValue("TLS_1_2")}
	plan := state
	if ops := domainPatch(plan, state); len(ops) != 0 {
		t.Fatalf("no change: got %d operations, want none", len(ops))
	}
	plan.CertificateARN = types.StringValue("arn:aws:acm:eu-west-1:123456789012:certificate/b")
	plan.SecurityPolicy = types.StringValue("TLS_1_0")
	var got []string
	for _, op := range domainPatch(plan, state) {
		got = append(got, aws.ToString(op.Path)+"="+aws.ToString(op.Value))
	}
	want := []string{"/regionalCertificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/b", "/securityPolicy=TLS_1_0"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
