#!/usr/bin/env bash
# Docker helpers shared by the workload scripts (build-images.sh, generate.sh,
# remove-containers.sh). Source it after common.sh; it runs nothing itself.

# The labels of vigia's containers (README, "Contracts") and the image kinds.
# shellcheck disable=SC2034 # read by the scripts that source this file
readonly VIGIA_LABEL_MANAGED=io.vigia.managed VIGIA_LABEL_CLASS=io.vigia.class \
	VIGIA_LABEL_KIND=io.vigia.kind VIGIA_LABEL_ROLE=io.vigia.role \
	VIGIA_LABEL_INSTANCE=io.vigia.instance
# shellcheck disable=SC2034 # read by the scripts that source this file
readonly -a VIGIA_KINDS=(ram cpu low)

# vigia::docker_check: dies with the reason when the docker CLI is missing or
# the engine does not answer.
vigia::docker_check() {
	local err
	command -v docker >/dev/null ||
		vigia::die "the docker CLI is not installed (Debian package docker.io)"
	if ! err="$(docker version --format '{{.Server.Version}}' 2>&1 >/dev/null)"; then
		err="${err//$'\n'/ }"
		vigia::die "Docker is not reachable at ${DOCKER_HOST:-unix:///var/run/docker.sock}: is the engine running? (${err})"
	fi
}

# vigia::image_class KIND: prints the io.vigia.class label of vigia/KIND:latest;
# dies when the image is missing or its labels are not vigia's.
vigia::image_class() {
	local kind="$1" image="vigia/$1:latest" labels
	if ! labels="$(docker image inspect --format \
		"{{index .Config.Labels \"${VIGIA_LABEL_KIND}\"}} {{index .Config.Labels \"${VIGIA_LABEL_CLASS}\"}}" \
		"${image}" 2>/dev/null)"; then
		vigia::die "image ${image} is missing: run make images"
	fi
	case "${labels}" in
	"${kind} high" | "${kind} low") printf '%s\n' "${labels#* }" ;;
	*) vigia::die "image ${image} has labels '${labels}', want kind ${kind} and class high or low: run make images" ;;
	esac
}
