"""GKE A3 GPUDirect networking for a Ray worker pod: the receive-datapath-manager sidecar, the NCCL env,
the multi-network annotations, and the cluster objects that name the GPU NIC networks.

Sources (GoogleCloudPlatform/container-engine-accelerators, gpudirect-tcpx/ and gpudirect-tcpxo/: the
release notes in gpudirect-tcpxo/README.md, nccl-test-latest.yaml, best-practice.md; GKE docs "Maximize GPU
network bandwidth with GPUDirect-TCPX/TCPXO"):

- A3 High (`tcpx`, 4 GPU NICs): `tcpx-daemon` (tcpgpudmarxd) sharing a UNIX socket dir with the trainer;
  NCCL loads the GPUDirectTCPX plugin from the host's /home/kubernetes/bin/nvidia/lib64.
- A3 Mega (`tcpxo`, 8 GPU NICs): `tcpxo-daemon` (the RxDM) and NCCL's FasTrak plugin, installed on the node
  by Google's nccl-tcpxo-installer DaemonSet into the same host directory; `NCCL_FASTRAK_*` as listed in the
  release notes of the pinned daemon (Feb 2025: tcpgpudmarxd-dev v1.0.14, NCCL 2.21.5-2.23.4).

The daemons run as native sidecars (initContainers with restartPolicy Always, GKE ≥ 1.29) so the worker pod
ends when the trainer does (best-practice.md "Automatic Sidecar Termination"). Google publishes these images
by tag only; no digest could be looked up where trainyard is built, so they are pinned by tag (docs/gcp.md).
Not verified on a cluster: there is no GKE cluster here (docs/gcp.md, "GKE workload").
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Manifest = dict[str, Any]

GKE_NETWORKING_GROUP = "networking.gke.io"
GKE_NETWORKING_API = f"{GKE_NETWORKING_GROUP}/v1"
DEFAULT_INTERFACE = "eth0"  # the node VPC; eth1..ethN are the GPU NICs in network order
INTERFACES_ANNOTATION = "networking.gke.io/interfaces"
DEFAULT_INTERFACE_ANNOTATION = "networking.gke.io/default-interface"

TCPX_DAEMON_IMAGE = "us-docker.pkg.dev/gce-ai-infra/gpudirect-tcpx/tcpgpudmarxd-dev:v2.0.9"
TCPXO_DAEMON_IMAGE = "us-docker.pkg.dev/gce-ai-infra/gpudirect-tcpxo/tcpgpudmarxd-dev:v1.0.14"
# GKE installs the driver (and the TCPX/TCPXO NCCL plugin installers put NCCL + plugin) here on the host.
HOST_NVIDIA_DIR = "/home/kubernetes/bin/nvidia"
NVIDIA_MOUNT = "/usr/local/nvidia"
NVIDIA_LIB64 = f"{NVIDIA_MOUNT}/lib64"
TCPX_SOCKET_DIR = "/run/tcpx"
APERTURE_DEVICES = "/dev/aperture_devices"


@dataclass(frozen=True)
class WorkerPodExtras:
    """What a cloud adds to a Ray worker pod beyond the GPU request: annotations, sidecars, volumes,
    and env/mounts for the trainer container."""

    annotations: dict[str, str] = field(default_factory=dict)
    init_containers: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    env: list[dict[str, str]] = field(default_factory=list)
    volume_mounts: list[dict[str, Any]] = field(default_factory=list)


NO_EXTRAS = WorkerPodExtras()


def gpu_nic_network_name(prefix: str, index: int) -> str:
    """The GPU NIC VPC `index` (0-based) as infra/constructs/gcp/network.py::GpuNicNetworks names it; the
    Kubernetes Network and GKENetworkParamSet objects reuse the name so `kubectl` and the console agree."""
    return f"{prefix}-gpunic-{index}"


def gpu_nic_networks(prefix: str, count: int, labels: dict[str, str]) -> list[Manifest]:
    """A GKENetworkParamSet + Network per GPU NIC VPC (cluster-scoped; GKE multi-networking's CRDs)."""
    out: list[Manifest] = []
    for i in range(count):
        name = gpu_nic_network_name(prefix, i)
        out.append({"apiVersion": GKE_NETWORKING_API, "kind": "GKENetworkParamSet",
                    "metadata": {"name": name, "labels": dict(labels)},
                    # NetDevice: the whole NIC moves into the pod's namespace (what TCPX/TCPXO need).
                    "spec": {"vpc": name, "vpcSubnet": f"{name}-sub", "deviceMode": "NetDevice"}})
        out.append({"apiVersion": GKE_NETWORKING_API, "kind": "Network",
                    "metadata": {"name": name, "labels": dict(labels)},
                    "spec": {"type": "Device", "parametersRef": {"group": GKE_NETWORKING_GROUP,
                                                                 "kind": "GKENetworkParamSet", "name": name}}})
    return out


def interfaces_annotation(prefix: str, nics: int) -> dict[str, str]:
    interfaces = [{"interfaceName": DEFAULT_INTERFACE, "network": "default"}]
    interfaces += [{"interfaceName": f"eth{i + 1}", "network": gpu_nic_network_name(prefix, i)} for i in range(nics)]
    return {DEFAULT_INTERFACE_ANNOTATION: DEFAULT_INTERFACE,
            INTERFACES_ANNOTATION: json.dumps(interfaces, separators=(",", ":"))}


def _gpu_device_annotation(container: str, gpus_per_node: int, extra: tuple[str, ...] = ()) -> dict[str, str]:
    # GKE's device-injection annotation: the daemon sees every GPU of the node without requesting nvidia.com/gpu
    # (the trainer container holds the GPU request).
    paths = [f"/dev/nvidia{i}" for i in range(gpus_per_node)] + ["/dev/nvidiactl", "/dev/nvidia-uvm", *extra]
    return {f"devices.gke.io/container.{container}": "".join(f"- path: {p}\n" for p in paths)}


def _nic_names(nics: int) -> str:
    return ",".join(f"eth{i + 1}" for i in range(nics))


_NVIDIA_VOLUME = {"name": "nvidia-install-dir-host", "hostPath": {"path": HOST_NVIDIA_DIR}}
_NVIDIA_MOUNT = {"name": "nvidia-install-dir-host", "mountPath": NVIDIA_MOUNT}
_LD_LIBRARY_PATH = {"name": "LD_LIBRARY_PATH", "value": NVIDIA_LIB64}


def tcpxo_extras(prefix: str, nics: int, gpus_per_node: int, gpus: int) -> WorkerPodExtras:
    """A3 Mega: the tcpxo-daemon sidecar and NCCL FasTrak env (release notes of TCPXO_DAEMON_IMAGE)."""
    daemon = {
        "name": "tcpxo-daemon", "image": TCPXO_DAEMON_IMAGE, "imagePullPolicy": "IfNotPresent",
        "restartPolicy": "Always",  # native sidecar: ends with the pod's main container
        "command": ["/bin/sh", "-c"],
        "args": ["set -ex; chmod 755 /fts/entrypoint_rxdm_container.sh; "
                 f"/fts/entrypoint_rxdm_container.sh --num_hops=2 --num_nics={nics} --uid= --alsologtostderr"],
        "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_BIND_SERVICE"]}},
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}},
        "volumeMounts": [_NVIDIA_MOUNT, {"name": "sys", "mountPath": "/hostsysfs"},
                         {"name": "proc-sys", "mountPath": "/hostprocsysfs"}],
        "env": [_LD_LIBRARY_PATH]}
    env = {
        "NCCL_FASTRAK_CTRL_DEV": DEFAULT_INTERFACE, "NCCL_FASTRAK_IFNAME": _nic_names(nics),
        "NCCL_SOCKET_IFNAME": DEFAULT_INTERFACE, "NCCL_CROSS_NIC": "0", "NCCL_ALGO": "Ring,Tree",
        "NCCL_PROTO": "Simple", "NCCL_MIN_NCHANNELS": "4", "NCCL_TUNER_PLUGIN": "libnccl-tuner.so",
        "NCCL_TUNER_CONFIG_PATH": f"{NVIDIA_LIB64}/a3plus_tuner_config.textproto",
        "NCCL_SHIMNET_GUEST_CONFIG_CHECKER_CONFIG_FILE": f"{NVIDIA_LIB64}/a3plus_guest_config.textproto",
        "NCCL_DYNAMIC_CHUNK_SIZE": "524288", "NCCL_P2P_NET_CHUNKSIZE": "524288",
        "NCCL_P2P_PCI_CHUNKSIZE": "524288", "NCCL_P2P_NVL_CHUNKSIZE": "1048576",
        "NCCL_FASTRAK_NUM_FLOWS": "2", "NCCL_FASTRAK_USE_SNAP": "1",
        "NCCL_FASTRAK_PLUGIN_ACCEPT_TIMEOUT_MS": "600000", "NCCL_FASTRAK_ENABLE_CONTROL_CHANNEL": "0",
        "NCCL_BUFFSIZE": "8388608", "NCCL_NET_GDR_LEVEL": "PIX", "NCCL_FASTRAK_ENABLE_HOTPATH_LOGGING": "0",
        "NCCL_FASTRAK_USE_LLCM": "1", "NCCL_FASTRAK_LLCM_DEVICE_DIRECTORY": APERTURE_DEVICES,
        "NCCL_NVLS_ENABLE": "0"}
    return WorkerPodExtras(
        annotations={**interfaces_annotation(prefix, nics),
                     **_gpu_device_annotation("tcpxo-daemon", gpus_per_node, ("/dev/dmabuf_import_helper",))},
        init_containers=[daemon],
        volumes=[_NVIDIA_VOLUME, {"name": "sys", "hostPath": {"path": "/sys"}},
                 {"name": "proc-sys", "hostPath": {"path": "/proc/sys"}},
                 {"name": "aperture-devices", "hostPath": {"path": APERTURE_DEVICES}}],
        env=[_LD_LIBRARY_PATH, *_visible_devices(gpus_per_node, gpus),
             *({"name": k, "value": v} for k, v in env.items())],
        volume_mounts=[_NVIDIA_MOUNT, {"name": "aperture-devices", "mountPath": APERTURE_DEVICES}])


def tcpx_extras(prefix: str, nics: int, gpus_per_node: int, gpus: int) -> WorkerPodExtras:
    """A3 High: the tcpx-daemon sidecar and the GPUDirectTCPX NCCL plugin's env (GKE docs, TCPX)."""
    daemon = {
        "name": "tcpx-daemon", "image": TCPX_DAEMON_IMAGE, "imagePullPolicy": "IfNotPresent",
        "restartPolicy": "Always",
        "command": ["/tcpgpudmarxd/build/app/tcpgpudmarxd", "--gpu_nic_preset", "a3vm", "--gpu_shmem_type", "fd",
                    "--uds_path", TCPX_SOCKET_DIR, "--setup_param", "--verbose 128 2 0"],
        "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}},
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}},
        "volumeMounts": [_NVIDIA_MOUNT, {"name": "tcpx-socket", "mountPath": TCPX_SOCKET_DIR},
                         {"name": "sys", "mountPath": "/hostsysfs"},
                         {"name": "proc-sys", "mountPath": "/hostprocsysfs"}],
        "env": [_LD_LIBRARY_PATH]}
    env = {
        "NCCL_SOCKET_IFNAME": DEFAULT_INTERFACE, "NCCL_CROSS_NIC": "0", "NCCL_ALGO": "Ring", "NCCL_PROTO": "Simple",
        "NCCL_NSOCKS_PERTHREAD": "4", "NCCL_SOCKET_NTHREADS": "1", "NCCL_NET_GDR_LEVEL": "PIX",
        "NCCL_DYNAMIC_CHUNK_SIZE": "524288", "NCCL_P2P_PXN_LEVEL": "0", "NCCL_P2P_NET_CHUNKSIZE": "524288",
        "NCCL_P2P_PCI_CHUNKSIZE": "524288", "NCCL_P2P_NVL_CHUNKSIZE": "1048576", "NCCL_BUFFSIZE": "4194304",
        "NCCL_GPUDIRECTTCPX_SOCKET_IFNAME": _nic_names(nics), "NCCL_GPUDIRECTTCPX_CTRL_DEV": DEFAULT_INTERFACE,
        "NCCL_GPUDIRECTTCPX_UNIX_CLIENT_PREFIX": TCPX_SOCKET_DIR,
        "NCCL_GPUDIRECTTCPX_PROGRAM_FLOW_STEERING_WAIT_MICROS": "500000"}
    return WorkerPodExtras(
        annotations={**interfaces_annotation(prefix, nics), **_gpu_device_annotation("tcpx-daemon", gpus_per_node)},
        init_containers=[daemon],
        volumes=[_NVIDIA_VOLUME, {"name": "tcpx-socket", "emptyDir": {}},
                 {"name": "sys", "hostPath": {"path": "/sys"}}, {"name": "proc-sys", "hostPath": {"path": "/proc/sys"}}],
        env=[_LD_LIBRARY_PATH, *_visible_devices(gpus_per_node, gpus),
             *({"name": k, "value": v} for k, v in env.items())],
        volume_mounts=[_NVIDIA_MOUNT, {"name": "tcpx-socket", "mountPath": TCPX_SOCKET_DIR}])


def _visible_devices(gpus_per_node: int, gpus: int) -> list[dict[str, str]]:
    # Google's configs pin CUDA_VISIBLE_DEVICES to all 8 GPUs; only right for a whole-node worker — a worker
    # sharing the node keeps the device plugin's assignment.
    if gpus != gpus_per_node:
        return []
    return [{"name": "CUDA_VISIBLE_DEVICES", "value": ",".join(str(i) for i in range(gpus_per_node))}]


GPUDIRECT_EXTRAS = {"tcpx": tcpx_extras, "tcpxo": tcpxo_extras}
