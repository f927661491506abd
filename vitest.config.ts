import { defineConfig } from "vitest/config"

// Two projects: fast unit tests beside the code, and tests that need the real control plane
// (`*.integration.test.ts`, `e2e/**/*.test.ts`). The latter share one control plane per run,
// started and always stopped by the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "scripts/**/*.test.ts"],
          // Several unit tests spawn the binary or run property tests: seconds each on a loaded two-core machine.
          testTimeout: 30_000,
          exclude: ["**/*.integration.test.ts", "node_modules/**"]
        }
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["src/**/*.integration.test.ts", "e2e/**/*.test.ts"],
          globalSetup: ["e2e/controlplane/globalSetup.ts"],
          // Files share one control plane and cluster-scoped objects (CRDs and their conversion stanza, webhook
          // configurations): one file at a time keeps them from fighting. Tests inside a file may still overlap.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000
        }
      }
    ]
  }
})
