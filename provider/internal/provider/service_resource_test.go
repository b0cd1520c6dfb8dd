package provider

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
)

func TestServiceSchema(t *testing.T) {
	s := resourceSchema(t, NewServiceResource())
	checkRequiresReplace(t, s, map[string]bool{"name": true, "namespace_id": true})
}

func TestSetService(t *testing.T) {
	tests := []struct {
		name     string
		in       sdtypes.Service
		wantDesc *string
	}{
		{"with description", sdtypes.Service{Id: aws.String("srv-1"), Name: aws.String("users"), NamespaceId: aws.String("ns-1"),
			Arn: aws.String("arn:aws:servicediscovery:us-east-1:1:service/srv-1"), Description: aws.String("users backend")}, aws.String("users backend")},
		// Cloud Map (and MiniStack, as JSON null) report no description as
		// absent: it must stay null, not "", or every plan would show a diff.
		{"without description", sdtypes.Service{Id: aws.String("srv-2"), Name: aws.String("orders"), NamespaceId: aws.String("ns-1")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m ServiceResourceModel
			setService(&m, &tt.in)
			if got, want := m.ID.ValueString(), aws.ToString(tt.in.Id); got != want {
				t.Errorf("id: got %q, want %q", got, want)
			}
			if got, want := m.NamespaceID.ValueString(), aws.ToString(tt.in.NamespaceId); got != want {
				t.Errorf("namespace_id: got %q, want %q", got, want)
			}
			if tt.wantDesc == nil && !m.Description.IsNull() {
				t.Errorf("description: got %q, want null", m.Description.ValueString())
			}
			if tt.wantDesc != nil && m.Description.ValueString() != *tt.wantDesc {
				t.Errorf("description: got %q, want %q", m.Description.ValueString(), *tt.wantDesc)
			}
		})
	}
}

func TestServiceImport(t *testing.T) {
	if got := importedString(t, &ServiceResource{}, "srv-abc123", "id"); got != "srv-abc123" {
		t.Errorf("imported id: got %q, want srv-abc123", got)
	}
}
