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
