// Package statetable is the layout of Portico's state table, in one place:
// every partition-key prefix and attribute name that the Terraform provider
// and the functions read and write. The table has one hash key, KeyAttr
// (string), and DynamoDB's time to live on TTLAttr.
//
//	config#revision                  {rev: N}: bumped by every configuration write
//	config#routes                    {document}: the route table (routes and permissions)
//	config#limits                    {document}: the rate limits
//	config#auth                      {document}: the authorizer's settings (issuers)
//	config#descriptors#<name>        {descriptors}: a gRPC descriptor set
//	config#policy#<service>          {document}: a service's mesh traffic policy
//	apikey#<sha256 of the key>       {name, tier, enabled}: an API key
//	rl#<limit>#<key>#<window>[#s<n>] {n, ttl}: a rate-limit counter
//	cache#<sha256 of the key>        {st, h, b, at, fr, ttl}: a cached response
//	usage#<hour>                     {keys, tenants, routes, ttl}: who was counted that hour
//	usage#<hour>#<kind>#<id>         {n, r:<route>..., ttl}: an hour's requests of a key, tenant or route
//	ejection#<service>               {e:<instance>..., ttl}: shared outlier ejections
//	discovery#<service>              {i, r, at, c, ttl}: a service's instances, shared
//
// The provider owns the config# and apikey# items; the aggregator writes only
// rl#, cache#, usage# and discovery# items (and ejection# ones where ejections are
// shared), which is what its IAM role allows (dynamodb:LeadingKeys).
//
// The package imports nothing: both functions and the provider use it. The
// libraries that build keys of their own (pkg/ratelimit/dynamo,
// pkg/mesh/dynamo, the cache) are held to it by this package's tests.
package statetable

// Table-wide attributes.
const (
	// KeyAttr is the table's hash key (string).
	KeyAttr = "pk"
	// TTLAttr is the table's time-to-live attribute (Unix seconds).
	TTLAttr = "ttl"
)

// Configuration items: written by the provider, read by the functions.
const (
	// RevisionKey is the item whose RevisionAttr (a number) every
	// configuration write increments, after writing its document: readers
	// re-read documents only when it moved.
	RevisionKey  = "config#revision"
	RevisionAttr = "rev"

	// DocumentAttr holds a JSON document (string) in the items below.
	DocumentAttr = "document"
	// RoutesKey holds the route table (package route).
	RoutesKey = "config#routes"
	// LimitsKey holds the rate limits (package pkg/ratelimit).
	LimitsKey = "config#limits"
	// AuthKey holds the authorizer's settings (package authorizer).
	AuthKey = "config#auth"
	// PolicyPrefix + service holds a service's mesh policy (package pkg/mesh).
	PolicyPrefix = "config#policy#"

	// DescriptorsPrefix + name holds a gRPC descriptor set (binary) in
	// DescriptorsAttr.
	DescriptorsPrefix = "config#descriptors#"
	DescriptorsAttr   = "descriptors"
)

// API keys: written by the provider, read by the aggregator.
const (
	// APIKeyPrefix + the hex SHA-256 of a key.
	APIKeyPrefix = "apikey#"
	// Attributes of an API key item.
	APIKeyNameAttr    = "name"
	APIKeyTierAttr    = "tier"
	APIKeyEnabledAttr = "enabled"
)

// Items the aggregator writes.
const (
	// CounterPrefix starts every rate-limit counter (package pkg/ratelimit/dynamo).
	CounterPrefix = "rl#"
	// CounterAttr is a counter's count.
	CounterAttr = "n"

	// CachePrefix starts every cached response (package cache).
	CachePrefix = "cache#"
	// Attributes of a cached response.
	CacheStatusAttr = "st"
	CacheHeaderAttr = "h"
	CacheBodyAttr   = "b"
	CacheStoredAttr = "at"
	CacheFreshAttr  = "fr"

	// EjectionPrefix starts the shared outlier ejections of a service
	// (package pkg/mesh/dynamo).
	EjectionPrefix = "ejection#"

	// UsagePrefix starts the hourly usage counters (package usage):
	// UsagePrefix + hour (Unix s) is the hour's index, which lists in string
	// sets the keys, tenants and routes counted that hour (UsageKeysAttr,
	// UsageTenantsAttr, UsageRoutesAttr), so that nothing is scanned;
	// UsagePrefix + hour + "#" + kind + "#" + id counts one of them: the
	// total in CounterAttr and per route in UsageRoutePrefix + route.
	UsagePrefix      = "usage#"
	UsageKeysAttr    = "keys"
	UsageTenantsAttr = "tenants"
	UsageRoutesAttr  = "routes"
	UsageRoutePrefix = "r:"

	// DiscoveryPrefix starts the shared instance list of a service (package
	// pkg/mesh/dynamo, Discovery): the aggregator's instances share what
	// Cloud Map answers, so that a fleet starting together asks it once.
	DiscoveryPrefix = "discovery#"
)

// PolicyKey is the item of service's mesh policy.
func PolicyKey(service string) string { return PolicyPrefix + service }

// DescriptorsKey is the item of the descriptor set name.
func DescriptorsKey(name string) string { return DescriptorsPrefix + name }

// UsageIndexKey is the index item of the hour that starts at unix (seconds).
func UsageIndexKey(unix int64) string { return UsagePrefix + itoa(unix) }

// UsageKey is the usage counter of id, of kind "key", "tenant" or "route", in
// the hour that starts at unix (seconds).
func UsageKey(unix int64, kind, id string) string {
	return UsagePrefix + itoa(unix) + "#" + kind + "#" + id
}

// itoa formats n in decimal (the package imports nothing).
func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// APIKeyKey is the item of the API key whose SHA-256 is hash (hex).
func APIKeyKey(hash string) string { return APIKeyPrefix + hash }

// Keys are the exact keys of the table's single items.
var Keys = []string{RevisionKey, RoutesKey, LimitsKey, AuthKey}

// Prefixes are the prefixes of the table's families of items.
var Prefixes = []string{PolicyPrefix, DescriptorsPrefix, APIKeyPrefix, CounterPrefix, CachePrefix, EjectionPrefix, UsagePrefix, DiscoveryPrefix}
