package provider

import (
	"context"
	"maps"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
)

func TestServiceInstanceSchema(t *testing.T) {
	s := resourceSchema(t, NewServiceInstanceResource())
	checkRequiresReplace(t, s, map[string]bool{"service_id": true, "instance_id": true})
}

func TestServiceInstanceValidators(t *testing.T) {
	s := resourceSchema(t, NewServiceInstanceResource())
	addrTests := []struct {
		addr    string
		wantErr bool
	}{
		{"10.0.0.7", false},
		{"192.168.1.255", false},
		{"10.0.0.256", true},
		{"::1", true},
		{"backend.local", true},
		{"", true},
	}
	for _, tt := range addrTests {
		diags := validateString(t, s, "address", tt.addr)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("address=%q: got error %v, want %v (%s)", tt.addr, got, tt.wantErr, errorText(diags))
		}
	}
	portTests := []struct {
		port    int64
		wantErr bool
	}{
		{0, true}, {1, false}, {8080, false}, {65535, false}, {65536, true},
	}
	for _, tt := range portTests {
		diags := validateInt64(t, s, "port", tt.port)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("port=%d: got error %v, want %v (%s)", tt.port, got, tt.wantErr, errorText(diags))
		}
	}
	attrTests := []struct {
		name    string
		attrs   map[string]string
		wantErr bool
	}{
		{"custom", map[string]string{"version": "1.2.3", "zone": "a"}, false},
		{"empty", map[string]string{}, false},
		{"ipv4", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1"}, true},
		{"port", map[string]string{"version": "1", "AWS_INSTANCE_PORT": "80"}, true},
	}
	for _, tt := range attrTests {
		diags := validateMap(t, s, "attributes", tt.attrs)
		if got := diags.HasError(); got != tt.wantErr {
			t.Errorf("attributes %s: got error %v, want %v (%s)", tt.name, got, tt.wantErr, errorText(diags))
		}
	}
}

func TestParseInstanceImportID(t *testing.T) {
	tests := []struct {
		id                    string
		wantService, wantInst string
		wantErr               bool
	}{
		{"srv-abc/users-1", "srv-abc", "users-1", false},
		{"srv-abc", "", "", true},
		{"/users-1", "", "", true},
		{"srv-abc/", "", "", true},
		{"srv-abc/users/1", "", "", true},
		{"", "", "", true},
	}
	for _, tt := range tests {
		svc, inst, err := parseInstanceImportID(tt.id)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseInstanceImportID(%q): got error %v, want error %v", tt.id, err, tt.wantErr)
			continue
		}
		if svc != tt.wantService || inst != tt.wantInst {
			t.Errorf("parseInstanceImportID(%q): got %q, %q; want %q, %q", tt.id, svc, inst, tt.wantService, tt.wantInst)
		}
		if !tt.wantErr && instanceImportID(svc, inst) != tt.id {
			t.Errorf("instanceImportID(%q, %q): got %q, want %q", svc, inst, instanceImportID(svc, inst), tt.id)
		}
	}
}

func TestServiceInstanceImport(t *testing.T) {
	r := &ServiceInstanceResource{}
	for attr, want := range map[string]string{"id": "srv-abc/users-1", "service_id": "srv-abc", "instance_id": "users-1"} {
		if got := importedString(t, r, "srv-abc/users-1", attr); got != want {
			t.Errorf("imported %s: got %q, want %q", attr, got, want)
		}
	}

	s := resourceSchema(t, r)
	resp := resource.ImportStateResponse{State: emptyState(s)}
	r.ImportState(context.Background(), resource.ImportStateRequest{ID: "users-1"}, &resp)
	if !resp.Diagnostics.HasError() {
		t.Errorf("ImportState(%q): got no error, want one", "users-1")
	}
}

func TestInstanceAttributesRoundTrip(t *testing.T) {
	custom := map[string]string{"version": "1.2.3"}
	attrs := instanceAttributes(custom, "10.0.0.7", 8080)
	want := map[string]string{"version": "1.2.3", "AWS_INSTANCE_IPV4": "10.0.0.7", "AWS_INSTANCE_PORT": "8080"}
	if !maps.Equal(attrs, want) {
		t.Errorf("instanceAttributes: got %v, want %v", attrs, want)
	}
	if _, ok := custom["AWS_INSTANCE_IPV4"]; ok {
		t.Errorf("instanceAttributes modified its input: got %v", custom)
	}
	gotCustom, addr, port, err := splitInstanceAttributes(attrs)
	if err != nil {
		t.Fatalf("splitInstanceAttributes: %v", err)
	}
	if !maps.Equal(gotCustom, custom) || addr != "10.0.0.7" || port != 8080 {
		t.Errorf("splitInstanceAttributes: got %v, %q, %d; want %v, 10.0.0.7, 8080", gotCustom, addr, port, custom)
	}
	if _, _, _, err := splitInstanceAttributes(map[string]string{"AWS_INSTANCE_PORT": "http"}); err == nil {
		t.Errorf("splitInstanceAttributes with port %q: got no error, want one", "http")
	}
}
