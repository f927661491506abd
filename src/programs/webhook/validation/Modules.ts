/**
 * The installed product modules as validation sees them: the shared `modules.json` reader (src/schemas/Modules.ts),
 * re-exported under the name the validation rules import.
 *
 * @since 0.1.0
 */
export * from "../../../schemas/Modules.ts"
