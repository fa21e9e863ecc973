// Reads dashboards as Grafana stores them (plain JSON), for the tests: every panel, every
// target, and what is wrong with them.

/** The parts of a Grafana dashboard JSON model these checks read. */
export interface DashboardJson {
  readonly uid?: unknown;
  readonly title?: unknown;
  readonly panels?: readonly PanelJson[];
}

export interface PanelJson {
  readonly id?: unknown;
  readonly type?: unknown;
  readonly title?: unknown;
  readonly datasource?: { readonly type?: unknown; readonly uid?: unknown };
  readonly targets?: readonly TargetJson[];
  /** A row's own panels (when it is collapsed). */
  readonly panels?: readonly PanelJson[];
}

export interface TargetJson {
  readonly refId?: unknown;
  readonly expr?: unknown;
  readonly datasource?: { readonly type?: unknown; readonly uid?: unknown };
}

/** Every panel, rows and the panels inside collapsed rows included, in order. */
export function allPanels(dashboard: DashboardJson): PanelJson[] {
  const out: PanelJson[] = [];
  const visit = (panels: readonly PanelJson[] | undefined): void => {
    for (const panel of panels ?? []) {
      out.push(panel);
      visit(panel.panels);
    }
  };
  visit(dashboard.panels);
  return out;
}

export interface PanelQuery {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
}

/** Every target's expression, labelled with its panel's title and its refId. */
export function panelQueries(dashboard: DashboardJson): PanelQuery[] {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: String(panel.title),
      refId: String(target.refId),
      expr: typeof target.expr === 'string' ? target.expr : '',
    })),
  );
}

/**
 * What is wrong with `dashboard`, one line each (empty when nothing): panels without a unique
 * numeric id, panels other than rows without targets, targets or panels not on the datasource
 * `datasourceUid`, targets without an expression or with a repeated refId.
 */
export function dashboardProblems(dashboard: DashboardJson, datasourceUid: string): string[] {
  const problems: string[] = [];
  if (typeof dashboard.uid !== 'string' || dashboard.uid === '')
    problems.push('dashboard has no uid');
  const panels = allPanels(dashboard);
  if (panels.length === 0) problems.push('dashboard has no panels');
  const seen = new Set<unknown>();
  for (const panel of panels) {
    const name = `panel ${JSON.stringify(panel.title)} (id ${String(panel.id)})`;
    if (typeof panel.id !== 'number') problems.push(`${name} has no numeric id`);
    else if (seen.has(panel.id)) problems.push(`${name} repeats id ${panel.id}`);
    seen.add(panel.id);
    if (panel.type === 'row') continue;
    if (panel.datasource?.uid !== datasourceUid) {
      problems.push(`${name} uses datasource ${JSON.stringify(panel.datasource)}`);
    }
    const targets = panel.targets ?? [];
    if (targets.length === 0) problems.push(`${name} has no targets`);
    const refIds = new Set<unknown>();
    for (const target of targets) {
      const where = `${name} target ${String(target.refId)}`;
      if (target.datasource?.type !== 'prometheus' || target.datasource.uid !== datasourceUid) {
        problems.push(`${where} uses datasource ${JSON.stringify(target.datasource)}`);
      }
      if (typeof target.expr !== 'string' || target.expr.trim() === '') {
        problems.push(`${where} has no expression`);
      }
      if (typeof target.refId !== 'string' || refIds.has(target.refId)) {
        problems.push(`${where} has a missing or repeated refId`);
      }
      refIds.add(target.refId);
    }
  }
  return problems;
}
