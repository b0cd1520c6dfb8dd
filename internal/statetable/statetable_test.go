package statetable

import (
	"strings"
	"testing"

	"github.com/portico-gw/portico/internal/cache"
	meshdynamo "github.com/portico-gw/portico/pkg/mesh/dynamo"
	ratelimitdynamo "github.com/portico-gw/portico/pkg/ratelimit/dynamo"
)

// No two families of items can share a key: no prefix starts another, and no
// single item's key starts with a family's prefix.
func TestPrefixesNeverCollide(t *testing.T) {
	for i, a := range Prefixes {
		if a == "" || !strings.HasSuffix(a, "#") {
			t.Errorf("prefix %q: want a non-empty prefix ending in #, so a family is closed", a)
		}
		for j, b := range Prefixes {
			if i != j && strings.HasPrefix(b, a) {
				t.Errorf("prefix %q starts prefix %q: their items can collide", a, b)
			}
		}
		for _, k := range Keys {
			if strings.HasPrefix(k, a) {
				t.Errorf("key %q starts with prefix %q", k, a)
			}
		}
	}
	seen := map[string]bool{}
	for _, k := range Keys {
		if seen[k] {
			t.Errorf("key %q is listed twice", k)
		}
		seen[k] = true
	}
}

// The adapters that build keys themselves agree with the layout.
func TestAdaptersAgree(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"rate-limit counters", ratelimitdynamo.KeyPrefix, CounterPrefix},
		{"mesh ejections", meshdynamo.KeyPrefix, EjectionPrefix},
		{"shared discovery", meshdynamo.DiscoveryPrefix, DiscoveryPrefix},
		{"cache keys", cache.KeyPrefix, CachePrefix},
		{"counter attribute", ratelimitdynamo.CountAttr, CounterAttr},
		{"counter key attribute", ratelimitdynamo.KeyAttr, KeyAttr},
		{"ejection key attribute", meshdynamo.KeyAttr, KeyAttr},
		{"counter TTL attribute", ratelimitdynamo.TTLAttr, TTLAttr},
		{"ejection TTL attribute", meshdynamo.TTLAttr, TTLAttr},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
