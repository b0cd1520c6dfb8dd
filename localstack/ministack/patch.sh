#!/usr/bin/env bash
# Makes the patched copy of MiniStack that emulator.sh runs:
#
#   localstack/ministack/patch.sh <venv> <dest>
#
# copies the ministack package installed in <venv> to <dest>/ministack and
# applies localstack/ministack/*.patch to the copy with patch(1). The
# installed package is left as it is (the tests compare the two), and a copy
# already made from the same package and patches is kept. Put <dest> first on
# PYTHONPATH to run the patched copy. A patch that no longer applies (a new
# MiniStack) stops here: see whether upstream does what it did (docs/aws.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
venv=${1:?usage: patch.sh <venv> <dest>}
dest=${2:?usage: patch.sh <venv> <dest>}

src=$("$venv/bin/python" -c 'import ministack, os; print(os.path.dirname(ministack.__file__))')
version=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("ministack"))')
stamp="$version $(cat "$here"/*.patch | sha256sum | cut -d' ' -f1)"
if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$stamp" ] && [ -d "$dest/ministack" ]; then
  exit 0
fi

tmp=$(mktemp -d "${dest%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -r "$src" "$tmp/ministack"
find "$tmp/ministack" -name __pycache__ -type d -prune -exec rm -rf {} +
for p in "$here"/*.patch; do
  if ! out=$(patch -p1 -d "$tmp" --forward --batch --no-backup-if-mismatch < "$p" 2>&1); then
    echo "ministack: $(basename "$p") does not apply to MiniStack $version:" >&2
    echo "$out" >&2
    echo "Check whether MiniStack $version does what the patch did (docs/aws.md, 'MiniStack patches'), then update or remove the patch." >&2
    exit 1
  fi
done
echo "$stamp" > "$tmp/.stamp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "ministack: patched copy of MiniStack $version in $dest"
