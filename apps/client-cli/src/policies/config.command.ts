import { type ConfigChange, ProxyAdmin } from '@semicache/client';
import { type Command, Option } from 'commander';
import type { GlobalOptions, Output } from '../program';
import { CliError, EXIT, adminFailure } from '../session';

/** `capacity=8 eviction=lru` as the body of `PUT /config`; the proxy validates the values. */
export function parseSettings(pairs: readonly string[]): ConfigChange {
  const change: { capacity?: number; eviction?: string } = {};
  for (const pair of pairs) {
    const match = /^(\w+)=(.*)$/.exec(pair);
    const key = match?.[1];
    const value = match?.[2] ?? '';
    if (key === 'capacity') {
      if (!/^\d+$/.test(value))
        throw new CliError(`capacity must be a whole number, not "${value}"`, EXIT.usage);
      change.capacity = Number(value);
    } else if (key === 'eviction') {
      change.eviction = value;
    } else {
      throw new CliError(
        `"${pair}" is not a setting: use capacity=N and/or eviction=POLICY`,
        EXIT.usage,
      );
    }
  }
  return change;
}

/** `semicache config set capacity=8 eviction=lru`: changes the live cache through PUT /config. */
export function addConfigCommand(
  program: Command,
  options: () => GlobalOptions,
  output: Output,
): void {
  const config = program
    .command('config')
    .description("change the proxy's live cache without a restart (PUT /config)");
  config
    .command('set')
    .description('set capacity=N and/or eviction=fifo|lru|clock|lfu|sieve|arc')
    .argument('<key=value...>')
    .addOption(
      new Option('--admin-token <token>', "the proxy's --admin-token").env(
        'SEMICACHE_PROXY_ADMIN_TOKEN',
      ),
    )
    .action(async (pairs: string[], flags: { adminToken?: string }) => {
      const change = parseSettings(pairs);
      const { proxyAdmin, timeout, json } = options();
      try {
        const result = await new ProxyAdmin(proxyAdmin, timeout).configure(
          change,
          flags.adminToken,
        );
        const evicted =
          result.evicted.length === 0 ? 'nothing evicted' : `evicted ${result.evicted.join(', ')}`;
        output.out(
          json
            ? JSON.stringify(result)
            : `proxy cache: ${result.policy}, capacity ${result.capacity}, ${result.size} entries; ${evicted}`,
        );
      } catch (error) {
        throw adminFailure(error);
      }
    });
}
