/**
 * kwok's lifecycle "stages" for the test control plane. kwok v0.8 refuses to start without any; these stand
 * in for a kubelet on fake nodes:
 *
 * - a managed Node that is not Ready gets Ready with the usual conditions, addresses and capacity;
 * - a Pod bound to such a node goes Pending → Running with all containers ready (init containers completed,
 *   sidecar init containers running), a host IP and a pod IP from kwok's --cidr;
 * - a Running Pod owned by a Job goes to Succeeded, so Jobs complete;
 * - a Pod with a deletionTimestamp is deleted for good (otherwise it would stay Terminating forever and block
 *   namespace deletion).
 *
 * Node heartbeats come from kwok's Lease handling (--node-lease-duration-seconds), like a kubelet's.
 * Templates are Go text/template over the object, with kwok's helpers (Now, Quote, YAML, NodeConditions,
 * NodeIP, NodeIPsWith, PodIPsWith).
 */

const nodeReady = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: testenv-node-ready
spec:
  resourceRef: { apiGroup: v1, kind: Node }
  selector:
    matchExpressions:
      - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
        operator: NotIn
        values: ["True"]
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - type: {{ .type | Quote }}
        status: {{ .status | Quote }}
        reason: {{ .reason | Quote }}
        message: {{ .message | Quote }}
        lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
      {{ end }}
      addresses:
      - type: InternalIP
        address: {{ NodeIP | Quote }}
      - type: Hostname
        address: {{ .metadata.name | Quote }}
      capacity:
      {{ with .status.capacity }}{{ YAML . 1 }}{{ else }}
        cpu: "32"
        memory: 256Gi
        pods: "110"
      {{ end }}
      allocatable:
      {{ with .status.allocatable }}{{ YAML . 1 }}{{ else }}
        cpu: "32"
        memory: 256Gi
        pods: "110"
      {{ end }}
      {{ $info := .status.nodeInfo }}
      nodeInfo:
        architecture: {{ or $info.architecture "amd64" | Quote }}
        operatingSystem: {{ or $info.operatingSystem "linux" | Quote }}
        kubeletVersion: {{ or $info.kubeletVersion "fake" | Quote }}
        kubeProxyVersion: {{ or $info.kubeProxyVersion "fake" | Quote }}
        containerRuntimeVersion: {{ or $info.containerRuntimeVersion "fake://0" | Quote }}
        kernelVersion: {{ or $info.kernelVersion "fake" | Quote }}
        osImage: {{ or $info.osImage "fake" | Quote }}
        bootID: ""
        machineID: ""
        systemUUID: ""
      phase: Running
`

const podRunning = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: testenv-pod-running
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - key: .metadata.deletionTimestamp
        operator: DoesNotExist
      - key: .status.phase
        operator: In
        values: ["Pending"]
      - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
        operator: NotIn
        values: ["True"]
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Running
      startTime: {{ $now | Quote }}
      conditions:
      {{ range list "PodReadyToStartContainers" "Initialized" "ContainersReady" "Ready" }}
      - type: {{ . }}
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      {{ end }}
      {{ range .spec.readinessGates }}
      - type: {{ .conditionType | Quote }}
        status: "True"
        lastTransitionTime: {{ $now | Quote }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        imageID: ""
        ready: true
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        imageID: ""
        ready: true
        restartCount: 0
        {{ if eq .restartPolicy "Always" }}
        started: true
        state:
          running:
            startedAt: {{ $now | Quote }}
        {{ else }}
        started: false
        state:
          terminated:
            exitCode: 0
            reason: Completed
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
        {{ end }}
      {{ end }}
      {{ with NodeIPsWith .spec.nodeName }}
      hostIP: {{ index . 0 | Quote }}
      hostIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
`

const jobPodSucceeded = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: testenv-job-pod-succeeded
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - key: .metadata.deletionTimestamp
        operator: DoesNotExist
      - key: .status.phase
        operator: In
        values: ["Running"]
      - key: .metadata.ownerReferences.[].kind
        operator: In
        values: ["Job"]
  next:
    statusTemplate: |
      {{ $now := Now }}
      phase: Succeeded
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        imageID: ""
        ready: false
        started: false
        restartCount: 0
        state:
          terminated:
            exitCode: 0
            reason: Completed
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
`

const podGone = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: testenv-pod-gone
spec:
  resourceRef: { apiGroup: v1, kind: Pod }
  selector:
    matchExpressions:
      - key: .metadata.deletionTimestamp
        operator: Exists
  next:
    delete: true
`

/** The kwok configuration file (multi-document YAML of Stage objects), passed with --config. */
export const kwokStagesYaml = [nodeReady, podRunning, jobPodSucceeded, podGone].map((d) => d.trim()).join("\n---\n")
