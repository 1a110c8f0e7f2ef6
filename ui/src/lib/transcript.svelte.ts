// The transcript of the session in the detail pane: entries so far and the cursor to
// read on from. Pages are applied by the reader's rules: a reset starts over; entries
// at or after the requested index replace what was there (a still-growing message of
// a whole-file format is sent again).
import type { TranscriptCursor, TranscriptEntry, TranscriptPage } from "./bindings";

export class TranscriptView {
  entries = $state<TranscriptEntry[]>([]);
  next = $state<TranscriptCursor | null>(null);
  parseErrors = $state(0);
  error = $state<string | null>(null);

  /** Apply a page that was read starting at `from` (null: the opening tail). */
  apply(page: TranscriptPage, from: TranscriptCursor | null) {
    if (page.reset || from === null) {
      this.entries = page.entries;
    } else {
      const kept = this.entries.filter((e) => e.index < from.index);
      this.entries = [...kept, ...page.entries];
    }
    this.next = page.next;
    this.parseErrors = page.parse_errors;
    this.error = null;
  }

  /** The index of the first entry held, when earlier ones exist (paging back). */
  get earlier(): number | null {
    const first = this.entries[0]?.index ?? 0;
    return first > 0 ? first : null;
  }

  /** Put a page read `before` the first entry in front of what is held; false when the
   * transcript was replaced meanwhile (the caller starts over). */
  prepend(page: TranscriptPage, before: number): boolean {
    if (page.reset) return false;
    const earlier = page.entries.filter((e) => e.index < before);
    this.entries = [...earlier, ...this.entries.filter((e) => e.index >= before)];
    return true;
  }

  /** Replace one entry with its untruncated version. */
  expand(full: TranscriptEntry) {
    this.entries = this.entries.map((e) => (e.index === full.index ? full : e));
  }
}
