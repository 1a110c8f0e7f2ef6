// Search snippets come back with hits between [ and ]; split them into text parts so
// the view can bold the hits without ever treating the text as HTML.
export type SnippetPart = { text: string; hit: boolean };

export function splitSnippet(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let rest = snippet;
  while (rest.length) {
    const open = rest.indexOf("[");
    const close = open >= 0 ? rest.indexOf("]", open + 1) : -1;
    if (open < 0 || close < 0) {
      parts.push({ text: rest, hit: false });
      break;
    }
    if (open > 0) parts.push({ text: rest.slice(0, open), hit: false });
    parts.push({ text: rest.slice(open + 1, close), hit: true });
    rest = rest.slice(close + 1);
  }
  return parts;
}
