/**
 * Checks of the install as a whole (spec §7 `troubleshoot`, §1.1, §8.3): the operator namespace exists, the
 * DynaKube CRD is installed, established and serves the version this operator stores (`v1beta6`), the EdgeConnect
 * CRD likewise (a warning when it is absent: only EdgeConnect needs it), the CRDs' version label matches the
 * operator's, the operator Deployment runs, and the DynaKubes to check exist.
 *
 * @since 0.1.0
 */
import * as DynaKubeV1beta6 from "../../schemas/DynaKubeV1beta6.ts"
import * as EdgeConnectV1alpha2 from "../../schemas/EdgeConnectV1alpha2.ts"
import * as Check from "./Check.ts"
import type { ClusterFacts, CrdFacts } from "./Facts.ts"

/** @category constants @since 0.1.0 */
export const subject = "cluster"

/** @category checks @since 0.1.0 */
export const namespace = (facts: ClusterFacts): Check.Verdict => {
  const id = "namespace"
  switch (facts.namespaceExists._tag) {
    case "Found":
      return Check.pass(id, `Namespace ${facts.namespace} exists.`)
    case "NotFound":
      return Check.fail(
        id,
        `Namespace ${facts.namespace} does not exist; pass the operator's namespace with --namespace.`
      )
    case "Failed":
      return Check.fail(id, `Namespace ${facts.namespace} could not be read: ${facts.namespaceExists.reason}`)
  }
}

const crdCheck = (
  id: string,
  name: string,
  hub: string,
  crd: ClusterFacts["dynakubeCrd"],
  whenMissing: (message: string) => Check.Verdict
): Check.Verdict => {
  if (crd._tag === "NotFound") return whenMissing(`The CRD ${name} is not installed.`)
  if (crd._tag === "Failed") return Check.fail(id, `The CRD ${name} could not be read: ${crd.reason}`)
  const facts = crd.value
  const served = facts.servedVersions.length === 0 ? "none" : facts.servedVersions.join(", ")
  if (!facts.established) return Check.fail(id, `The CRD ${name} is not established yet (served: ${served}).`)
  if (!facts.servedVersions.includes(hub)) {
    return Check.fail(
      id,
      `The CRD ${name} does not serve ${hub}, which this operator needs (served: ${served}); upgrade the CRDs.`
    )
  }
  if (facts.storageVersion !== hub) {
    return Check.warn(
      id,
      `The CRD ${name} stores ${facts.storageVersion ?? "no version"}, this operator expects ${hub} (served: ${served}).`
    )
  }
  return Check.pass(id, `The CRD ${name} is established; served: ${served}; stored: ${hub}.`)
}

/** @category checks @since 0.1.0 */
export const dynakubeCrd = (facts: ClusterFacts): Check.Verdict =>
  crdCheck("crd-dynakube", "dynakubes.dynatrace.com", DynaKubeV1beta6.version, facts.dynakubeCrd, (message) =>
    Check.fail("crd-dynakube", `${message} Install the operator's CRDs.`)
  )

/** @category checks @since 0.1.0 */
export const edgeConnectCrd = (facts: ClusterFacts): Check.Verdict =>
  crdCheck(
    "crd-edgeconnect",
    "edgeconnects.dynatrace.com",
    EdgeConnectV1alpha2.version,
    facts.edgeConnectCrd,
    (message) => Check.warn("crd-edgeconnect", `${message} Only EdgeConnect needs it.`)
  )

/** The operator version to compare CRD labels with: the running Deployment's, else this binary's. */
const runningVersion = (facts: ClusterFacts): string =>
  Check.valueOf(facts.operatorDeployment)?.versionLabel ?? facts.operatorVersion

/** @category checks @since 0.1.0 */
export const crdVersion = (facts: ClusterFacts): Check.Verdict => {
  const id = "crd-version"
  const crds = [facts.dynakubeCrd, facts.edgeConnectCrd]
    .map((lookup) => Check.valueOf(lookup))
    .filter((crd): crd is CrdFacts => crd !== undefined)
  const labelled = crds.filter((crd) => crd.versionLabel !== undefined)
  if (labelled.length === 0) return Check.skip(id, "The CRDs carry no app.kubernetes.io/version label to compare.")
  const version = runningVersion(facts)
  const different = labelled.filter((crd) => crd.versionLabel !== version)
  if (different.length > 0) {
    return Check.warn(
      id,
      `The CRDs ${different.map((crd) => `${crd.name} (${crd.versionLabel})`).join(", ")} belong to another operator version than ${version}; install the CRDs of this release.`
    )
  }
  return Check.pass(id, `The CRDs belong to operator version ${version}.`)
}

/** @category checks @since 0.1.0 */
export const operatorDeployment = (facts: ClusterFacts): Check.Verdict => {
  const id = "operator"
  const deployment = facts.operatorDeployment
  const where = `${facts.namespace}/dynatrace-operator`
  if (deployment._tag === "NotFound") return Check.fail(id, `The Deployment ${where} does not exist.`)
  if (deployment._tag === "Failed")
    return Check.fail(id, `The Deployment ${where} could not be read: ${deployment.reason}`)
  const d = deployment.value
  const version = d.versionLabel ?? d.image ?? "an unknown version"
  if (d.replicas === 0) return Check.warn(id, `The Deployment ${where} (${version}) is scaled to 0.`)
  if (d.available === 0) return Check.fail(id, `The Deployment ${where} (${version}) has no available pod.`)
  return Check.pass(id, `The operator ${version} runs (${d.available}/${d.replicas} available).`)
}

/** @category checks @since 0.1.0 */
export const dynakubes = (facts: ClusterFacts): Check.Verdict => {
  const id = "dynakubes"
  const list = facts.dynakubes
  if (list._tag === "Failed")
    return Check.fail(id, `DynaKubes in ${facts.namespace} could not be listed: ${list.reason}`)
  const names = list._tag === "Found" ? list.value : []
  const requested = facts.requestedDynaKube
  if (requested !== undefined) {
    return names.includes(requested)
      ? Check.pass(id, `DynaKube ${facts.namespace}/${requested} found.`)
      : Check.fail(id, `DynaKube ${facts.namespace}/${requested} does not exist.`)
  }
  if (names.length === 0) return Check.fail(id, `No DynaKube in namespace ${facts.namespace}.`)
  return Check.pass(id, `${names.length} DynaKube${names.length === 1 ? "" : "s"} found: ${names.join(", ")}.`)
}

/**
 * Every cluster check, in order. When the namespace is missing, the checks that look inside it are skipped.
 * @category checks
 * @since 0.1.0
 */
export const all = (facts: ClusterFacts): ReadonlyArray<Check.Verdict> => {
  const ns = namespace(facts)
  const crds = [dynakubeCrd(facts), edgeConnectCrd(facts), crdVersion(facts)]
  if (ns.status === "fail") {
    return [
      ns,
      ...crds,
      Check.skip("operator", "Skipped: the namespace is not there."),
      Check.skip("dynakubes", "Skipped: the namespace is not there.")
    ]
  }
  return [ns, ...crds, operatorDeployment(facts), dynakubes(facts)]
}

/** The names of the DynaKubes to check one by one. @category accessors @since 0.1.0 */
export const dynakubesToCheck = (facts: ClusterFacts): ReadonlyArray<string> => {
  const names = Check.valueOf(facts.dynakubes) ?? []
  const requested = facts.requestedDynaKube
  return requested === undefined ? names : names.filter((name) => name === requested)
}
