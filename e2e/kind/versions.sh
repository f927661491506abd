# Pinned versions of the kind e2e path. The node image (with digest) is in kind-config.yaml.
KIND_VERSION=v0.30.0
