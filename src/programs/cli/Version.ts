/** The product version reported by `--version` and stamped into generated manifests and user agents. */
export const version = "0.1.0"
