package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The demo payment service's descriptor set, and the transcoder's test set
// (whose TestService has client-streaming methods).
const (
	paymentsSet = "../../../localstack/grpcpay/payments.binpb"
	testSet     = "../../../pkg/transcode/testdata/test.binpb"
)

func TestGRPCDescriptorsSchema(t *testing.T) {
	s := resourceSchema(t, NewGRPCDescriptorsResource())
	checkRequiresReplace(t, s, map[string]bool{"table_name": true, "name": true})
}

func fileHash(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return descriptorHash(b)
}

func TestGRPCDescriptorsValidateConfig(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.binpb")
	big := filepath.Join(dir, "big.binpb")
	if err := os.WriteFile(garbage, []byte("not a descriptor set"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, maxDescriptorBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, set, file, hash, want string
	}{
		{"valid", "payments", paymentsSet, fileHash(t, paymentsSet), ""},
		// Built later in the same run: checked at apply.
		{"missing file", "payments", filepath.Join(dir, "none.binpb"), "x", ""},
		{"not a descriptor set", "payments", garbage, fileHash(t, garbage), "garbage.binpb"},
		{"larger than an item", "payments", big, fileHash(t, big), "a DynamoDB item holds 400 KB"},
		{"stale hash", "payments", paymentsSet, fileHash(t, testSet), "source_hash = filebase64sha256(filename)"},
		{"bad name", "pay ments", paymentsSet, fileHash(t, paymentsSet), `"pay ments": want 1 to 64 letters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &GRPCDescriptorsResource{}
			s := resourceSchema(t, r)
			raw := tftypes.NewValue(s.Type().TerraformType(context.Background()), map[string]tftypes.Value{
				"id":          tftypes.NewValue(tftypes.String, nil),
				"table_name":  tftypes.NewValue(tftypes.String, "state"),
				"name":        tftypes.NewValue(tftypes.String, tt.set),
				"filename":    tftypes.NewValue(tftypes.String, tt.file),
				"source_hash": tftypes.NewValue(tftypes.String, tt.hash),
				"services":    tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, nil),
			})
			cfg := tfsdk.Config{Schema: s, Raw: raw}
			var resp resource.ValidateConfigResponse
			r.ValidateConfig(context.Background(), resource.ValidateConfigRequest{Config: cfg}, &resp)
			// Attribute validators run in the framework, not in ValidateConfig.
			var vresp validator.StringResponse
			descriptorsNameValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("name"), ConfigValue: types.StringValue(tt.set)}, &vresp)
			resp.Diagnostics.Append(vresp.Diagnostics...)
			got := errorText(resp.Diagnostics.Errors())
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("got errors %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGRPCDescriptorsImport(t *testing.T) {
	r := &GRPCDescriptorsResource{}
	if got := importedString(t, r, "portico-state/payments", "name"); got != "payments" {
		t.Errorf("got name %q, want payments", got)
	}
	if got := importedString(t, r, "portico-state/payments", "table_name"); got != "portico-state" {
		t.Errorf("got table_name %q, want portico-state", got)
	}
}

// The route table checks its gRPC routes against the descriptor files at
// plan time, as the aggregator will when it loads the table.
func TestRouteTableValidateGRPCRoutes(t *testing.T) {
	doc := func(routes string) tftypes.Value {
		return tftypes.NewValue(tftypes.String, `{"version":1,"routes":[`+routes+`]}`)
	}
	files := func(m map[string]string) tftypes.Value {
		if m == nil {
			return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, nil)
		}
		v := map[string]tftypes.Value{}
		for k, f := range m {
			v[k] = tftypes.NewValue(tftypes.String, f)
		}
		return tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, v)
	}
	charge := `{"id":"charge","match":{"path":"/api/v1/payments","methods":["POST"]},"grpc":{"service":"payment-grpc-service","descriptors":"payments","method":"payments.v1.PaymentService/Charge","body":"*"}}`
	tests := []struct {
		name           string
		doc, files     tftypes.Value
		error, warning string
	}{
		{"fits", doc(charge), files(map[string]string{"payments": paymentsSet}), "", ""},
		{"not checked", doc(charge), files(nil), "", "gRPC routes not checked at plan time"},
		{"unknown set", doc(charge), files(map[string]string{"other": paymentsSet}), `no descriptor set "payments"`, ""},
		{"unknown method", doc(strings.Replace(charge, "/Charge", "/Refund", 1)), files(map[string]string{"payments": paymentsSet}), "no such method", ""},
		{"client streaming", doc(`{"id":"up","match":{"path":"/v1/upload","methods":["POST"]},"grpc":{"service":"s","descriptors":"test","method":"portico.transcode.test.v1.TestService/Upload","body":"*"}}`),
			files(map[string]string{"test": testSet}), "client-streaming", ""},
		{"file not built yet", doc(charge), files(map[string]string{"payments": "/nonexistent/payments.binpb"}), "", "does not exist yet"},
		{"file unknown until apply", doc(charge), tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{"payments": tftypes.NewValue(tftypes.String, tftypes.UnknownValue)}), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diags := validateRouteTableConfigWith(t, tt.doc, tt.files)
			errs, warns := errorText(diags.Errors()), errorText(diags.Warnings())
			if (tt.error == "") != (errs == "") || !strings.Contains(errs, tt.error) {
				t.Fatalf("got errors %q, want %q", errs, tt.error)
			}
			if (tt.warning == "") != (warns == "") || !strings.Contains(warns, tt.warning) {
				t.Fatalf("got warnings %q, want %q", warns, tt.warning)
			}
		})
	}
}

// services is known at plan time when the file exists then, and the
// apply checks a file that did not.
func TestGRPCDescriptorsPlanAndApply(t *testing.T) {
	ctx := context.Background()
	r := &GRPCDescriptorsResource{clients: &Clients{}}
	s := resourceSchema(t, r)
	missing := filepath.Join(t.TempDir(), "later.binpb")
	plan := func(file string, hash types.String) GRPCDescriptorsResourceModel {
		return GRPCDescriptorsResourceModel{ID: types.StringUnknown(), TableName: types.StringValue("state"), Name: types.StringValue("payments"),
			Filename: types.StringValue(file), SourceHash: hash, Services: types.ListUnknown(types.StringType)}
	}
	tests := []struct {
		name         string
		plan         GRPCDescriptorsResourceModel
		wantServices []string // nil: unknown
	}{
		{"file exists", plan(paymentsSet, types.StringValue(fileHash(t, paymentsSet))), []string{"payments.v1.PaymentService"}},
		{"file not built yet", plan(missing, types.StringUnknown()), nil},
		{"file and hash disagree", plan(paymentsSet, types.StringValue(fileHash(t, testSet))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := resource.ModifyPlanRequest{State: tfState(t, s, nil), Plan: tfPlan(t, s, &tt.plan), Config: tfsdk.Config{Schema: s, Raw: tfPlan(t, s, &tt.plan).Raw}}
			resp := resource.ModifyPlanResponse{Plan: req.Plan}
			r.ModifyPlan(ctx, req, &resp)
			noErrors(t, "ModifyPlan", resp.Diagnostics)
			var got GRPCDescriptorsResourceModel
			noErrors(t, "plan", resp.Plan.Get(ctx, &got))
			if tt.wantServices == nil {
				if !got.Services.IsUnknown() {
					t.Fatalf("services: got %v, want unknown until apply", got.Services)
				}
				return
			}
			var services []string
			noErrors(t, "services", got.Services.ElementsAs(ctx, &services, false))
			if strings.Join(services, ",") != strings.Join(tt.wantServices, ",") {
				t.Fatalf("services: got %v, want %v", services, tt.wantServices)
			}
		})
	}

	// At apply the file must exist and have the planned hash; both are
	// checked before anything is written.
	for _, tt := range []struct {
		name string
		plan GRPCDescriptorsResourceModel
		want string
	}{
		{"still missing", plan(missing, types.StringUnknown()), "no such file"},
		{"changed since the plan", plan(paymentsSet, types.StringValue(fileHash(t, testSet))), "changed since"},
	} {
		t.Run("apply "+tt.name, func(t *testing.T) {
			resp := resource.CreateResponse{State: tfState(t, s, nil)}
			r.Create(ctx, resource.CreateRequest{Plan: tfPlan(t, s, &tt.plan)}, &resp)
			wantError(t, "Create", resp.Diagnostics, tt.want)
		})
	}
}
