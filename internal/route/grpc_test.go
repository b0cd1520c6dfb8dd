package route

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-gw/portico/pkg/transcode"
)

const testService = "portico.transcode.test.v1.TestService"

func grpcDoc(routes string) string {
	return `{"version": 1, "routes": [` + routes + `]}`
}

func TestGRPCValidation(t *testing.T) {
	const ok = `"service": "test-grpc", "descriptors": "test"`
	tests := []struct {
		name  string
		route string
		want  string // "" means valid
	}{
		{"method", `{"id": "a", "match": {"path": "/v1/echo", "methods": ["POST"]}, "grpc": {` + ok + `, "method": "` + testService + `/Echo", "body": "*"}}`, ""},
		{"annotations", `{"id": "a", "match": {"pathPrefix": "/api/grpc"}, "stripPrefix": "/api/grpc", "grpc": {` + ok + `, "annotations": "` + testService + `"}}`, ""},
		{"service too", `{"id": "a", "match": {"path": "/x", "methods": ["POST"]}, "service": "s", "grpc": {` + ok + `, "method": "p.S/M"}}`, "only one"},
		{"no target", `{"id": "a", "match": {"path": "/x", "methods": ["POST"]}, "grpc": {` + ok + `}}`, "set method or annotations"},
		{"both targets", `{"id": "a", "match": {"path": "/x", "methods": ["POST"]}, "grpc": {` + ok + `, "method": "p.S/M", "annotations": "p.S"}}`, "set method or annotations"},
		{"bad method", `{"id": "a", "match": {"path": "/x", "methods": ["POST"]}, "grpc": {` + ok + `, "method": "p.S.M"}}`, "want package.Service/Method"},
		{"no methods", `{"id": "a", "match": {"path": "/x"}, "grpc": {` + ok + `, "method": "p.S/M"}}`, "match.methods"},
		{"prefix with method", `{"id": "a", "match": {"pathPrefix": "/x", "methods": ["POST"]}, "grpc": {` + ok + `, "method": "p.S/M"}}`, "not pathPrefix"},
		{"strip with method", `{"id": "a", "match": {"path": "/x/y", "methods": ["POST"]}, "stripPrefix": "/x", "grpc": {` + ok + `, "method": "p.S/M"}}`, "stripPrefix"},
		{"body with annotations", `{"id": "a", "match": {"pathPrefix": "/x"}, "grpc": {` + ok + `, "annotations": "p.S", "body": "*"}}`, "only with method"},
		{"bad body", `{"id": "a", "match": {"path": "/x", "methods": ["POST"]}, "grpc": {` + ok + `, "method": "p.S/M", "body": "a.b"}}`, "grpc.body"},
		{"bad service", `{"id": "a", "match": {"path": "/x", "methods": ["POST"]}, "grpc": {"service": "a:80", "descriptors": "d", "method": "p.S/M"}}`, "grpc.service"},
		{"no descriptors", `{"id": "a", "match": {"path": "/x", "methods": ["POST"]}, "grpc": {"service": "s", "method": "p.S/M"}}`, "grpc.descriptors"},
		{"unknown field", `{"id": "a", "match": {"path": "/x", "methods": ["POST"]}, "grpc": {` + ok + `, "method": "p.S/M", "verb": "x"}}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(grpcDoc(tt.route)))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want a valid document", err)
			case tt.want != "" && (err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

func loadTestDescriptors(t *testing.T) *transcode.Descriptors {
	t.Helper()
	b, err := os.ReadFile("../../pkg/transcode/testdata/test.binpb")
	if err != nil {
		t.Fatal(err)
	}
	d, err := transcode.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTableGRPC(t *testing.T) {
	sets := map[string]*transcode.Descriptors{"test": loadTestDescriptors(t)}
	route := func(id, grpc string) string {
		return `{"id": "` + id + `", "match": {"path": "/v1/` + id + `/{f_string}", "methods": ["POST", "PUT"]}, "grpc": {"service": "test-grpc", ` + grpc + `}}`
	}
	tests := []struct {
		name    string
		routes  string
		wantErr error  // nil means valid
		wantMsg string // in the error
		want    map[string][]string
	}{
		{
			name:   "method and annotations",
			routes: route("echo", `"descriptors": "test", "method": "`+testService+`/Echo", "body": "*"`) + `,` + `{"id": "ann", "match": {"pathPrefix": "/g"}, "stripPrefix": "/g", "grpc": {"service": "test-grpc", "descriptors": "test", "annotations": "` + testService + `"}}`,
			want: map[string][]string{
				"echo": {"POST /v1/echo/{f_string} → " + testService + "/Echo", "PUT /v1/echo/{f_string} → " + testService + "/Echo"},
			},
		},
		{name: "unknown set", routes: route("echo", `"descriptors": "other", "method": "`+testService+`/Echo"`), wantErr: ErrDescriptors, wantMsg: `no descriptor set "other"`},
		{name: "unknown method", routes: route("echo", `"descriptors": "test", "method": "`+testService+`/Nope"`), wantErr: transcode.ErrNoMethod},
		{name: "client streaming", routes: route("upload", `"descriptors": "test", "method": "`+testService+`/Upload", "body": "*"`), wantErr: transcode.ErrStreaming},
		{name: "path variable not a field", routes: `{"id": "x", "match": {"path": "/v1/x/{nope}", "methods": ["GET"]}, "grpc": {"service": "s", "descriptors": "test", "method": "` + testService + `/Echo"}}`, wantErr: transcode.ErrRoute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbl := mustParse(t, grpcDoc(tt.routes))
			got, err := tbl.GRPC(sets)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrDescriptors) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("got %v, want an ErrDescriptors error wrapping %v with %q", err, tt.wantErr, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for id, want := range tt.want {
				var s []string
				for _, r := range got[id] {
					s = append(s, r.String())
				}
				if !slices.Equal(s, want) {
					t.Errorf("route %s: got %q, want %q", id, s, want)
				}
			}
			if ann := got["ann"]; tt.name == "method and annotations" && len(ann) < 3 {
				t.Errorf("annotated route: got %d routes, want every annotation of %s", len(ann), testService)
			}
		})
	}
}

func TestDescriptorSets(t *testing.T) {
	tbl := mustParse(t, grpcDoc(`{"id": "a", "match": {"path": "/a", "methods": ["GET"]}, "grpc": {"service": "s", "descriptors": "zeta", "method": "p.S/M"}},
	 {"id": "b", "match": {"path": "/b", "methods": ["GET"]}, "grpc": {"service": "s", "descriptors": "alpha", "method": "p.S/M"}},
	 {"id": "c", "match": {"path": "/c", "methods": ["GET"]}, "grpc": {"service": "s", "descriptors": "zeta", "method": "p.S/N"}},
	 {"id": "d", "match": {"pathPrefix": "/d"}, "service": "s"}`))
	if got, want := tbl.DescriptorSets(), []string{"alpha", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := len(tbl.GRPCRoutes()); got != 3 {
		t.Fatalf("got %d gRPC routes, want 3", got)
	}
}

// A gRPC route's explicit timeout raises its backend's per-try timeout, as a
// service route's does.
func TestServiceTimeoutsIncludeGRPCRoutes(t *testing.T) {
	tbl := mustParse(t, grpcDoc(
		`{"id": "slow", "match": {"path": "/v1/slow", "methods": ["POST"]}, "timeout": "12s", "grpc": {"service": "slow-grpc", "descriptors": "test", "method": "`+testService+`/Echo", "body": "*"}},`+
			`{"id": "plain", "match": {"path": "/v1/plain", "methods": ["POST"]}, "grpc": {"service": "plain-grpc", "descriptors": "test", "method": "`+testService+`/Echo", "body": "*"}}`))
	got := tbl.ServiceTimeouts()
	if got["slow-grpc"] != 12*time.Second || len(got) != 1 {
		t.Fatalf("got %v, want slow-grpc 12s only (plain-grpc sets no timeout)", got)
	}
}
