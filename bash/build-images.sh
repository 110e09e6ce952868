#!/usr/bin/env bash
# Builds the workload images vigia/ram, vigia/cpu and vigia/low: static C
# binaries (bash/images, gcc -static) copied into images FROM scratch. Needs
# no network and no base image. `make images` runs this.
set -Eeuo pipefail

# shellcheck source=bash/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=bash/lib/workload.sh
source "${VIGIA_ROOT}/bash/lib/workload.sh"

readonly SRC="${VIGIA_ROOT}/bash/images"
readonly OUT="${VIGIA_ROOT}/build/images"
# An image above this many bytes means something other than the binary got in.
readonly MAX_IMAGE_BYTES=$((4 * 1024 * 1024))

usage() {
	cat <<USAGE
Usage: ${0##*/} [KIND...]

Compiles the workload programs (bash/images) and builds the images
vigia/KIND:latest for each KIND (default: ${VIGIA_KINDS[*]}). Works with the legacy
builder and with BuildKit (DOCKER_BUILDKIT=1).
USAGE
}

# pick_builder: BuildKit needs the buildx plugin on Docker CLIs from 23 on;
# without it the legacy builder is used (a Dockerfile FROM scratch with one
# COPY builds the same image with either).
# TODO: the BuildKit path has not run here: this host's Docker CLI (28.x) has
# no buildx plugin and bookworm packages none. Where one is installed, the
# tests' DOCKER_BUILDKIT=1 case exercises it.
pick_builder() {
	if docker buildx version >/dev/null 2>&1; then
		vigia::info "builder: ${DOCKER_BUILDKIT:+DOCKER_BUILDKIT=${DOCKER_BUILDKIT} }docker default"
		return
	fi
	if [[ "${DOCKER_BUILDKIT:-}" == 1 ]]; then
		vigia::warn "DOCKER_BUILDKIT=1 but the buildx plugin is missing: using the legacy builder"
	fi
	export DOCKER_BUILDKIT=0
	vigia::info "builder: legacy (no buildx plugin)"
}

compile() {
	vigia::info "compiling the workload programs into ${OUT}"
	make -s -C "${SRC}" OUT="${OUT}" >&2 ||
		vigia::die "compiling bash/images failed: gcc and the static C library (libc6-dev) are needed"
}

# build KIND VERSION REVISION: docker build of one image, then a check of its
# labels and size.
build() {
	local kind="$1" version="$2" revision="$3" tag="vigia/$1:latest" size class out old
	vigia::info "building ${tag}"
	old="$(docker image inspect --format '{{.Id}}' "${tag}" 2>/dev/null)" || old=""
	# The output (and the legacy builder's deprecation notice) only on failure.
	out="$(docker build --quiet -f "${SRC}/${kind}/Dockerfile" -t "${tag}" \
		--build-arg "VERSION=${version}" --build-arg "REVISION=${revision}" \
		"${OUT}/${kind}" 2>&1)" || vigia::die "docker build of ${tag} failed: ${out}"
	# The image this tag named before is dangling now: drop it unless a
	# container still uses it (then docker refuses, which is fine).
	if [[ -n "${old}" && "${old}" != "$(docker image inspect --format '{{.Id}}' "${tag}")" ]]; then
		docker image rm "${old}" >/dev/null 2>&1 || true
	fi
	class="$(vigia::image_class "${kind}")"
	size="$(docker image inspect --format '{{.Size}}' "${tag}")"
	((size <= MAX_IMAGE_BYTES)) || vigia::die "${tag}: ${size} bytes, above ${MAX_IMAGE_BYTES}"
	vigia::info "built ${tag}: class ${class}, ${size} bytes"
}

main() {
	local -a wanted=()
	local kind version revision
	while (($#)); do
		case "$1" in
		-h | --help)
			usage
			return 0
			;;
		ram | cpu | low) wanted+=("$1") ;;
		*)
			usage >&2
			vigia::die "unknown argument: $1 (kinds: ${VIGIA_KINDS[*]})"
			;;
		esac
		shift
	done
	((${#wanted[@]})) || wanted=("${VIGIA_KINDS[@]}")
	vigia::docker_check
	pick_builder
	compile
	revision="$(git -C "${VIGIA_ROOT}" rev-parse HEAD 2>/dev/null || echo unknown)"
	version="$(git -C "${VIGIA_ROOT}" describe --always --dirty 2>/dev/null || echo dev)"
	for kind in "${wanted[@]}"; do
		build "${kind}" "${version}" "${revision}"
	done
}

main "$@"
