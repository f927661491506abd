import { assert, describe, it } from "@effect/vitest"
import { foreignImages, splitImageUri } from "./ContainerImages.ts"

describe("ContainerImages", () => {
  it("takes the tag after the last ':' behind the last '/'", () => {
    assert.deepStrictEqual(
      splitImageUri("oneagent", "public.ecr.aws/dynatrace/dynatrace-oneagent:1.311.54.20250317-111439"),
      {
        type: "oneagent",
        imageUri: "public.ecr.aws/dynatrace/dynatrace-oneagent:1.311.54.20250317-111439",
        repository: "public.ecr.aws/dynatrace/dynatrace-oneagent",
        tag: "1.311.54.20250317-111439"
      }
    )
    assert.strictEqual(splitImageUri("x", "registry:5000/repo").tag, "")
    assert.strictEqual(splitImageUri("x", "registry:5000/repo:1.2@sha256:abc").tag, "1.2")
  })

  it("finds images from another registry", () => {
    const images = [splitImageUri("a", "mirror.example.com/dt/a:1"), splitImageUri("b", "public.ecr.aws/dynatrace/b:1")]
    assert.deepStrictEqual(
      foreignImages(images, "https://mirror.example.com/dt/").map((i) => i.type),
      ["b"]
    )
  })
})
