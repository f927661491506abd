/**
 * The CSI driver's node directory layout (spec §5.3): the one contract between `csi-provisioner`, which downloads
 * code modules and points `latest-codemodule` at them, and `csi-server`, which mounts them into pods. Both take
 * every path from here; nothing else in the driver joins path strings under the data directory.
 *
 * ```
 * <root>                                     /data in the driver's containers,
 * │                                          <kubelet>/plugins/csi.oneagent.dynatrace.com/data on the node
 * ├── codemodules/<version | base64url(imageURI)>/  extracted code module, shared by all pods and DynaKubes
 * ├── _dynakubes/<dk>/
 * │   ├── latest-codemodule -> <root>/codemodules/<…>   symlink, re-pointed atomically by the provisioner
 * │   ├── osagent/                                     host-agent storage (mode=host)
 * │   └── appmounts/<podNamespace>/<podName> -> <root>/appmounts/<volumeID>   bookkeeping symlink
 * ├── appmounts/<volumeID>/
 * │   ├── var/          overlay upperdir (holds file pod-info = path of the bookkeeping symlink)
 * │   ├── work/         overlay workdir
 * │   └── mount-start/  its mtime marks the first publish attempt (retry timer)
 * ├── work/<jobName>/   scratch dir of node-image-pull Jobs
 * └── tmp_zip/          zip extraction staging
 * legacy (≤ 1.4): <root>/<tenantUUID>/run/<volumeID>/{mapped,var,work}, <root>/<tenantUUID>/osagent
 * ```
 *
 * State is the file system plus the kernel mount table; there is no database.
 *
 * Every name that becomes a path component is checked here as well as at the request boundary: a name that is
 * empty, `.`/`..`, or contains `/` or NUL is a defect, never a path outside the root.
 *
 * @since 0.1.0
 */
import * as path from "node:path"

/** The CSI driver name; also the plugin directory name under `<kubelet>/plugins/`. @category constants @since 0.1.0 */
export const DriverName = "csi.oneagent.dynatrace.com"

/** Where the data directory is mounted in the driver's containers. @category constants @since 0.1.0 */
export const DefaultRoot = "/data"

/** Top-level entries of the data directory that belong to the current layout. @category constants @since 0.1.0 */
export const CodeModulesDirName = "codemodules"
export const DynakubesDirName = "_dynakubes"
export const AppMountsDirName = "appmounts"
export const WorkDirName = "work"
export const TmpZipDirName = "tmp_zip"
export const KnownTopLevelNames: ReadonlyArray<string> = [
  CodeModulesDirName,
  DynakubesDirName,
  AppMountsDirName,
  WorkDirName,
  TmpZipDirName
]

/** Names inside `_dynakubes/<dk>/` and `appmounts/<volumeID>/`. @category constants @since 0.1.0 */
export const LatestCodeModuleLinkName = "latest-codemodule"
export const OsAgentDirName = "osagent"
export const OverlayUpperDirName = "var"
export const OverlayWorkDirName = "work"
export const MountStartDirName = "mount-start"
export const PodInfoFileName = "pod-info"

/** The data directory on a node, given the kubelet's root directory. @category constructors @since 0.1.0 */
export const nodeRoot = (kubeletDir: string): string => path.join(kubeletDir, "plugins", DriverName, "data")

/**
 * The directory name of a code module: the version itself when it is a plain version string, otherwise (a custom
 * code-modules image URI) the URI in unpadded base64url, so registry paths with `/` and `:` stay one component.
 *
 * @category naming
 * @since 0.1.0
 */
export const codeModuleDirName = (versionOrImageUri: string): string =>
  /^[0-9A-Za-z][0-9A-Za-z._+-]*$/.test(versionOrImageUri) && versionOrImageUri.length <= 128
    ? versionOrImageUri
    : Buffer.from(versionOrImageUri, "utf8").toString("base64url")

/** A name that is safe as one path component. @category validation @since 0.1.0 */
export const isSafeComponent = (name: string): boolean =>
  name.length > 0 &&
  Buffer.byteLength(name) <= 255 &&
  name !== "." &&
  name !== ".." &&
  !name.includes("/") &&
  !name.includes("\0")

const component = (kind: string, name: string): string => {
  // Callers validate at the boundary; reaching this with an unsafe name is a bug, not bad input.
  if (!isSafeComponent(name)) throw new Error(`${kind} ${JSON.stringify(name)} is not a safe path component`)
  return name
}

/** Every path of the layout, under one root. @category models @since 0.1.0 */
export interface DataDir {
  readonly root: string
  readonly codeModules: string
  /** `codemodules/<dirName>`; `dirName` from `codeModuleDirName`. */
  readonly codeModule: (dirName: string) => string
  /**
   * `codemodules/.<dirName>.staging`: where the provisioner builds a code module before renaming it onto
   * `codeModule(dirName)` (the name `StagedInstall.installDirectory` uses). Never a version directory: those never
   * start with a dot.
   */
  readonly codeModuleStaging: (dirName: string) => string
  readonly dynakubes: string
  readonly dynakube: (dynakube: string) => string
  readonly latestCodeModule: (dynakube: string) => string
  readonly osAgent: (dynakube: string) => string
  readonly dynakubeAppMounts: (dynakube: string) => string
  readonly podInfoLinkDir: (dynakube: string, podNamespace: string) => string
  readonly podInfoLink: (dynakube: string, podNamespace: string, podName: string) => string
  readonly appMounts: string
  readonly appMount: (volumeId: string) => string
  readonly overlayUpper: (volumeId: string) => string
  readonly overlayWork: (volumeId: string) => string
  readonly mountStart: (volumeId: string) => string
  readonly podInfoFile: (volumeId: string) => string
  readonly work: string
  readonly jobWork: (jobName: string) => string
  readonly tmpZip: string
  /** `tmp_zip/<dirName>.zip`: the downloaded archive of a code module while it is extracted. */
  readonly tmpZipFile: (dirName: string) => string
  /** Legacy (≤ 1.4) per-tenant volume directory `<tenant>/run/<volumeID>`. */
  readonly legacyVolume: (tenantUuid: string, volumeId: string) => string
  /** Legacy overlay mount point `<tenant>/run/<volumeID>/mapped`. */
  readonly legacyMapped: (tenantUuid: string, volumeId: string) => string
  /** Legacy host-agent storage `<tenant>/osagent`. */
  readonly legacyOsAgent: (tenantUuid: string) => string
}

/**
 * The layout under `root` (made absolute and normalised). The root must not contain `,` or `:`, which would break
 * overlayfs mount options; `make` throws in that case, so check it once at start-up with `validateRoot`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (root: string): DataDir => {
  const problem = validateRoot(root)
  if (problem !== undefined) throw new Error(problem)
  const base = path.resolve(root)
  const codeModules = path.join(base, CodeModulesDirName)
  const dynakubes = path.join(base, DynakubesDirName)
  const appMounts = path.join(base, AppMountsDirName)
  const work = path.join(base, WorkDirName)
  const dynakube = (dk: string) => path.join(dynakubes, component("DynaKube name", dk))
  const appMount = (vol: string) => path.join(appMounts, component("volume ID", vol))
  const legacyVolume = (tenant: string, vol: string) =>
    path.join(base, component("tenant UUID", tenant), "run", component("volume ID", vol))
  return {
    root: base,
    codeModules,
    codeModule: (dirName) => path.join(codeModules, component("code module directory", dirName)),
    codeModuleStaging: (dirName) => path.join(codeModules, `.${component("code module directory", dirName)}.staging`),
    dynakubes,
    dynakube,
    latestCodeModule: (dk) => path.join(dynakube(dk), LatestCodeModuleLinkName),
    osAgent: (dk) => path.join(dynakube(dk), OsAgentDirName),
    dynakubeAppMounts: (dk) => path.join(dynakube(dk), AppMountsDirName),
    podInfoLinkDir: (dk, ns) => path.join(dynakube(dk), AppMountsDirName, component("pod namespace", ns)),
    podInfoLink: (dk, ns, pod) =>
      path.join(dynakube(dk), AppMountsDirName, component("pod namespace", ns), component("pod name", pod)),
    appMounts,
    appMount,
    overlayUpper: (vol) => path.join(appMount(vol), OverlayUpperDirName),
    overlayWork: (vol) => path.join(appMount(vol), OverlayWorkDirName),
    mountStart: (vol) => path.join(appMount(vol), MountStartDirName),
    podInfoFile: (vol) => path.join(appMount(vol), OverlayUpperDirName, PodInfoFileName),
    work,
    jobWork: (job) => path.join(work, component("job name", job)),
    tmpZip: path.join(base, TmpZipDirName),
    tmpZipFile: (dirName) => path.join(base, TmpZipDirName, `${component("code module directory", dirName)}.zip`),
    legacyVolume,
    legacyMapped: (tenant, vol) => path.join(legacyVolume(tenant, vol), "mapped"),
    legacyOsAgent: (tenant) => path.join(base, component("tenant UUID", tenant), OsAgentDirName)
  }
}

/**
 * Why `root` cannot be the data directory, or `undefined` when it can: it must be absolute and free of the
 * characters overlayfs treats as option separators.
 *
 * @category validation
 * @since 0.1.0
 */
export const validateRoot = (root: string): string | undefined => {
  if (!path.isAbsolute(root)) return `data directory ${JSON.stringify(root)} must be an absolute path`
  if (/[,:\\\0\n]/.test(root)) {
    return `data directory ${JSON.stringify(root)} must not contain ',', ':', '\\', NUL or newlines (overlayfs options)`
  }
  return undefined
}
