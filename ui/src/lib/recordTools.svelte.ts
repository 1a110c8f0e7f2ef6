// The Records view's tools beside the table: cost for a window, duplicates previewed
// then merged (the backend asks natively and applies exactly the preview), and the
// `records search` scan over transcripts. Backend calls are injected so this can be
// tested without Tauri; a slower, older answer never overwrites a newer one.
import type { CostView, DedupView, TranscriptMatch, TranscriptSearch } from "./bindings";

export type RecordToolsBackend = {
  recordCosts: (days: number | null) => Promise<CostView>;
  previewDuplicates: () => Promise<DedupView>;
  mergeDuplicates: (preview: DedupView) => Promise<DedupView | null>;
  searchRecordTranscripts: (search: TranscriptSearch) => Promise<TranscriptMatch[]>;
};

/** Windows offered by the cost tab, as `records cost --days`; null is every record. */
export const COST_WINDOWS: [number | null, string][] = [
  [1, "Last day"],
  [7, "Last 7 days"],
  [30, "Last 30 days"],
  [90, "Last 90 days"],
  [null, "All time"],
];

/** What a dedup preview says, in words. */
export function dedupSummary(v: DedupView): string {
  switch (v.outcome) {
    case "empty_store":
      return "The store holds no record.";
    case "no_duplicates":
      return "No two records describe the same session.";
    case "all_merged":
      return "Every duplicate found was merged before.";
    default:
      return v.applied
        ? `Merged ${v.duplicate_count} duplicate(s) in ${v.groups.length} group(s); none was deleted.`
        : `${v.duplicate_count} record(s) in ${v.groups.length} group(s) describe a session another record has.`;
  }
}

export class RecordTools {
  costDays = $state<number | null>(7);
  cost = $state<CostView | null>(null);
  costError = $state<string | null>(null);

  dedup = $state<DedupView | null>(null);
  dedupError = $state<string | null>(null);
  dedupBusy = $state(false);

  search = $state<TranscriptSearch>({ text: "", days: 30, case_sensitive: false, harness: null });
  matches = $state<TranscriptMatch[] | null>(null);
  searchError = $state<string | null>(null);
  searching = $state(false);

  private costSeq = 0;
  private searchSeq = 0;

  constructor(private backend: RecordToolsBackend) {}

  async loadCost(days: number | null = this.costDays): Promise<void> {
    this.costDays = days;
    const mine = ++this.costSeq;
    try {
      const cost = await this.backend.recordCosts(days);
      if (mine !== this.costSeq) return;
      this.cost = cost;
      this.costError = null;
    } catch (e) {
      if (mine === this.costSeq) this.costError = String(e);
    }
  }

  async previewDuplicates(): Promise<void> {
    this.dedupBusy = true;
    try {
      this.dedup = await this.backend.previewDuplicates();
      this.dedupError = null;
    } catch (e) {
      this.dedupError = String(e);
    } finally {
      this.dedupBusy = false;
    }
  }

  /** Merge what the preview shows. A "no" keeps the preview; a store that changed
   *  meanwhile shows the backend's error and a fresh preview. */
  async mergeDuplicates(): Promise<void> {
    const preview = this.dedup;
    if (!preview || preview.duplicate_count === 0) return;
    this.dedupBusy = true;
    try {
      const done = await this.backend.mergeDuplicates($state.snapshot(preview) as DedupView);
      if (done) {
        this.dedup = done;
        this.dedupError = null;
      }
    } catch (e) {
      this.dedupError = String(e);
      try {
        this.dedup = await this.backend.previewDuplicates();
      } catch {
        // The error above already says what went wrong.
      }
    } finally {
      this.dedupBusy = false;
    }
  }

  async runSearch(): Promise<void> {
    if (this.search.text.trim() === "") {
      this.matches = null;
      this.searchError = null;
      return;
    }
    const mine = ++this.searchSeq;
    this.searching = true;
    try {
      const found = await this.backend.searchRecordTranscripts(
        $state.snapshot(this.search) as TranscriptSearch,
      );
      if (mine !== this.searchSeq) return;
      this.matches = found;
      this.searchError = null;
    } catch (e) {
      if (mine === this.searchSeq) this.searchError = String(e);
    } finally {
      if (mine === this.searchSeq) this.searching = false;
    }
  }
}
