// Applies the theme setting: "system" follows the OS (prefers-color-scheme); light and
// dark override it through a data attribute the stylesheet keys on.
import type { Theme } from "./bindings";

export function applyTheme(theme: Theme) {
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}
