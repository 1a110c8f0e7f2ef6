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

  /** Insert a new run or replace the known one; newest runs go first. A run that has
   *  ended never goes back to running: a fast command's end event can arrive before
   *  the answer to the request that started it. */
  upsert(run: RunInfo) {
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i < 0) this.runs = [run, ...this.runs];
    else if (!(run.status === "running" && this.runs[i].status !== "running")) this.runs[i] = run;
  }

  remove(ids: string[]) {
    this.runs = this.runs.filter((r) => !ids.includes(r.id));
    if (this.selected && ids.includes(this.selected)) this.selected = null;
  }
}
