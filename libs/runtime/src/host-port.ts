import { z } from 'zod';

/** `HOST:PORT`, as in `--upstream 127.0.0.1:6002`. */
export const hostPortSchema = z.string().transform((value, ctx) => {
  const match = /^(.+):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'expected HOST:PORT with a port from 1 to 65535',
    });
    return z.NEVER;
  }
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
});

/** `HOST:PORT[,HOST:PORT...]`, as in `--upstream 127.0.0.1:6002,127.0.0.1:6003`, each once. */
export const hostPortListSchema = z
  .string()
  .transform((value) => value.split(','))
  .pipe(z.array(hostPortSchema).min(1))
  .superRefine((targets, ctx) => {
    const seen = new Set(targets.map((target) => `${target.host}:${target.port}`));
    if (seen.size !== targets.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a HOST:PORT is listed twice' });
    }
  });
