//! The name a run gets when the user gives none: its command, whitespace collapsed,
//! cut at [`MAX_CHARS`] characters. `cargo test --workspace` and `cargo build` stay
//! apart in the list, where naming a run after its first word made both "cargo".

/// Characters kept of the command; a longer one ends in `…`.
pub const MAX_CHARS: usize = 40;

/// `name` trimmed, or a name made from `command` when `name` is blank.
pub fn run_name(name: &str, command: &str) -> String {
    let name = name.trim();
    if !name.is_empty() {
        return name.to_string();
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    if words.is_empty() {
        return "run".into();
    }
    let joined = words.join(" ");
    if joined.chars().count() <= MAX_CHARS {
        return joined;
    }
    let mut cut: String = joined.chars().take(MAX_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_name_wins_and_is_trimmed() {
        assert_eq!(run_name("  nightly  ", "cargo test"), "nightly");
    }

    #[test]
    fn the_whole_command_names_a_run_not_only_its_first_word() {
        assert_eq!(
            run_name("", "cargo   test\t--workspace"),
            "cargo test --workspace"
        );
        assert_ne!(run_name("", "cargo build"), run_name("", "cargo test"));
    }

    #[test]
    fn long_commands_are_cut_on_a_character_boundary() {
        let long = format!("echo {}", "é".repeat(100));
        let name = run_name(" ", &long);
        assert_eq!(name.chars().count(), MAX_CHARS);
        assert!(name.ends_with('…'));
        assert!(name.starts_with("echo éé"));
    }

    #[test]
    fn an_empty_command_still_has_a_name() {
        assert_eq!(run_name("", "   "), "run");
    }
}
