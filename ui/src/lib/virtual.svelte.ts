// A virtualized list's window of rows, kept in step with the row count. Shared by the
// table views because the obvious way to write it is a trap: an effect that reads the
// virtualizer store while calling setOptions (which updates that store) re-runs
// itself forever and freezes the window. Call during component initialisation.
import { untrack } from "svelte";
import { get } from "svelte/store";
import { createVirtualizer } from "@tanstack/svelte-virtual";

export function virtualRows(
  rowHeight: number,
  count: () => number,
  scrollElement: () => HTMLDivElement | null,
) {
  const virtualizer = createVirtualizer<HTMLDivElement, HTMLDivElement>({
    count: 0,
    getScrollElement: scrollElement,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  // Depend on the count and the element only, never on the store itself.
  $effect(() => {
    const n = count();
    const el = scrollElement();
    untrack(() => get(virtualizer).setOptions({ count: n, getScrollElement: () => el }));
  });
  return virtualizer;
}
