//! The CLI's reference, generated from its clap definition so it cannot drift from
//! the code: man pages (`sessionscope man --dir DIR`, which `make package` ships) and
//! the README's "CLI reference" section (a test fails when it is stale).

use std::path::Path;

use clap::Command;

/// Write `sessionscope.1` and one page per subcommand (`sessionscope-ps.1`,
/// `sessionscope-records-stats.1`, ...) into `dir`; returns the file names.
pub fn write_man_pages(mut cmd: Command, dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    cmd.build();
    write_page(&cmd, "sessionscope", dir, &mut written)?;
    Ok(written)
}

fn write_page(
    cmd: &Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<String>,
) -> std::io::Result<()> {
    // clap_mangen names the page after the command; subcommand pages get the joined
    // name, like git's.
    let page = cmd.clone().name(name.to_string());
    let file = format!("{name}.1");
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out)?;
    std::fs::write(dir.join(&file), out)?;
    written.push(file);
    for sub in visible_subcommands(cmd) {
        write_page(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

/// Subcommands a user sees: not hidden, not clap's generated `help`.
fn visible_subcommands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// The README section: every command's full `--help`, folded per command (written by
/// the test that keeps README.md current).
#[cfg(test)]
pub fn markdown(cmd: Command) -> String {
    let mut cmd = cmd.color(clap::ColorChoice::Never);
    cmd.build();
    let mut out = String::new();
    out.push_str(
        "Generated from the CLI's own definition \
         (`UPDATE_README=1 cargo test -p sessionscope-cli readme` rewrites it; \
         a test fails when it is stale). `man sessionscope` and \
         `sessionscope COMMAND --help` show the same text.\n\n",
    );
    section(&cmd, &mut out);
    out
}

#[cfg(test)]
fn section(cmd: &Command, out: &mut String) {
    let name = cmd.get_bin_name().unwrap_or(cmd.get_name());
    let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
    let help = cmd.clone().render_long_help().to_string();
    let help: Vec<&str> = help.lines().map(str::trim_end).collect();
    out.push_str(&format!(
        "<details><summary><code>{name}</code> — {}</summary>\n\n```text\n{}\n```\n\n</details>\n",
        html_text(&about),
        help.join("\n").trim_end()
    ));
    for sub in visible_subcommands(cmd) {
        section(sub, out);
    }
}

/// Text inside the HTML `<summary>`: no markup from the help text.
#[cfg(test)]
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
