#!/usr/bin/env bash
# The docs suite: fails when README.md, README.es.md or documentacion/*.md name
# something that does not exist in the tree:
#   - a repository path (in inline code, in a command, or as a relative link);
#     build products that git ignores (go-daemon/bin/vigia, *.ko, build/...)
#     are accepted, since a fresh checkout has not built them yet
#   - a link anchor (#section) that no heading of the target file makes
#   - a make target (make [-C DIR] TARGET...), in the top-level or DIR Makefile
#   - a vigia subcommand or flag (vigia CMD --flag), against the help of a
#     vigia binary built from this tree
#   - a flag given to one of vigia's scripts (bash/generate.sh --count), which
#     must appear in that script, and a suite name given to bash/test.sh or
#     make test SUITES="..."
#   - a VIGIA_* setting that no code, config or compose file mentions
#   - a Grafana panel the user manual does not explain, or one it explains
#     that no dashboard has
# Commands are taken from fenced blocks marked sh, bash or shell (every line)
# and from inline code that starts with make, vigia or a script path; blocks
# marked text (captured output) are not read as commands.
#
# Limitations: names are checked, not behaviour: a command that still exists
# but prints something else leaves a stale example output behind.
# TODO: re-capture the quoted outputs (status, events, the VM session) and diff
# them against the docs; not yet, because that needs Docker, a VM boot and
# minutes of run time, which a fast local suite must not take.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Where the key scan looks for VIGIA_* names.
readonly CODE_DIRS=(bash go-daemon modulo-kernel dashboard vigia.conf Makefile .ci)

VIGIA_BIN=""
VIGIA_COMMANDS=""
SUITE_NAMES=""
MAKE_TARGETS_CACHE=()
PROBLEMS=0
CHECKED=0

usage() {
	cat <<USAGE
Usage: ${0##*/} [--vigia BIN] [FILE...]

Checks that every path, make target, vigia subcommand and flag, script flag,
test suite and VIGIA_* setting named in the documentation exists. FILE...
defaults to README.md, README.es.md and documentacion/*.md. Prints one line
per problem (FILE:LINE: ...) and exits 1 when there is any.

  --vigia BIN   use this vigia binary instead of building one from go-daemon/
USAGE
}

problem() {
	printf '%s: %s\n' "$1" "$2"
	PROBLEMS=$((PROBLEMS + 1))
}

# extract FILE: one record per reference, tab-separated: KIND, LINE, TEXT.
# KIND is cmd (a line of a shell block), span (inline code) or link (the
# target of a Markdown link). Fenced blocks of other languages are skipped.
extract() {
	awk '
	/^[[:space:]]*```/ {
		if (fence) { fence = 0; shell = 0 } else {
			fence = 1
			info = $0; sub(/^[[:space:]]*```/, "", info)
			shell = (info ~ /^(sh|bash|shell)[[:space:]]*$/)
		}
		next
	}
	fence { if (shell && $0 !~ /^[[:space:]]*#/) print "cmd\t" NR "\t" $0; next }
	{
		line = $0
		while (match(line, /``[^`]+``|`[^`]+`/)) {
			span = substr(line, RSTART, RLENGTH)
			gsub(/^`+ ?| ?`+$/, "", span)
			print "span\t" NR "\t" span
			line = substr(line, RSTART + RLENGTH)
		}
		line = $0
		gsub(/`[^`]*`/, "", line)
		while (match(line, /\]\([^) ]+\)/)) {
			print "link\t" NR "\t" substr(line, RSTART + 2, RLENGTH - 3)
			line = substr(line, RSTART + RLENGTH)
		}
	}' "$1"
}

# slugs FILE: the anchors GitHub makes of FILE's headings, one a line.
slugs() {
	awk '/^[[:space:]]*```/ { fence = !fence; next } !fence && /^#+ /' "$1" |
		sed -E 's/^#+ +//; s/`//g' |
		LC_ALL=C.UTF-8 sed -E 's/.*/\L&/; s/[^[:alnum:] _-]//g; s/ /-/g'
}

# in_tree PATH: PATH exists under the root (a glob: matches something), or is
# a build product git ignores.
in_tree() {
	local path="$1"
	if [[ "${path}" == *'*'* ]]; then
		compgen -G "${VIGIA_ROOT}/${path}" >/dev/null && return 0
	elif [[ -e "${VIGIA_ROOT}/${path}" ]]; then
		return 0
	fi
	git -C "${VIGIA_ROOT}" check-ignore -q --no-index -- "${path}" 2>/dev/null
}

# repo_path TOKEN: prints TOKEN as a repository path when it looks like one.
repo_path() {
	local t="$1"
	t="${t#\"}" t="${t%\"}" t="${t#\'}" t="${t%\'}"
	t="${t%%[,;:)]}" t="${t%.}"
	[[ "${t}" =~ ^(modulo-kernel|go-daemon|bash|dashboard|documentacion|\.ci|build)(/|$) ]] ||
		[[ "${t}" =~ ^(vigia\.conf|Makefile|README\.md|README\.es\.md)$ ]] || return 1
	[[ "${t}" == *[\<\>\$\{\[]* ]] && return 1
	t="${t%%:[0-9]*}"
	printf '%s\n' "${t}"
}

check_paths() {
	local where="$1" text="$2" token path
	local -a tokens
	read -ra tokens <<<"${text}"
	for token in "${tokens[@]}"; do
		path="$(repo_path "${token}")" || continue
		CHECKED=$((CHECKED + 1))
		in_tree "${path}" || problem "${where}" "path ${path} does not exist"
	done
}

check_keys() {
	local where="$1" text="$2" key
	while read -r key; do
		[[ -n "${key}" ]] || continue
		CHECKED=$((CHECKED + 1))
		(cd "${VIGIA_ROOT}" && grep -rqw --exclude-dir=testdata --exclude="${0##*/}" -- \
			"${key}" "${CODE_DIRS[@]}") ||
			problem "${where}" "setting ${key} is not used anywhere in the code"
	done < <(grep -oE '\bVIGIA_[A-Z0-9_]*[A-Z0-9]\b' <<<"${text}" | sort -u)
}

check_link() {
	local file="$1" where="$2" target="$3" path anchor dest
	case "${target}" in
	http://* | https://* | mailto:*) return ;;
	esac
	path="${target%%#*}"
	anchor=""
	[[ "${target}" == *'#'* ]] && anchor="${target#*#}"
	CHECKED=$((CHECKED + 1))
	if [[ -z "${path}" ]]; then
		dest="${file}"
	else
		dest="$(dirname "${file}")/${path}"
		if [[ ! -e "${VIGIA_ROOT}/${dest}" ]]; then
			problem "${where}" "link ${target}: ${path} does not exist"
			return
		fi
	fi
	if [[ -n "${anchor}" && "${dest}" == *.md ]] &&
		! slugs "${VIGIA_ROOT}/${dest}" | grep -qxF -- "${anchor}"; then
		problem "${where}" "link ${target}: no heading makes the anchor #${anchor}"
	fi
}

# words TEXT: the shell words of TEXT, quotes honoured, one a line.
words() {
	printf '%s' "$1" | xargs -r printf '%s\n' 2>/dev/null
}

make_targets() {
	local dir="$1" entry
	for entry in "${MAKE_TARGETS_CACHE[@]}"; do
		if [[ "${entry%%|*}" == "${dir}" ]]; then
			printf '%s\n' "${entry#*|}"
			return
		fi
	done
	entry="$(make -C "${VIGIA_ROOT}/${dir}" -pRrq : 2>/dev/null |
		awk -F: '/^[A-Za-z0-9][^$#\/\t=]*:([^=]|$)/ { print $1 }' | sort -u | tr '\n' ' ')" || true
	MAKE_TARGETS_CACHE+=("${dir}|${entry}")
	printf '%s\n' "${entry}"
}

check_suites() {
	local where="$1" suite
	shift
	for suite in "$@"; do
		CHECKED=$((CHECKED + 1))
		grep -qxF -- "${suite}" <<<"${SUITE_NAMES}" || problem "${where}" "test suite ${suite} does not exist"
	done
}

check_make() {
	local where="$1" dir="." w targets
	local -a args=()
	shift
	while (($#)); do
		w="$1"
		shift
		case "${w}" in
		-C) dir="${1:-.}" && shift ;;
		-C*) dir="${w#-C}" ;;
		-f | -j | -o | -W) shift ;;
		SUITES=*)
			local -a suites
			read -ra suites <<<"${w#SUITES=}"
			check_suites "${where}" "${suites[@]}"
			;;
		-* | *=*) ;;
		*) args+=("${w}") ;;
		esac
	done
	if [[ ! -f "${VIGIA_ROOT}/${dir}/Makefile" ]]; then
		problem "${where}" "make -C ${dir}: no Makefile there"
		return
	fi
	((${#args[@]})) || return 0
	targets=" $(make_targets "${dir}") "
	for w in "${args[@]}"; do
		CHECKED=$((CHECKED + 1))
		[[ "${targets}" == *" ${w} "* ]] || problem "${where}" "make target ${w} does not exist in ${dir}/Makefile"
	done
}

vigia_help() {
	"${VIGIA_BIN}" "$1" --help 2>&1 || true
}

check_vigia() {
	local where="$1" cmd="${2:-}" w name help
	shift 2 || shift $#
	[[ -z "${cmd}" || "${cmd}" == -h || "${cmd}" == --help || "${cmd}" == -* ]] && return 0
	CHECKED=$((CHECKED + 1))
	if ! grep -qxF -- "${cmd}" <<<"${VIGIA_COMMANDS}"; then
		problem "${where}" "vigia ${cmd}: no such subcommand"
		return
	fi
	if [[ "${cmd}" == snapshot ]]; then
		[[ "${1:-check}" == check ]] || problem "${where}" "vigia snapshot ${1}: only 'check' exists"
		return
	fi
	help="$(vigia_help "${cmd}")"
	for w in "$@"; do
		[[ "${w}" == -* && "${w}" != --help && "${w}" != -h ]] || continue
		name="${w%%=*}"
		name="${name#-}"
		name="${name#-}"
		CHECKED=$((CHECKED + 1))
		grep -qE -- "^  -${name}( |\$)|--${name}\b" <<<"${help}" ||
			problem "${where}" "vigia ${cmd}: no flag --${name}"
	done
}

check_script() {
	local where="$1" script="$2" w flag
	shift 2
	[[ -f "${VIGIA_ROOT}/${script}" ]] || return 0 # the path check reports it
	for w in "$@"; do
		[[ "${w}" == --* ]] || continue
		flag="${w%%=*}"
		CHECKED=$((CHECKED + 1))
		grep -qF -- "${flag}" "${VIGIA_ROOT}/${script}" ||
			problem "${where}" "${script}: no flag ${flag}"
	done
	if [[ "${script}" == bash/test.sh ]]; then
		local -a suites=()
		for w in "$@"; do [[ "${w}" == -* ]] || suites+=("${w}"); done
		check_suites "${where}" "${suites[@]}"
	fi
}

# check_command WHERE TEXT: TEXT is one shell command line.
check_command() {
	local where="$1" text="$2" segment first
	local -a argv
	text="${text#\$ }"
	text="$(sed -E 's/(^|[[:space:]])#.*$//' <<<"${text}")"
	while IFS= read -r segment; do
		mapfile -t argv < <(words "${segment}")
		while ((${#argv[@]})) && [[ "${argv[0]}" =~ ^[A-Za-z_][A-Za-z0-9_]*=|^sudo$|^time$ ]]; do
			argv=("${argv[@]:1}")
		done
		((${#argv[@]})) || continue
		first="${argv[0]}"
		case "${first}" in
		make) check_make "${where}" "${argv[@]:1}" ;;
		vigia | go-daemon/bin/vigia | /usr/local/bin/vigia | ./vigia)
			check_vigia "${where}" "${argv[@]:1}"
			;;
		bash/*.sh | modulo-kernel/*.sh | dashboard/*.sh | go-daemon/*.sh)
			check_script "${where}" "${first}" "${argv[@]:1}"
			;;
		bash)
			[[ "${argv[1]:-}" == *.sh ]] && check_script "${where}" "${argv[1]}" "${argv[@]:2}"
			;;
		esac
	done < <(sed -E 's/(&&|\|\||;|\|)/\n/g' <<<"${text}")
}

check_file() {
	local file="$1" kind line text where first
	while IFS=$'\t' read -r kind line text; do
		where="${file}:${line}"
		case "${kind}" in
		link) check_link "${file}" "${where}" "${text}" ;;
		cmd)
			check_paths "${where}" "${text}"
			check_keys "${where}" "${text}"
			check_command "${where}" "${text}"
			;;
		span)
			check_paths "${where}" "${text}"
			check_keys "${where}" "${text}"
			first="${text%% *}"
			if [[ "${text}" =~ ^--[a-z]+\.[a-z.-]+(=[^ ]*)?$ ]]; then
				check_vigia "${where}" run "${text}"
			fi
			case "${first}" in
			make | vigia | go-daemon/bin/vigia | bash/*.sh | modulo-kernel/*.sh | dashboard/*.sh)
				check_command "${where}" "${text}"
				;;
			esac
			;;
		esac
	done < <(extract "${VIGIA_ROOT}/${file}")
}

# check_panels: every panel of the provisioned dashboards is explained in the
# user manual (as **Title**), and every **Title** of the manual's Grafana
# section is a panel that exists.
check_panels() {
	local manual=documentacion/manual-usuario.md titles section title
	[[ -f "${manual}" ]] || return 0
	titles="$(jq -r '.. | objects | select(has("gridPos")) | .title // empty' \
		dashboard/provisioning/dashboards/*.json | sort -u)"
	section="$(awk '/^## Grafana/ { on = 1; next } on && /^## / { exit } on' "${manual}")"
	while IFS= read -r title; do
		[[ -n "${title}" ]] || continue
		CHECKED=$((CHECKED + 1))
		grep -qF -- "**${title}**" <<<"${section}" ||
			problem "${manual}" "Grafana panel \"${title}\" is not explained in the Grafana section"
	done <<<"${titles}"
	while IFS= read -r title; do
		CHECKED=$((CHECKED + 1))
		grep -qxF -- "${title}" <<<"${titles}" ||
			problem "${manual}" "the Grafana section names a panel \"${title}\" that no dashboard has"
	done < <(grep -oE '^\| \*\*[^*]+\*\*' <<<"${section}" | sed -E 's/^\| \*\*//; s/\*\*$//')
}

build_vigia() {
	local out="${VIGIA_ROOT}/build/docs-check"
	mkdir -p "${out}"
	command -v go >/dev/null || vigia::die "go is not installed: the docs check builds vigia to read its help"
	(cd "${VIGIA_ROOT}/go-daemon" && CGO_ENABLED=0 go build -o "${out}/vigia" ./cmd/vigia) ||
		vigia::die "cannot build vigia from go-daemon/"
	VIGIA_BIN="${out}/vigia"
}

main() {
	local -a files=()
	local file
	while (($#)); do
		case "$1" in
		--vigia)
			(($# >= 2)) || vigia::die "--vigia needs a binary"
			VIGIA_BIN="$2"
			shift
			;;
		-h | --help)
			usage
			return 0
			;;
		-*)
			usage >&2
			vigia::die "unknown flag: $1"
			;;
		*) files+=("$1") ;;
		esac
		shift
	done
	cd "${VIGIA_ROOT}"
	export PATH="${PATH}:/usr/local/go/bin"
	if ((${#files[@]} == 0)); then
		files=(README.md README.es.md documentacion/*.md)
	fi
	[[ -n "${VIGIA_BIN}" ]] || build_vigia
	VIGIA_COMMANDS="$("${VIGIA_BIN}" --help 2>&1 | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { exit }')"
	[[ -n "${VIGIA_COMMANDS}" ]] || vigia::die "${VIGIA_BIN} --help lists no commands"
	SUITE_NAMES="$(bash/test.sh --list)"
	for file in "${files[@]}"; do
		[[ -f "${file}" ]] || vigia::die "no such file: ${file}"
		check_file "${file}"
	done
	check_panels
	printf 'check-docs: %d files, %d references checked, %d problems\n' \
		"${#files[@]}" "${CHECKED}" "${PROBLEMS}"
	((PROBLEMS == 0))
}

main "$@"
