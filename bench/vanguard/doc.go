// Package vanguard measures Portico's gRPC transcoding (package
// pkg/transcode) beside connectrpc.com/vanguard, in a module of its own so
// that the project's go.mod never carries vanguard. See BENCHMARKS.md,
// "gRPC transcoding beside vanguard-go", for the method and the figures:
//
// Rounds are interleaved by running the test binary once per round (with
// -count, go test repeats each side back to back), vanguard first every
// other round:
//
//	cd bench/vanguard && go test -c -o /tmp/vg.test . && for i in 1 2 3 4 5 6 7 8 9 10; do
//	  /tmp/vg.test -test.run '^$' -test.bench . -test.benchmem -test.benchtime 3000x \
//	    -test.count 1 $([ $((i % 2)) = 0 ] && echo -reverse)
//	done
package vanguard
