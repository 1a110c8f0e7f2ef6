// The runs store: the supervisor's runs, kept current by `run-changed` events, and
// which run the terminal panel shows.
import type { RunInfo } from "./bindings";

export class RunList {
  runs = $state<RunInfo[]>([]);
  selected = $state<string | null>(null);

  running = $derived(this.runs.filter((r) => r.status === "running").length);
  selectedRun = $derived(this.runs.find((r) => r.id === this.selected) ?? null);

  load(runs: RunInfo[]) {
    this.runs = runs;
  }

  /** Insert a new run or replace the known one; newest runs go first. */
  upsert(run: RunInfo) {
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i >= 0) this.runs[i] = run;
    else this.runs = [run, ...this.runs];
  }

  remove(ids: string[]) {
    this.runs = this.runs.filter((r) => !ids.includes(r.id));
    if (this.selected && ids.includes(this.selected)) this.selected = null;
  }
}
