package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/portico-gw/portico/internal/statetable"
)

// limitsKey is the pk of the limits document in the state table.
const limitsKey = statetable.LimitsKey

// NewLimitsResource returns a portico_limits resource: the rate limits the
// aggregator enforces.
func NewLimitsResource() resource.Resource {
	return &DocumentResource{kind: documentKind{
		typeName: "_limits",
		key:      limitsKey,
		what:     "limits document",
		invalid:  "Invalid limits document",
		description: "The rate limits the aggregator enforces (global, per IP, per API key, per endpoint, per tier), " +
			"as a JSON document in the item `{pk = \"" + limitsKey + "\", document}` of the state table. " +
			"The document is checked at plan time with the aggregator's own parser: window lengths, request counts, " +
			"shards, leases and fail modes; every faulty rule is reported, each naming the rule.",
		documentDescription: "The limits document, written with `jsonencode`: " +
			"`{version = 1, rules = [{name, dimension (global|ip|apikey|endpoint|tier|claim), route, tier, claim, requests, " +
			"window (\"1s\", \"1m\", \"1h\", \"1d\", \"month\"), algorithm (fixed|sliding), lease, shards, failMode (open|closed), floor}], usage = {claim}}`.",
		problems: func(doc string) []string {
			var out []string
			for _, p := range limitsDocumentProblems(doc) {
				out = append(out, p.String())
			}
			return out
		},
	}}
}
