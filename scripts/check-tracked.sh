#!/usr/bin/env bash
# Fails when git tracks a built file: an executable binary (ELF, Mach-O, PE) or
# any file over 1 MiB that is not on the list of generated or vendored files the
# design commits on purpose. Nothing built is committed but those.
set -euo pipefail
cd "$(dirname "$0")/.."

# Large files committed on purpose (generated or vendored); keep this short.
allowed_large='^(package-lock\.json|static/css/app\.css|static/vendor/.*)$'
limit=$((1 << 20))

bad=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] || continue
	magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	7f454c46 | cffaedfe | cefaedfe | feedfacf | feedface | 4d5a*)
		echo "tracked binary: $f (remove it with git rm --cached and ignore it)"
		bad=1
		continue
		;;
	esac
	size=$(stat -c %s "$f")
	if [ "$size" -gt "$limit" ] && ! [[ "$f" =~ $allowed_large ]]; then
		echo "tracked file over 1 MiB: $f ($size bytes); add it to scripts/check-tracked.sh only if it is generated or vendored on purpose"
		bad=1
	fi
done < <(git ls-files -z)
exit "$bad"
