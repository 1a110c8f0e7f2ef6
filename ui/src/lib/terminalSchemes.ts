// Colours of the runs' terminal panel for each scheme the Settings offer (the setting
// is `terminal_scheme`, stored by the backend). xterm.js takes them as its theme.
import type { ITheme } from "@xterm/xterm";
import type { TerminalScheme } from "./bindings";

export const TERMINAL_SCHEMES: Record<TerminalScheme, { label: string; theme: ITheme }> = {
  default: {
    label: "Default (light on dark blue)",
    theme: { background: "#0b1020", foreground: "#e6e9ef", cursor: "#e6e9ef" },
  },
  "green-on-black": {
    label: "Green on black",
    theme: {
      background: "#000000",
      foreground: "#33ff66",
      cursor: "#33ff66",
      selectionBackground: "#1f7a3a",
    },
  },
  light: {
    label: "Light",
    theme: {
      background: "#ffffff",
      foreground: "#1f2328",
      cursor: "#1f2328",
      selectionBackground: "#c8d9f0",
    },
  },
  "solarized-dark": {
    label: "Solarized dark",
    theme: { background: "#002b36", foreground: "#839496", cursor: "#93a1a1" },
  },
};

/** The xterm theme of `scheme`; an unknown name (a newer version's) reads as the default. */
export function terminalTheme(scheme: string | null | undefined): ITheme {
  return (
    (TERMINAL_SCHEMES as Record<string, { theme: ITheme }>)[scheme ?? "default"]?.theme ??
    TERMINAL_SCHEMES.default.theme
  );
}
