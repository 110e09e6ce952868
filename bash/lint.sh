#!/usr/bin/env bash
# ShellCheck over every shell script in the repository: files ending in .sh or
# .bats, and files whose first line names bash or sh. No blanket exclusions:
# a script that needs one says why next to a `# shellcheck disable=` line.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

list_scripts() {
	local file
	git -C "${VIGIA_ROOT}" ls-files --cached --others --exclude-standard |
		while IFS= read -r file; do
			[[ -f "${VIGIA_ROOT}/${file}" ]] || continue
			case "${file}" in
			*.sh | *.bats) printf '%s\n' "${file}" ;;
			*)
				head -n 1 "${VIGIA_ROOT}/${file}" 2>/dev/null |
					grep -qE '^#!.*(/|env )(ba)?sh\b' && printf '%s\n' "${file}"
				;;
			esac
		done
}

main() {
	(($# == 0)) || vigia::die "usage: ${0##*/} (takes no arguments)"
	command -v shellcheck >/dev/null || vigia::die "shellcheck is not installed"
	local -a scripts
	cd "${VIGIA_ROOT}"
	mapfile -t scripts < <(list_scripts)
	((${#scripts[@]})) || vigia::die "no shell script found"
	shellcheck -x "${scripts[@]}"
	vigia::info "shellcheck: ${#scripts[@]} scripts clean"
}

main "$@"
