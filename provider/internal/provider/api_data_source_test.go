package provider

import (
	"testing"
)

func TestChooseStage(t *testing.T) {
	tests := []struct {
		name      string
		requested string
		stages    []string
		want      string
		wantErr   string
	}{
		{"only stage", "", []string{"prod"}, "prod", ""},
		{"default stage", "", []string{"prod", "v1"}, "v1", ""},
		{"first by name", "", []string{"prod", "dev"}, "dev", ""},
		{"requested", "prod", []string{"prod", "v1"}, "prod", ""},
		{"no stage", "", nil, "", `REST API abc123 has no stage; deploy it first (portico_api deploys to "v1")`},
		{"requested missing", "test", []string{"v1", "prod"}, "", `REST API abc123 has no stage "test"; its stages are prod, v1`},
		{"requested, no stages", "v1", nil, "", `REST API abc123 has no stage "v1"; it has no stages at all (deploy it first)`},
	}
	for _, tt := range tests {
		got, err := chooseStage("abc123", tt.requested, tt.stages)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.wantErr {
			t.Errorf("%s: got %q, error %q; want %q, error %q", tt.name, got, gotErr, tt.want, tt.wantErr)
		}
	}
}
