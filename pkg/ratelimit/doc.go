// Package ratelimit decides whether a request is within its limits.
//
// A Limiter applies one limit (Config) to keys such as a client IP or an API
// key; a Set applies several limits to one request (Rule, Request) and answers
// with the tightest. Counters live in a Store shared by every function
// instance: the in-memory Memory twin here, DynamoDB in package
// ratelimit/dynamo.
//
// # Algorithms
//
// FixedWindow (the default) counts requests per key in windows aligned to the
// Unix epoch (seconds, minutes, hours, days). Each decision is one conditional
// write that adds to the counter only while it stays at or below the limit, so
// concurrent instances never admit more than the limit per window. Its known
// weakness is the boundary: a client may make the limit at the end of one window
// and again at the start of the next.
//
// SlidingWindow smooths that boundary with the sliding-window counter: the
// previous window's count, weighted by the share of it that still overlaps the
// last Window, is added to the current window's count,
//
//	estimate = floor(previous × (Window − elapsed) / Window) + current
//
// and a request is admitted while the estimate stays below the limit. The
// current counter is still one conditional write (its cap is lowered by the
// weighted previous count); the previous window's count is read once per key,
// window and instance and then kept, because a closed window no longer changes.
// The estimate assumes the previous window's requests were spread evenly; a
// burst at the very start of the previous window is forgotten faster than a true
// rolling log would forget it. GCRA was not chosen because it needs a
// read-modify-write of a timestamp with optimistic retries under contention,
// where the counter needs one unconditional-shape write.
//
// # Cost and accuracy
//
// Leasing (Config.Lease = N): a warm instance takes up to N tokens in one write
// (ADD N, or what is left below the limit) and spends them locally. Tokens are
// counted in the store before they are spent, so leasing never admits more than
// the limit: the over-admission bound is zero. The price is under-admission:
// tokens leased by an instance that receives no more requests in the window are
// lost, at most (instances × (N − 1)) per window (per shard when sharded). A
// lease is therefore never larger than the instance is expected to spend
// before the window ends (its request rate for the key, the higher of the
// last window's and this one's so far, times the time left): leases shrink
// as the window closes, which is when the limit runs out, and a fleet that
// offers about the limit strands little (RELIABILITY.md measures it with 200
// and 400 instances). With N ≥ 10 an allowed request costs at most about
// 1/10 of a write.
//
// Deny cache: when the store denies a request, the Limiter remembers the key
// until the earliest time at which the store could admit it again (the window's
// end for FixedWindow; computed from the two counts for SlidingWindow). Denied
// requests in that time cost no store call. Counts only grow within a window, so
// the deny cache never denies a request the store would have admitted.
//
// Sharding (Config.Shards = K, FixedWindow only): a hot key such as the global
// limit is split over K items, shard i holding limit/K (the remainder spread
// over the first shards), so that the writes spread over partitions (one
// DynamoDB partition takes about 1,000 writes per second). Each request picks a
// random shard that this instance has not seen full; a full shard is remembered
// until the window ends and the request moves on to another. The sum of the
// shard limits is the limit, so sharding never over-admits, and a request is
// denied only when this instance has seen every shard full, so it does not
// under-admit either (leasing aside). The trade-offs: up to K extra writes per
// instance and window once the shards fill, and Decision.Remaining is estimated
// from one shard (its remainder × K).
//
// # Windows and dimensions
//
// Windows are whole seconds aligned to the Unix epoch, so a 24h ("1d") window
// is a calendar day in UTC; Config.Calendar Month makes them calendar months
// in UTC instead. Either algorithm works with either: SlidingWindow makes a
// day or a month rolling, the previous window weighed by the share of the
// current one still to come. Besides the network (global, IP) and caller (API
// key, endpoint, tier) dimensions, Claim counts per value of one of the
// token's mapped claims, such as a tenant, so that a tenant's users share one
// budget; a token without the claim is counted per subject. Set.Allow returns
// the tightest decision, and every rule's in Decision.Applied.
//
// Every item carries a TTL attribute: one window past the end of the window it
// counts (two for SlidingWindow, whose next window reads it).
//
// # Faults
//
// A store call that fails is retried with exponential backoff and jitter
// (Config.Retry), but never past the caller's deadline: a retry whose delay would
// end after ctx's deadline is not attempted. When the store stays unavailable,
// the limit's FailMode decides: FailClosed returns an error wrapping
// ErrUnavailable (the gateway answers 503); FailOpen decides with an in-memory
// fixed-window limiter per instance (Config.Floor requests per window) and marks
// the Decision Degraded. A fleet of I instances failing open admits at most
// I × Floor per key and window.
//
// A write whose outcome is unknown (a dropped connection, a timeout) and is
// retried, by the Limiter or by the SDK, may be counted twice. That errs
// towards under-admission (one request per such retry), never over-admission.
//
// Within one instance, one lease per key is in flight at a time and concurrent
// callers wait for it, so an instance strands at most one lease; the previous
// window's count is likewise read once.
package ratelimit
