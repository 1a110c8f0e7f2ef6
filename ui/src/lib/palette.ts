// An entry of the command palette: a named action, with the shortcut that also runs it.
export type PaletteAction = { id: string; label: string; hint?: string; run: () => void };
