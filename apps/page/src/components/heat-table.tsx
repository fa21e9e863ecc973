import type { HeatView } from '@semicache/client/admin-api';
import { formatAge } from '@semicache/client/decision-groups';

/** The counts shown after lookups, one column each. */
const COUNTS = ['hits', 'misses', 'writes', 'evictions'] as const;

/**
 * Per-index heat, the most looked-up first, with a bar for the share of lookups; the idle times
 * go on from when it was loaded.
 */
export function HeatTable(props: { heat: HeatView; loadedAt: number; now: number }) {
  const { heat } = props;
  const since = Math.max(0, props.now - props.loadedAt);
  if (heat.indices.length === 0) return <p class="empty">No index looked up yet.</p>;
  const most = Math.max(1, ...heat.indices.map((index) => index.lookups));
  return (
    <table class="heat" data-testid="heat">
      <thead>
        <tr>
          <th>index</th>
          <th class="bar-column">lookups</th>
          <th>hits</th>
          <th>misses</th>
          <th>writes</th>
          <th>evictions</th>
          <th>hit ratio</th>
          <th>idle</th>
        </tr>
      </thead>
      <tbody>
        {heat.indices.map((index) => (
          <tr key={index.index} data-testid="heat-row" data-index={index.index}>
            <td class="num strong">{index.index}</td>
            <td class="bar-column">
              <span class="bar" style={{ width: `${(index.lookups / most) * 100}%` }} />
              <span class="num" data-field="lookups">
                {index.lookups}
              </span>
            </td>
            {COUNTS.map((count) => (
              <td key={count} class="num" data-field={count}>
                {index[count]}
              </td>
            ))}
            <td class="num">
              {index.lookups > 0 ? `${Math.round((index.hits / index.lookups) * 100)}%` : '–'}
            </td>
            <td class="num dim">{formatAge(index.idleMs + since)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
