//! The generated tables of docs/reliability.md: a test writes its section
//! (with `UPDATE_RELIABILITY=1`) or checks that the file holds exactly it, so
//! that a table cannot go stale: a test that tries something new fails until
//! the table says so.

use std::path::PathBuf;

const BEGIN: &str = "<!-- BEGIN GENERATED";
const END: &str = "<!-- END GENERATED";

/// How to regenerate every table.
const REGENERATE: &str = "UPDATE_RELIABILITY=1 cargo test -p layer-tools-e2e --test faults --test hostile --test security\n  \
     UPDATE_RELIABILITY=1 cargo test -p layer-attach --test interrupt";

/// Put a generated section into docs/reliability.md, or check it is there as it is.
pub fn section(name: &str, markdown: &str) {
    check_or_write(name, markdown, |text| text.to_string());
}

/// Like [`section`], for a table with measured figures that vary from run to
/// run (how many functions a kill at a given moment caught changing): the
/// check compares the table with every number in `figure_columns` (0-based)
/// and in the lines after the table left out; `UPDATE_RELIABILITY=1` writes
/// the figures of this run.
pub fn section_with_figures(name: &str, markdown: &str, figure_columns: &[usize]) {
    let columns = figure_columns.to_vec();
    check_or_write(name, markdown, move |text| {
        text.lines()
            .map(|line| mask_figures(line, &columns))
            .collect::<Vec<_>>()
            .join("\n")
    });
}

/// `|`-separated markdown row.
pub fn row(cells: &[&str]) -> String {
    format!("| {} |", cells.join(" | "))
}

fn mask_figures(line: &str, columns: &[usize]) -> String {
    let digits_out = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect()
    };
    if !line.starts_with('|') {
        return digits_out(line);
    }
    line.split('|')
        .enumerate()
        // The first piece is the empty text before the first `|`.
        .map(|(index, cell)| match index.checked_sub(1) {
            Some(column) if columns.contains(&column) => digits_out(cell),
            _ => cell.to_string(),
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn check_or_write(name: &str, markdown: &str, comparable: impl Fn(&str) -> String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/reliability.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let begin = format!("{BEGIN} {name} -->");
    let end = format!("{END} {name} -->");
    let section = format!("{begin}\n{}\n{end}", markdown.trim_end());
    let current = match (text.find(&begin), text.find(&end)) {
        (Some(start), Some(stop)) if start < stop => Some((start, stop + end.len())),
        _ => None,
    };
    let found = current.map(|(start, stop)| &text[start..stop]);
    if std::env::var_os("UPDATE_RELIABILITY").is_some() {
        if found == Some(section.as_str()) {
            return;
        }
        let updated = match current {
            Some((start, stop)) => format!("{}{section}{}", &text[..start], &text[stop..]),
            None => format!("{}\n{section}\n", text.trim_end()),
        };
        std::fs::write(&path, updated).expect("write docs/reliability.md");
        return;
    }
    if found.map(&comparable) == Some(comparable(&section)) {
        return;
    }
    panic!(
        "docs/reliability.md does not hold the current `{name}` table; regenerate it with\n  \
         {REGENERATE}\nexpected:\n{section}\nfound:\n{}",
        found.unwrap_or("(nothing)")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_figure_columns_and_the_lines_after_the_table_are_masked() {
        assert_eq!(
            mask_figures("| SIGINT | line 5 | 3 | 3 |", &[2, 3]),
            "| SIGINT | line 5 | # | # |"
        );
        assert_eq!(
            mask_figures("32 kills, 120 functions", &[]),
            "## kills, ### functions"
        );
    }
}
