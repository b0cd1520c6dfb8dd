package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// oasSchemaID is the $id of testdata/openapi-3.1-schema.json.
const oasSchemaID = "https://spec.openapis.org/oas/3.1/schema/2022-10-07"

// validateOpenAPI validates doc against the OpenAPI 3.1 schema, and every
// schema in its components against JSON Schema 2020-12 (the OpenAPI schema
// leaves schema objects to the dialect).
func validateOpenAPI(t *testing.T, doc []byte) {
	t.Helper()
	f, err := os.Open("testdata/openapi-3.1-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(oasSchemaID, schemaDoc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(oasSchemaID)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("got a document that is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("got a document the OpenAPI 3.1 schema refuses:\n%v", err)
	}
	// Each schema of the components compiles as JSON Schema 2020-12, which
	// checks it against the draft's meta-schema and resolves its $refs.
	sc := jsonschema.NewCompiler()
	sc.DefaultDraft(jsonschema.Draft2020)
	if err := sc.AddResource("mem://openapi.json", inst); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for name := range d.Components.Schemas {
		if _, err := sc.Compile("mem://openapi.json#/components/schemas/" + strings.ReplaceAll(name, "/", "~1")); err != nil {
			t.Errorf("schema %s: got %v, want a valid JSON Schema 2020-12", name, err)
		}
	}
}

func TestOpenAPIIsValid(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		notes string // a substring of standard error
	}{
		{"with the descriptor sets", []string{"--descriptors", payments, "--server", "https://api.example.com/prod"}, ""},
		{"without them", nil, `descriptor set "payments" not given`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, Env{}, append([]string{"openapi", "--routes", demoRoutes}, tt.args...)...)
			if code != ExitOK || !strings.Contains(errOut, tt.notes) {
				t.Fatalf("got exit %d, stderr %q; want 0 and notes with %q", code, errOut, tt.notes)
			}
			validateOpenAPI(t, []byte(out))
		})
	}
}

// TestOpenAPIContent: what the document says about the demo's routes.
func TestOpenAPIContent(t *testing.T) {
	code, out, errOut := run(t, Env{}, "openapi", "--routes", demoRoutes, "--descriptors", "payments="+payments)
	if code != ExitOK {
		t.Fatalf("got exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = doc
		for _, p := range path {
			switch t := v.(type) {
			case map[string]any:
				v = t[p]
			case []any:
				i, err := strconv.Atoi(p)
				if err != nil || i >= len(t) {
					return nil
				}
				v = t[i]
			default:
				return nil
			}
		}
		return v
	}
	tests := []struct {
		name string
		got  any
		want string // JSON
	}{
		{"openapi version", get("openapi"), `"3.1.1"`},
		{"info version from the revision", get("info", "version"), `"demo"`},
		{"bearer security", get("components", "securitySchemes", "bearerAuth"), `{"bearerFormat":"JWT","scheme":"bearer","type":"http"}`},
		{"an optional API key", get("security"), `[{"bearerAuth":[]},{"apiKey":[],"bearerAuth":[]}]`},
		{"a GET-only route lists GET only", len(get("paths", "/api/v1/products").(map[string]any)), `1`},
		{"405 where methods are listed", get("paths", "/api/v1/products", "get", "responses", "405"), `{"$ref":"#/components/responses/MethodNotAllowed"}`},
		{"429 with the RateLimit fields", get("components", "responses", "TooManyRequests", "headers", "RateLimit-Policy"), `{"$ref":"#/components/headers/RateLimit-Policy"}`},
		{"a permission's 403", get("paths", "/api/v1/orders", "post", "responses", "403", "description"), `"the caller lacks one of the roles admin, clerk, or an address rule refuses it"`},
		{"a path parameter", get("paths", "/api/v1/orders/{id}", "get", "parameters"), `[{"in":"path","name":"id","required":true,"schema":{"type":"string"}}]`},
		{"a cached route's query", get("paths", "/api/v1/search", "get", "parameters"),
			`[{"description":"enters the cache key; other query parameters never reach the backend of this cached route","in":"query","name":"q","schema":{"type":"string"}}]`},
		{"header variants share an operation", get("paths", "/api/v1/users", "get", "x-portico-routes"), `["users","users-v2"]`},
		{"the variant's header is optional", get("paths", "/api/v1/users", "get", "parameters"),
			`[{"description":"route users-v2: equals \"2\" (without case)","in":"header","name":"X-Api-Version","required":false,"schema":{"type":"string"}}]`},
		{"a gRPC request body", get("paths", "/api/v1/payments", "post", "requestBody", "content", "application/json", "schema"), `{"$ref":"#/components/schemas/payments.v1.ChargeRequest"}`},
		{"an int64 field", get("components", "schemas", "payments.v1.ChargeRequest", "properties", "amount", "type"), `["string","integer"]`},
		{"a map field", get("components", "schemas", "payments.v1.ChargeRequest", "properties", "metadata"), `{"additionalProperties":{"type":"string"},"type":"object"}`},
		{"an enum by name", get("components", "schemas", "payments.v1.Payment", "properties", "status", "enum"),
			`["PAYMENT_STATUS_UNSPECIFIED","PAYMENT_STATUS_SUCCEEDED","PAYMENT_STATUS_DECLINED"]`},
		{"a timestamp", get("components", "schemas", "payments.v1.Payment", "properties", "createdAt"), `{"format":"date-time","type":"string"}`},
		{"an annotated path with its prefix", get("paths", "/api/v1/grpc/v1/payments/{payment_id}", "get", "operationId"), `"payments-grpc-GetPayment-get"`},
		{"a server-streaming method answers an array", get("paths", "/api/v1/grpc/v1/payments", "get", "responses", "200", "content", "application/json", "schema"),
			`{"items":{"$ref":"#/components/schemas/payments.v1.Payment"},"type":"array"}`},
		{"query parameters of a body-less gRPC GET", len(get("paths", "/api/v1/grpc/v1/payments", "get", "parameters").([]any)), `2`},
		{"a composite answer", get("paths", "/user-dashboard", "get", "responses", "200", "content", "application/json", "schema", "required"), `null`},
		{"a prefix that a parameterised path shadows", get("paths", "/api/v1/orders/{path}"), `null`},
		{"its operations join that path", get("paths", "/api/v1/orders/{id}", "post", "x-portico-routes"), `["orders"]`},
		{"with the path's parameter name", get("paths", "/api/v1/orders/{id}", "post", "parameters", "0", "name"), `"id"`},
		{"a prefix route's subpaths", get("paths", "/api/v1/products/{path}", "get", "x-portico-prefix"), `true`},
	}
	for _, tt := range tests {
		b, _ := json.Marshal(tt.got)
		if string(b) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, b, tt.want)
		}
	}
}

var openapiFile = flag.String("openapi", "", "an OpenAPI document to validate (make demo-docs passes the demo's); empty validates one generated from testdata")

// TestOpenAPIOfFile validates the document make demo-docs wrote for the demo
// (go test -run TestOpenAPIOfFile ./internal/cli -args -openapi=FILE), or,
// without the flag, the one the testdata route table gives.
func TestOpenAPIOfFile(t *testing.T) {
	var doc []byte
	if *openapiFile != "" {
		b, err := os.ReadFile(*openapiFile)
		if err != nil {
			t.Fatal(err)
		}
		doc = b
	} else {
		code, out, errOut := run(t, Env{}, "openapi", "--routes", demoRoutes, "--descriptors", payments)
		if code != ExitOK {
			t.Fatalf("got exit %d: %s", code, errOut)
		}
		doc = []byte(out)
	}
	validateOpenAPI(t, doc)
}
