package reliability

import (
	"context"
	"fmt"
	"time"

	"github.com/portico-gw/portico/localstack/faultproxy"
)

// Row is one row of the fault matrix: a fault held for Window while the
// load runs, what every request may get meanwhile, and how soon the stack
// must be back to full service once the fault ends.
type Row struct {
	// ID names the row on the command line (-rows).
	ID string
	// Fault says what breaks, for the report.
	Fault string
	// Window is how long the fault lasts.
	Window time.Duration
	// Allowed are the statuses a route may answer during the fault, beyond
	// its healthy ones (Routes) when Replace is false; routes not listed
	// answer as healthy.
	Allowed map[string][]int
	// Replace: during the fault, Allowed replaces the healthy statuses of
	// the routes it lists (a fail-closed limit must not admit).
	Replace bool
	// Unconfigured allows, during the fault, the 503 "Configuration not
	// loaded" of a function instance that started while the configuration
	// could not be read (counted in the report).
	Unconfigured bool
	// ColdSlack, when set, replaces the latency slack during the fault and
	// the recovery time: a row that starts every instance again waits for
	// cold starts, which take seconds on a loaded emulator.
	ColdSlack time.Duration
	// Recovery is the longest the stack may take, from the fault's end, to
	// answer every request as healthy again.
	Recovery time.Duration
	// Why states what the allowed answers and the recovery time rest on.
	Why string
	// Start breaks it, Stop mends it.
	Start, Stop func(ctx context.Context, h *harness) error
	// Tagged, when set, is a second set of statuses for requests whose
	// Result.Tag is the key: the tokens signed with a key the stack has not
	// fetched yet.
	Tagged map[string][]int
	// Observe, when set, runs after the row and adds lines to its findings.
	Observe func(ctx context.Context, h *harness, r *RowResult)
	// Settle, when set, must also hold before the row ends (the load keeps
	// flowing), for at most SettleWithin after the fault.
	Settle       func(h *harness) bool
	SettleWithin time.Duration
}

// aws starts a faultproxy fault on the aggregator's AWS calls.
func awsFault(f faultproxy.Fault) func(context.Context, *harness) error {
	return func(_ context.Context, h *harness) error { h.s.AWSFaults.Set(f); return nil }
}

func awsClear(_ context.Context, h *harness) error { h.s.AWSFaults.Clear(); return nil }

// instance sets the fault of instance i of service.
func instance(service string, i int, f Fault, slow time.Duration) func(context.Context, *harness) error {
	return func(_ context.Context, h *harness) error { return h.s.Fleet.Instances[service][i].Set(f, slow) }
}

// every sets the fault of every instance of service.
func every(service string, f Fault, slow time.Duration) func(context.Context, *harness) error {
	return func(_ context.Context, h *harness) error {
		for _, in := range h.s.Fleet.Instances[service] {
			if err := in.Set(f, slow); err != nil {
				return err
			}
		}
		return nil
	}
}

func heal(_ context.Context, h *harness) error { return h.s.Fleet.Heal() }

// dynamo is DynamoDB's answer, as the limits, keys and cache see it, for the
// three DynamoDB rows: the fail-open limits (global, per IP) admit with their
// per-instance floor, the fail-closed search limit answers 503 (or 429 from
// its deny cache), and everything else is served: the configuration, the
// instance lists and the known API keys are in memory, and the cache misses
// through to the backend.
var dynamo = map[string][]int{"search": {503, 429}}

const dynamoWhy = "fail-open limits (global, per IP) admit on their per-instance floor; the fail-closed search limit answers 503, or 429 from its deny cache, never 200; the configuration, instance lists and known API keys are in memory; the cache misses to the backend; a function instance that starts during the outage has no configuration and answers 503 \"Configuration not loaded\" until it can read it"

// Matrix is every row, in the order they run.
var Matrix = []Row{
	{ID: "dynamodb-down", Unconfigured: true, Fault: "DynamoDB refuses every call (connection closed unanswered)", Window: 30 * time.Second,
		Allowed: dynamo, Replace: true, Recovery: 10 * time.Second, Why: dynamoWhy,
		Start: awsFault(faultproxy.Fault{Service: "dynamodb", Kind: faultproxy.Refuse}), Stop: awsClear},
	{ID: "dynamodb-hang", Unconfigured: true, Fault: "DynamoDB accepts every call and never answers", Window: 30 * time.Second,
		Allowed: dynamo, Replace: true, Recovery: 10 * time.Second, Why: dynamoWhy + "; each call gives up after the store timeout (2 s on the emulator profile)",
		Start: awsFault(faultproxy.Fault{Service: "dynamodb", Kind: faultproxy.Hang}), Stop: awsClear},
	{ID: "dynamodb-throttled", Unconfigured: true, Fault: "DynamoDB answers every call ProvisionedThroughputExceededException", Window: 30 * time.Second,
		Allowed: dynamo, Replace: true, Recovery: 10 * time.Second, Why: dynamoWhy,
		Start: awsFault(faultproxy.Fault{Service: "dynamodb", Kind: faultproxy.Throttle, Code: "ProvisionedThroughputExceededException"}), Stop: awsClear},
	{ID: "cloudmap-down-warm", Fault: "Cloud Map refuses every call, instances warm", Window: 45 * time.Second,
		Recovery: 10 * time.Second, Why: "warm instances keep the instances they know; a refresh that fails keeps them",
		Start: awsFault(faultproxy.Fault{Service: "servicediscovery", Kind: faultproxy.Refuse}), Stop: awsClear},
	{ID: "cloudmap-throttled-cold", Fault: "Cloud Map answers every call RequestLimitExceeded, and every function instance starts cold", Window: 45 * time.Second,
		Recovery: 10 * time.Second, Unconfigured: true, ColdSlack: 15 * time.Second,
		Why: "a cold instance reads the instance lists the others stored in the state table (pkg/mesh/dynamo Discovery); asking Cloud Map fails, and the stored list stands in. On this machine the storm of cold starts also slows the emulator's DynamoDB past the 2 s configuration read: such an instance answers 503 \"Configuration not loaded\" until its next read (counted), and a request may wait seconds for its cold start",
		Start: func(ctx context.Context, h *harness) error {
			h.s.AWSFaults.Set(faultproxy.Fault{Service: "servicediscovery", Kind: faultproxy.Throttle, Code: "RequestLimitExceeded"})
			return h.coldStart(ctx)
		}, Stop: awsClear},
	{ID: "jwks-down-rotation", Fault: "the JWKS endpoint refuses connections while the identity provider rotates to a new key", Window: 45 * time.Second,
		Tagged: map[string][]int{"new key": {401}}, Recovery: 6 * time.Minute,
		Why: "tokens of the known key are verified with the cached keys; tokens of the new key are refused 401 (fail closed, never a hang); after the endpoint returns, the authorizer fetches the new key at its next unknown-kid refresh (at most every 5 minutes) and API Gateway's cached Deny for a token lasts the authorizer TTL (30 s)",
		Start: func(_ context.Context, h *harness) error {
			h.s.JWKSFaults.Set(faultproxy.Fault{Path: "/.well-known/", Kind: faultproxy.Refuse})
			return h.rotate("k2")
		}, Stop: func(_ context.Context, h *harness) error { h.s.JWKSFaults.Clear(); return nil }},
	{ID: "jwks-slow-rotation", Fault: "the JWKS endpoint answers after 5 s (the fetch times out at 2 s) while the identity provider rotates to a new key", Window: 45 * time.Second,
		Tagged: map[string][]int{"new key": {401}}, Recovery: 6 * time.Minute,
		Why: "as when it is down: a fetch gives up after 2 s and never holds a request past its deadline",
		Start: func(_ context.Context, h *harness) error {
			h.s.JWKSFaults.Set(faultproxy.Fault{Path: "/.well-known/", Kind: faultproxy.Delay, Delay: 5 * time.Second})
			return h.rotate("k3")
		}, Stop: func(_ context.Context, h *harness) error { h.s.JWKSFaults.Clear(); return nil }},
	{ID: "secretsmanager-down-rotation", Fault: "Secrets Manager refuses the aggregator while the gateway's mesh certificate is re-issued, and every function instance starts cold", Window: 60 * time.Second,
		Allowed: map[string][]int{"vault": {502}}, Recovery: 20 * time.Second, Unconfigured: true, ColdSlack: 15 * time.Second,
		Why: "an instance that starts during the outage cannot read its certificate: it serves every other route and fails its mutual-TLS calls to vault-service (502, nothing sent), reading the certificate again every 5 s; once Secrets Manager answers, the instances present the new certificate (at cold start, or at their next reload: once a minute, on a handshake). As in the cold-start row, the storm of cold starts may slow the emulator's DynamoDB past the configuration read (503 \"Configuration not loaded\", counted)",
		Start: func(ctx context.Context, h *harness) error {
			h.s.AWSFaults.Set(faultproxy.Fault{Service: "secretsmanager", Kind: faultproxy.Refuse})
			serial, err := h.s.RotateGatewayCertificate(ctx)
			if err != nil {
				return err
			}
			h.rotated = serial
			return h.coldStart(ctx)
		}, Stop: awsClear,
		Settle:       func(h *harness) bool { _, ok := h.s.Vault.FirstSeen(h.rotated); return ok },
		SettleWithin: 150 * time.Second, Observe: observeRotation},
	{ID: "backend-5xx-storm", Fault: "one of user-service's two instances answers 503 to everything", Window: 45 * time.Second,
		Allowed: map[string][]int{"users": {503}, "dashboard": {502}, "ledger": {502}}, Recovery: 10 * time.Second,
		Why:   "GETs are retried on the other instance within the 20 % retry budget, and the failing instance is ejected after 5 consecutive 5xx; a request whose retries the budget refuses gets the instance's 503 (a composite's required call: 502)",
		Start: instance("user-service", 0, Fail, 0), Stop: heal, Observe: observeServed("user-service", 0)},
	{ID: "backend-resets", Fault: "one of user-service's two instances resets every connection", Window: 30 * time.Second,
		Allowed: map[string][]int{"users": {502, 503}, "dashboard": {502}, "ledger": {502}}, Recovery: 10 * time.Second,
		Why:   "a reset before any answer is retried on the other instance (GET); one whose retries are refused is 502",
		Start: instance("user-service", 0, Reset, 0), Stop: heal},
	{ID: "backend-never-answers", Fault: "one of user-service's two instances accepts and never answers", Window: 30 * time.Second,
		Allowed: map[string][]int{"users": {502, 504}, "dashboard": {502, 504}, "ledger": {502, 504}}, Recovery: 10 * time.Second,
		Why:   "an attempt ends at the per-try timeout (the route's: 5 s for users, the call's 4 s in the dashboard) and a GET is retried on the other instance when time is left; otherwise 504",
		Start: instance("user-service", 0, Hang, 0), Stop: heal},
	{ID: "backend-slow-instance", Fault: "one of user-service's two instances answers after 1.5 s", Window: 30 * time.Second,
		Recovery: 10 * time.Second, Why: "slow answers are answers: least-request balancing sends fewer requests to the slow instance",
		Start: instance("user-service", 1, Slow, 1500*time.Millisecond), Stop: heal, Observe: observeServed("user-service", 1)},
	{ID: "composite-required-down", Fault: "every user-service instance refuses connections (the dashboard's required call)", Window: 30 * time.Second,
		Allowed: map[string][]int{"users": {502, 503}, "dashboard": {502, 503}, "ledger": {502, 503}}, Replace: true, Recovery: 70 * time.Second,
		Why:   "the dashboard answers 502 naming the call \"user\" and cancels the others; other routes are untouched; an instance ejected for its failures returns after its ejection time (60 s at most here, never all of them)",
		Start: every("user-service", Down, 0), Stop: heal},
	{ID: "composite-optional-slow", Fault: "notification-service (an optional call of the dashboard, 1 s timeout) answers after 3 s", Window: 30 * time.Second,
		Recovery: 10 * time.Second, Why: "the dashboard answers 200 with notifications null after the call's 1 s",
		Start: every("notification-service", Slow, 3*time.Second), Stop: heal, Observe: observeNullCall("notifications")},
	{ID: "deadline-mid-fan-out", Fault: "ledger-service never answers, and DynamoDB answers the counter writes after 1.5 s: the ledger fan-out (9 s timeout) starts late and meets the function's 10 s deadline", Window: 30 * time.Second,
		Allowed: map[string][]int{"ledger": {504}}, Replace: true, Recovery: 15 * time.Second,
		Why: "the route's timeout fits the function's deadline only when the fan-out starts at once; started 1.5 s late, the aggregator answers 504 in JSON just before its own deadline, never API Gateway's timeout; the other routes answer 1.5 s later",
		Start: func(ctx context.Context, h *harness) error {
			h.s.AWSFaults.Set(faultproxy.Fault{Service: "dynamodb", Operation: "UpdateItem", KeyPrefix: "rl#", Kind: faultproxy.Delay, Delay: 1500 * time.Millisecond})
			return every("ledger-service", Hang, 0)(ctx, h)
		},
		Stop: func(ctx context.Context, h *harness) error { h.s.AWSFaults.Clear(); return heal(ctx, h) }},
	{ID: "all-instances-down", Fault: "every product-service instance refuses connections (cached and limited routes)", Window: 45 * time.Second,
		Allowed: map[string][]int{"products": {200, 502, 503}, "search": {429, 502, 503}}, Replace: true, Recovery: 70 * time.Second,
		Why:   "the cache answers what it holds (fresh 30 s); past that, 502/503 in JSON; the limit still counts",
		Start: every("product-service", Down, 0), Stop: heal},
}

// rowByID returns the row named id.
func rowByID(id string) (Row, bool) {
	for _, r := range Matrix {
		if r.ID == id {
			return r, true
		}
	}
	return Row{}, false
}

var _ = fmt.Sprint
