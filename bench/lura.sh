#!/usr/bin/env bash
# Portico's in-process gateway beside Lura's own proxy-stack benchmark, in
# interleaved rounds on one machine (see BENCHMARKS.md, "Gateway beside Lura").
#
#   bench/lura.sh LURA_CHECKOUT [ROUNDS]
#
# LURA_CHECKOUT is a clone of github.com/luraproject/lura (the commit used is
# printed); this script only runs that checkout's own `go test` of its proxy
# package. Each round runs both test binaries once, in alternating order:
# Lura's BenchmarkProxyStack_multi with 1 and 3 backends and Portico's
# BenchmarkGateway1 and BenchmarkGateway3. The benchmarks are renamed to
# Stack/backends=N so that benchstat compares them row by row; then the
# per-round ratios (Portico / Lura, same round) are summarised.
set -euo pipefail

lura=${1:?usage: bench/lura.sh LURA_CHECKOUT [ROUNDS]}
rounds=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
benchstat=${BENCHSTAT:-go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"

echo "lura: $(git -C "$lura" rev-parse HEAD 2>/dev/null || echo unknown) portico: $(git -C "$root" rev-parse --short HEAD)"
echo "results in $out"
(cd "$lura/proxy" && go test -c -o "$out/lura.test" .)
(cd "$root" && go test -c -o "$out/portico.test" ./internal/gateway/)

run_lura() {
	(cd "$lura/proxy" && "$out/lura.test" -test.run '^$' -test.bench 'ProxyStack_multi$/^with_[13]_backends$' \
		-test.benchmem -test.benchtime "${BENCHTIME:-20000x}" -test.count 1) |
		sed -nE 's#^BenchmarkProxyStack_multi/with_([0-9])_backends#BenchmarkStack/backends=\1#p'
}
run_portico() {
	(cd "$root/internal/gateway" && "$out/portico.test" -test.run '^$' -test.bench '^BenchmarkGateway[13]$' \
		-test.benchmem -test.benchtime "${BENCHTIME:-20000x}" -test.count 1) |
		sed -nE 's#^BenchmarkGateway([0-9])#BenchmarkStack/backends=\1#p'
}

: >"$out/lura.txt"
: >"$out/portico.txt"
for ((i = 1; i <= rounds; i++)); do
	if ((i % 2)); then
		run_lura >>"$out/lura.txt"
		run_portico >>"$out/portico.txt"
	else
		run_portico >>"$out/portico.txt"
		run_lura >>"$out/lura.txt"
	fi
	printf 'round %d/%d done\n' "$i" "$rounds" >&2
done

(cd "$out" && $benchstat lura.txt portico.txt)
echo
echo "Portico / Lura, per round (same round, paired):"
paste <(awk '{print $1, $3}' "$out/lura.txt") <(awk '{print $1, $3}' "$out/portico.txt") |
	awk '$1 != $3 { print "mismatched rows: " $0 > "/dev/stderr"; exit 1 }
	     { r[$1] = r[$1] " " $4 / $2 }
	     END { for (k in r) print k, r[k] }' |
	while read -r name ratios; do
		sorted=$(tr ' ' '\n' <<<"$ratios" | sort -g | grep .)
		n=$(wc -l <<<"$sorted")
		printf '%s: median %.3f, min %.3f, max %.3f over %d rounds\n' "$name" \
			"$(sed -n "$(((n + 1) / 2))p" <<<"$sorted")" "$(head -1 <<<"$sorted")" "$(tail -1 <<<"$sorted")" "$n"
	done
