/**
 * `dynatrace-operator webhook-server`: the admission webhooks (spec §3, §7) — pod injection (`/inject`), namespace
 * labelling (`/label-ns`) and, as they land, validation and conversion — on HTTPS `:8443` (`WEBHOOK_PORT`), with
 * health on `:10080` and metrics on `:8383`. Settings: `src/programs/webhook/WebhookConfig.ts`.
 */
import { Effect, Layer } from "effect"
import { Command, Flag } from "effect/cli"
import * as WebhookConfig from "../webhook/WebhookConfig.ts"
import * as WebhookMain from "../webhook/WebhookMain.ts"
import { version } from "./Cli.ts"

export const webhookServerCommand = Command.make(
  "webhook-server",
  {
    certsDir: Flag.String("certs-dir").pipe(
      Flag.withDescription("Directory of the serving certificate (written from the dynatrace-webhook-certs Secret)."),
      Flag.withDefault("/tmp/webhook/certs")
    ),
    cert: Flag.String("cert").pipe(
      Flag.withDescription("File name of the certificate in --certs-dir."),
      Flag.withDefault("tls.crt")
    ),
    certKey: Flag.String("cert-key").pipe(
      Flag.withDescription("File name of the private key in --certs-dir."),
      Flag.withDefault("tls.key")
    ),
    syncCertsSecret: Flag.Boolean("sync-certs-secret").pipe(
      Flag.withDescription(
        "Write the certificate from the dynatrace-webhook-certs Secret into --certs-dir (turn off when the files are mounted)."
      ),
      Flag.withDefault(true)
    )
  },
  Effect.fn(function* (flags) {
    const config = yield* WebhookConfig.load(flags, { version })
    yield* Layer.launch(WebhookMain.mainLayer(config, { syncCertificateSecret: flags.syncCertsSecret }))
  })
).pipe(
  Command.withDescription(
    "Serve the admission webhooks: pod injection (/inject) and namespace labelling (/label-ns) over HTTPS."
  )
)
