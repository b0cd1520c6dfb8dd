// Package vanguard measures Portico's gRPC transcoding (package
// pkg/transcode) beside connectrpc.com/vanguard, in a module of its own so
// that the project's go.mod never carries vanguard. See BENCHMARKS.md,
// "gRPC transcoding beside vanguard-go", for the method and the figures:
//
//	cd bench/vanguard && go test -run '^$' -bench . -benchmem -benchtime 3000x -count 10
//	cd bench/vanguard && go test -run '^$' -bench . -benchmem -benchtime 3000x -count 10 -reverse
package vanguard
