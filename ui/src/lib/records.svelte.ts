// The Records view's store: the machine whose records are shown (this one, or a remote
// host read over its link), the filters, the page the backend computed for them (rows
// newest first, stats, run analytics, trend), the selected record's fields, and the
// annotate action (this machine's store only). Backend calls are injected so the store
// can be tested without Tauri; a slower, older answer never overwrites a newer one,
// nor one for another machine.
import type {
  RecordAnnotation,
  RecordField,
  RecordQuery,
  RecordRow,
  RecordsPage,
} from "./bindings";

export type RecordsBackend = {
  /** `host` null: this machine's store. */
  listRecords: (query: RecordQuery, host: string | null) => Promise<RecordsPage>;
  recordDetail: (id: string, host: string | null) => Promise<RecordField[]>;
  annotateRecord: (id: string, annotation: RecordAnnotation) => Promise<RecordField[]>;
};

export const EMPTY_QUERY: RecordQuery = {
  model: null,
  harness: null,
  outcome: null,
  category: null,
  run_type: null,
  project: null,
  since: "30d",
};

/** Outcomes gptme-sessions defines, offered by the filter and the annotate form. */
export const OUTCOMES = ["productive", "noop", "violated_policy", "failed", "unknown"];

/** The distinct non-empty values of one column, sorted, for filter suggestions. */
export function distinct(rows: RecordRow[], key: keyof RecordRow): string[] {
  const seen = new Set<string>();
  for (const r of rows) {
    const v = r[key];
    if (typeof v === "string" && v !== "") seen.add(v);
  }
  return [...seen].sort();
}

/** "12m 5s", "1h 02m", "—" for records without a duration. */
export function formatSeconds(s: number): string {
  if (s <= 0) return "—";
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export class RecordsStore {
  /** The remote host whose records are shown; null for this machine. */
  host = $state<string | null>(null);
  query = $state<RecordQuery>({ ...EMPTY_QUERY });
  page = $state<RecordsPage | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  selected = $state<string | null>(null);
  detail = $state<RecordField[] | null>(null);
  detailError = $state<string | null>(null);

  rows = $derived(this.page?.rows ?? []);
  private seq = 0;
  private detailSeq = 0;

  constructor(private backend: RecordsBackend) {}

  /** Re-read the page for the current filters (and the open record, if any). */
  async reload(): Promise<void> {
    const mine = ++this.seq;
    this.loading = true;
    try {
      const page = await this.backend.listRecords($state.snapshot(this.query), this.host);
      if (mine !== this.seq) return;
      this.page = page;
      this.error = null;
    } catch (e) {
      if (mine === this.seq) this.error = String(e);
    } finally {
      if (mine === this.seq) this.loading = false;
    }
    if (mine === this.seq && this.selected) await this.loadDetail(this.selected);
  }

  /** Show the records of `host` (null: this machine), with the same filters. The
   *  other machine's rows go at once, so none is ever shown under the wrong machine. */
  setHost(host: string | null): Promise<void> {
    if (host === this.host) return this.reload();
    this.host = host;
    this.page = null;
    this.error = null;
    this.selected = null;
    this.detail = null;
    this.detailError = null;
    return this.reload();
  }

  setFilter<K extends keyof RecordQuery>(key: K, value: RecordQuery[K]) {
    this.query[key] = value === "" ? null : value;
    return this.reload();
  }

  clearFilters() {
    this.query = { ...EMPTY_QUERY, since: null };
    return this.reload();
  }

  async select(id: string | null): Promise<void> {
    this.selected = id;
    this.detail = null;
    this.detailError = null;
    if (id) await this.loadDetail(id);
  }

  /** Select the row `delta` rows below (or above) the selected one, or the first. */
  move(delta: number): Promise<void> {
    if (this.rows.length === 0) return Promise.resolve();
    const at = this.rows.findIndex((r) => r.session_id === this.selected);
    const next = at < 0 ? 0 : Math.min(this.rows.length - 1, Math.max(0, at + delta));
    return this.select(this.rows[next].session_id);
  }

  private async loadDetail(id: string) {
    const mine = ++this.detailSeq;
    const host = this.host;
    try {
      const fields = await this.backend.recordDetail(id, host);
      if (mine === this.detailSeq && this.selected === id && this.host === host) {
        this.detail = fields;
        this.detailError = null;
      }
    } catch (e) {
      if (mine === this.detailSeq && this.selected === id && this.host === host)
        this.detailError = String(e);
    }
  }

  /** Write an annotation; on success the detail shows the record as written and the
   *  page is re-read (its row and the stats may change). Throws the backend's error. */
  async annotate(id: string, annotation: RecordAnnotation): Promise<void> {
    if (this.host !== null) throw new Error(`records of ${this.host} are annotated there`);
    const fields = await this.backend.annotateRecord(id, annotation);
    if (this.selected === id) this.detail = fields;
    await this.reload();
  }
}
