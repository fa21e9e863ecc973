// The processes a wrapper script runs together (`npm start`, `npm run cluster`): each app's
// output prefixed with its name, its ready line awaited; when one exits on its own, or the
// wrapper gets SIGINT, SIGTERM or SIGHUP, every other is stopped (SIGTERM: gracefully), apps
// before the helpers they need (redis-server), and the wrapper exits: 0 if all stopped cleanly,
// else with the status of the first that did not.
'use strict';
const { constants } = require('node:os');
const { createInterface } = require('node:readline');
const { spawnApp, STOP_SIGNALS } = require('./run');

class Supervisor {
  constructor({ onExit = () => undefined } = {}) {
    /** Apps first, then helpers: each stage is stopped once the one before it has exited. */
    this.stages = [new Set(), new Set()];
    this.stopping = false;
    this.status = 0;
    this.onExit = onExit;
    for (const signal of STOP_SIGNALS) process.on(signal, () => this.stop());
  }

  /** Starts built app `name` with `args` (its output prefixed with `label`); resolves with its ready line. */
  start(name, args, label = name) {
    if (this.stopping) return Promise.reject(new Error('stopping'));
    return new Promise((resolve, reject) => {
      const child = spawnApp(name, args, ['ignore', 'pipe', 'inherit']);
      this.watch(child, label, 0, reject);
      createInterface({ input: child.stdout }).on('line', (line) => {
        process.stdout.write(`[${label}] ${line}\n`);
        if (line.startsWith(`semicache ${name} ready `)) resolve(line);
      });
    });
  }

  /** Stops `child` (a helper the apps need, such as redis-server) with them, after them. */
  helper(child, name) {
    this.watch(child, name, 1, () => undefined);
    if (this.stopping) this.stop();
  }

  /** Stops every process still running, stage by stage, then exits with the status. */
  stop() {
    this.stopping = true;
    const stage = this.stages.find((processes) => processes.size > 0);
    if (stage === undefined) {
      this.onExit();
      process.exit(this.status);
    }
    for (const child of stage) {
      if (child.stopSent) continue;
      child.stopSent = true;
      child.kill('SIGTERM');
    }
  }

  watch(child, name, stage, reject) {
    this.stages[stage].add(child);
    child.on('exit', (code, signal) => {
      this.stages[stage].delete(child);
      if (code !== 0 && this.status === 0) this.status = code ?? 128 + constants.signals[signal];
      if (!this.stopping) process.stderr.write(`${name} exited (${signal ?? code}); stopping\n`);
      reject(new Error(`${name} exited`));
      this.stop();
    });
  }
}

module.exports = { Supervisor };
