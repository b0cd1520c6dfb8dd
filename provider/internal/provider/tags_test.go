package provider

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func mapValue(t *testing.T, m map[string]string) types.Map {
	t.Helper()
	if m == nil {
		return types.MapNull(types.StringType)
	}
	v, diags := types.MapValueFrom(context.Background(), types.StringType, m)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return v
}

func TestTagsFromAWS(t *testing.T) {
	ctx := context.Background()
	defaults := map[string]string{"team": "edge", "env": "prod"}
	tests := []struct {
		name     string
		have     map[string]string
		prior    map[string]string
		wantTags map[string]string // nil: null
		wantAll  map[string]string
	}{
		{"defaults only", map[string]string{"team": "edge", "env": "prod"}, nil, nil, map[string]string{"team": "edge", "env": "prod"}},
		{"own tag over a default", map[string]string{"team": "core", "env": "prod"}, map[string]string{"team": "core"},
			map[string]string{"team": "core"}, map[string]string{"team": "core", "env": "prod"}},
		{"tag added outside Terraform shows", map[string]string{"team": "edge", "env": "prod", "owner": "bob"}, nil,
			map[string]string{"owner": "bob"}, map[string]string{"team": "edge", "env": "prod", "owner": "bob"}},
		{"default changed outside Terraform shows", map[string]string{"team": "edge", "env": "dev"}, nil,
			map[string]string{"env": "dev"}, map[string]string{"team": "edge", "env": "dev"}},
		{"own tag removed outside Terraform", map[string]string{"team": "edge", "env": "prod"}, map[string]string{"cost": "42"},
			map[string]string{}, map[string]string{"team": "edge", "env": "prod"}},
		{"reserved tags hidden", map[string]string{"aws:cloudformation:stack-name": "x", "portico:filename": "f.zip", "cost": "1"},
			map[string]string{"cost": "1"}, map[string]string{"cost": "1"}, map[string]string{"cost": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tags, all, diags := tagsFromAWS(ctx, tt.have, defaults, mapValue(t, tt.prior))
			if diags.HasError() {
				t.Fatal(diags)
			}
			gotTags, _ := mapStrings(ctx, tags)
			if (tt.wantTags == nil) != tags.IsNull() || !maps.Equal(gotTags, tt.wantTags) {
				t.Errorf("got tags %v (null %v), want %v", gotTags, tags.IsNull(), tt.wantTags)
			}
			gotAll, _ := mapStrings(ctx, all)
			if !maps.Equal(gotAll, tt.wantAll) {
				t.Errorf("got tags_all %v, want %v", gotAll, tt.wantAll)
			}
		})
	}
}

// fakeTagger records the tagging calls.
type fakeTagger struct {
	tags  map[string]string
	calls []string
}

func (f *fakeTagger) listTags(context.Context, string) (map[string]string, error) {
	return maps.Clone(f.tags), nil
}

func (f *fakeTagger) tag(_ context.Context, _ string, tags map[string]string) error {
	keys := slices.Sorted(maps.Keys(tags))
	f.calls = append(f.calls, "tag "+strings.Join(keys, ","))
	maps.Copy(f.tags, tags)
	return nil
}

func (f *fakeTagger) untag(_ context.Context, _ string, keys []string) error {
	f.calls = append(f.calls, "untag "+strings.Join(keys, ","))
	for _, k := range keys {
		delete(f.tags, k)
	}
	return nil
}

func TestSyncTags(t *testing.T) {
	f := &fakeTagger{tags: map[string]string{"a": "1", "b": "2", "portico:filename": "x.zip", "aws:x": "y"}}
	if err := syncTags(context.Background(), f, "arn", f.tags, map[string]string{"a": "1", "b": "3", "c": "4"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"tag b,c"}; !slices.Equal(f.calls, want) {
		t.Fatalf("got calls %v, want %v", f.calls, want)
	}
	f.calls = nil
	if err := syncTags(context.Background(), f, "arn", f.tags, map[string]string{"c": "4"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"untag a,b"}; !slices.Equal(f.calls, want) {
		t.Fatalf("got calls %v, want %v (reserved tags untouched)", f.calls, want)
	}
	if f.tags["portico:filename"] != "x.zip" {
		t.Fatalf("got tags %v, want portico:filename kept", f.tags)
	}
}

func TestCheckAccount(t *testing.T) {
	tests := []struct {
		name               string
		allowed, forbidden []string
		ok                 bool
	}{
		{"no lists", nil, nil, true},
		{"allowed", []string{"111111111111", "123456789012"}, nil, true},
		{"not allowed", []string{"111111111111"}, nil, false},
		{"forbidden", nil, []string{"123456789012"}, false},
		{"not forbidden", nil, []string{"111111111111"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkAccount("123456789012", tt.allowed, tt.forbidden)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok %v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "nothing was read or changed") {
				t.Fatalf("got %q, want it to say nothing was touched", err)
			}
		})
	}
}

func TestMergeTags(t *testing.T) {
	got := mergeTags(map[string]string{"a": "1", "b": "2"}, map[string]string{"b": "3"})
	if want := map[string]string{"a": "1", "b": "3"}; !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := mergeTags(nil, nil); got == nil || len(got) != 0 {
		t.Fatalf("got %v, want an empty map", got)
	}
}
