import type { ChildProcess } from 'node:child_process';

export declare const INSTALL_HINT: string;
export declare function redisServerInstalled(): boolean;
export declare function startRedisServer(options: {
  readonly port: number;
  readonly dir: string;
  readonly appendfsync?: 'always' | 'everysec' | 'no' | 'off';
  readonly timeoutMs?: number;
  readonly onOutput?: (line: string) => void;
}): Promise<ChildProcess>;
