#!/bin/sh
# test_format.sh - every C source and header in the repository is formatted
# as the repository's .clang-format says (clang-format --dry-run --Werror);
# lists the files that are not.
set -u
src=${TSD_SOURCE_DIR:?}
command -v clang-format >/dev/null 2>&1 || { echo "FAIL: clang-format is not installed"; exit 1; }
cd "$src" || exit 1
list=$(mktemp) out=$(mktemp)
trap 'rm -f "$list" "$out"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files '*.c' '*.h' >"$list"
else
    find . -path './build*' -prune -o \( -name '*.c' -o -name '*.h' \) -print >"$list"
fi
n=$(grep -c . "$list")
xargs -n 40 clang-format --dry-run --Werror <"$list" >/dev/null 2>"$out"
bad=$(sed -n 's/^\([^:]*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' "$out" | sort -u)
for f in $bad; do echo "FAIL: $f is not clang-formatted (clang-format -i $f)"; done
nbad=$(echo "$bad" | grep -c .)
echo "$n files checked, $nbad not formatted"
[ "$n" -gt 100 ] && [ "$nbad" = 0 ] && ! grep -q 'error:' "$out"
