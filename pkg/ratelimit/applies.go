package ratelimit

import "strings"

// Applies reports whether r counts req, and under which counter key (before
// the window is added, and before a key longer than 128 bytes is hashed): the
// answer Set.Allow acts on, for tools that explain a configuration.
func (r Rule) Applies(req Request) (key string, ok bool) {
	tier := req.Tier
	if tier == "" {
		tier = DefaultTier
	}
	r.Claim = strings.ToLower(r.Claim)
	return r.key(req, tier)
}
