/**
 * The one strict `node:util` parseArgs call behind every CLI's flags (preflight, verify, plan, the benchmarks).
 * Node's own error is handed to the CLI's `explain` as a FlagProblem (its code, its message, the flag or word it
 * names), so each CLI keeps its own wording (a contract) and none re-parses Node's message by hand.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export interface FlagProblem {
  /** Node's error code (ERR_PARSE_ARGS_UNKNOWN_OPTION, ..._INVALID_OPTION_VALUE, ..._UNEXPECTED_POSITIONAL). */
  code: string | undefined;
  /** Node's message. */
  message: string;
  /** The flag or argument Node's message quotes, when it quotes one. */
  subject: string | undefined;
}

/** `parseArgs` in strict mode; a refusal becomes the Error `explain` builds (never Node's own TypeError). */
export function parseStrict<T extends Omit<ParseArgsConfig, "strict">>(
  config: T,
  explain: (p: FlagProblem) => Error,
): ReturnType<typeof parseArgs<T & { strict: true }>> {
  try {
    return parseArgs({ ...config, strict: true }) as ReturnType<typeof parseArgs<T & { strict: true }>>;
  } catch (e) {
    const message = (e as Error)?.message ?? String(e);
    throw explain({ code: (e as { code?: string })?.code, message, subject: /'([^']+)'/.exec(message)?.[1] });
  }
}
