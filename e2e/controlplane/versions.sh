# Pinned versions of the test control plane. Bumping one rebuilds only that binary.
K8S_VERSION=v1.34.10
ETCD_VERSION=v3.6.14
KWOK_VERSION=v0.8.0
# csi-sanity after 5.4.0: earlier releases fail every Node test for a driver without a Controller service.
CSI_SANITY_VERSION=v5.6.0
