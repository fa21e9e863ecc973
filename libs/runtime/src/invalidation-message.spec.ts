import { invalidationSchema } from './invalidation-message';

describe('invalidationSchema', () => {
  it.each([
    [{ op: 'PUT', indices: [1, 2], values: ['7', '-3'], ackedAtUs: 1 }],
    [{ op: 'CLR', ackedAtUs: 1 }],
  ])('reads %j', (message) => {
    expect(invalidationSchema.safeParse(message).success).toBe(true);
  });

  it.each([
    [{ op: 'PUT', indices: [1, 2], values: ['7'], ackedAtUs: 1 }, 'indices and values differ'],
    [{ op: 'PUT', indices: [1], values: ['7', '8'], ackedAtUs: 1 }, 'indices and values differ'],
    [{ op: 'PUT', indices: [], values: [], ackedAtUs: 1 }, 'at least 1'],
    [{ op: 'PUT', indices: [1], values: ['x'], ackedAtUs: 1 }, 'Invalid'],
    [{ op: 'DEL', ackedAtUs: 1 }, 'discriminator'],
  ])('refuses %j (%s): the proxy then trusts nothing it caches', (message, why) => {
    const parsed = invalidationSchema.safeParse(message);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain(why);
  });
});
