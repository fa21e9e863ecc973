import { DEFAULT_BARE_MESSAGE_DELAY_MS } from '@semicache/protocol';
import { Command, Option } from 'commander';
import { z } from 'zod';

/** A TCP or HTTP port: 0 means "any free port". */
export const portSchema = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().min(1);
export const nonNegativeInt = z.coerce.number().int().min(0);
/**
 * An on/off option: `--in-memory` alone is on; `--in-memory false` or the variable set to
 * `false`/`0` is off (a set variable is not enough to turn it on).
 */
export const flagSchema = z.preprocess(
  (value) => {
    if (value === true || value === 'true' || value === '1') return true;
    if (value === undefined || value === false || value === 'false' || value === '0') return false;
    return value;
  },
  z.boolean({ invalid_type_error: 'expected true, false, 1 or 0' }),
);

/** The protocol listener's limits, shared by the server and the proxy. */
export const listenerSchema = z.object({
  host: z.string().min(1),
  port: portSchema,
  adminPort: portSchema,
  maxMessageLength: z.coerce.number().int().min(64),
  bareMessageDelayMs: positiveInt,
  partialMessageTimeoutMs: positiveInt,
  idleTimeoutMs: nonNegativeInt,
  maxConnections: positiveInt,
  maxPendingReplies: positiveInt,
  shutdownTimeoutMs: positiveInt,
});
export type ListenerConfig = z.infer<typeof listenerSchema>;

export interface OptionSpec {
  readonly flags: string;
  readonly description: string;
  readonly env: string;
  readonly default?: string | boolean;
}

/** Options of the protocol listener; `prefix` names the environment variables (SEMICACHE_SERVER_...). */
export function listenerOptions(
  prefix: string,
  defaults: { port: number; adminPort: number; idleTimeoutMs: number },
): OptionSpec[] {
  return [
    {
      flags: '--host <host>',
      description: 'address to bind (protocol and admin)',
      env: `${prefix}_HOST`,
      default: '127.0.0.1',
    },
    {
      flags: '--port <port>',
      description: 'protocol TCP port (0: any free port)',
      env: `${prefix}_PORT`,
      default: String(defaults.port),
    },
    {
      flags: '--admin-port <port>',
      description: 'admin HTTP port (0: any free port)',
      env: `${prefix}_ADMIN_PORT`,
      default: String(defaults.adminPort),
    },
    {
      flags: '--max-message-length <bytes>',
      description: 'longest message; longer ones get TOO_LONG',
      env: `${prefix}_MAX_MESSAGE_LENGTH`,
      default: String(64 * 1024),
    },
    {
      flags: '--bare-message-delay-ms <ms>',
      description:
        'pause after which a whole message without a line terminator (ends in ";", or parses) is answered',
      env: `${prefix}_BARE_MESSAGE_DELAY_MS`,
      default: String(DEFAULT_BARE_MESSAGE_DELAY_MS),
    },
    {
      flags: '--partial-message-timeout-ms <ms>',
      description: 'pause after which any other unterminated input is taken as a message',
      env: `${prefix}_PARTIAL_MESSAGE_TIMEOUT_MS`,
      default: '5000',
    },
    {
      flags: '--idle-timeout-ms <ms>',
      description: 'close a connection silent for this long (0: never)',
      env: `${prefix}_IDLE_TIMEOUT_MS`,
      default: String(defaults.idleTimeoutMs),
    },
    {
      flags: '--max-connections <n>',
      description: 'connections beyond this get a BUSY error and are closed',
      env: `${prefix}_MAX_CONNECTIONS`,
      default: '10000',
    },
    {
      flags: '--max-pending-replies <n>',
      description: 'unanswered requests per connection before reading from it pauses',
      env: `${prefix}_MAX_PENDING_REPLIES`,
      default: '128',
    },
    {
      flags: '--shutdown-timeout-ms <ms>',
      description:
        'on SIGTERM/SIGINT, how long to wait for in-flight replies before closing connections',
      env: `${prefix}_SHUTDOWN_TIMEOUT_MS`,
      default: '5000',
    },
  ];
}

/**
 * Parses flags and environment variables (flags win) with commander, then validates and types
 * them with zod. Prints --help or a clear error and exits on bad input: this runs once, at start.
 */
export function parseConfig<S extends z.ZodTypeAny>(
  name: string,
  description: string,
  specs: readonly OptionSpec[],
  schema: S,
  argv: readonly string[] = process.argv,
): z.infer<S> {
  const program = new Command(name).description(description).allowExcessArguments(false);
  const options = specs.map((spec) => {
    const option = new Option(spec.flags, spec.description).env(spec.env);
    if (spec.default !== undefined) option.default(spec.default);
    program.addOption(option);
    return option;
  });
  program.parse(argv);
  const raw = program.opts();
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const flag = options.find((option) => option.attributeName() === key)?.long ?? key;
      return `invalid ${flag} (${JSON.stringify(raw[key])}): ${issue.message}`;
    });
    program.error(problems.join('\n'));
  }
  return result.data as z.infer<S>;
}
