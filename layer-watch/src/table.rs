//! The report for people: one block per layer, when stdout is a terminal.

use std::io::Write;

use layer_core::Result;

use crate::metrics::MetricsSummary;
use crate::report::LayerReport;

pub fn print(reports: &[LayerReport]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    for (index, report) in reports.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        write!(out, "{}", render(report))?;
    }
    out.flush()?;
    Ok(())
}

/// One layer as text: a headline, the versions, who is behind, the storage.
pub fn render(report: &LayerReport) -> String {
    let mut text = String::new();
    let latest = match (report.latest_version, &report.other_account) {
        (Some(version), _) => format!("v{version}"),
        (None, Some(_)) => "unknown (another account's layer)".to_string(),
        (None, None) => "none (all deleted)".to_string(),
    };
    text.push_str(&format!(
        "{} ({})  latest {}  functions {}  behind {}\n",
        report.layer_name,
        report.region,
        latest,
        report.drift.functions_using,
        report.drift.functions_behind
    ));
    if let Some(family) = report.family.as_ref().filter(|f| f.builds.len() > 1) {
        let targets: Vec<String> = family.targets.iter().map(ToString::to_string).collect();
        text.push_str(&format!(
            "  build of {} for {} (behind: this build's latest)\n",
            family.name,
            targets.join(", ")
        ));
    }
    if let (Some(window), Some(metrics)) = (&report.window, &report.metrics) {
        text.push_str(&format!(
            "  last {}: {}\n",
            window.since,
            metric_line(metrics)
        ));
    }
    let mut rows = vec![
        [
            "VERSION",
            "SIZE",
            "FUNCTIONS",
            "INVOCATIONS",
            "ERRORS",
            "ERR %",
            "AVG MS",
            "STATE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for version in &report.versions {
        let metrics = version.metrics.as_ref();
        let state = match (version.exists, version.latest) {
            (false, _) => "deleted, in use",
            (true, true) => "latest",
            (true, false) if version.functions.is_empty() => "unused",
            (true, false) => "in use",
        };
        rows.push(vec![
            format!("v{}", version.version),
            version.code_size.map_or("-".into(), size),
            version.functions.len().to_string(),
            metrics.map_or("-".into(), |m| m.invocations.to_string()),
            metrics.map_or("-".into(), |m| m.errors.to_string()),
            metrics
                .and_then(|m| m.error_rate)
                .map_or("-".into(), |r| format!("{:.2}", r * 100.0)),
            metrics
                .and_then(|m| m.average_duration_ms)
                .map_or("-".into(), |d| format!("{d:.1}")),
            state.to_string(),
        ]);
    }
    text.push_str(&columns(&rows));
    if !report.drift.behind.is_empty() {
        text.push_str("  behind:\n");
        for behind in &report.drift.behind {
            text.push_str(&format!(
                "    {}:{} on v{} ({} behind)\n",
                behind.function, behind.qualifier, behind.layer_version, behind.versions_behind
            ));
        }
    }
    for deprecated in &report.deprecated_runtimes {
        let blocked = match deprecated.update_blocked {
            Some(date) => format!(", AWS blocks updates from {date}"),
            None => String::new(),
        };
        text.push_str(&format!(
            "  deprecated runtime {} ({}{blocked}): {}\n",
            deprecated.runtime,
            deprecated
                .deprecated
                .map_or("deprecated".to_string(), |date| format!("since {date}")),
            deprecated.functions.join(", ")
        ));
    }
    if let Some(other) = &report.other_account {
        text.push_str(&format!("  note: {}\n", other.note));
        if !other.unreadable_versions.is_empty() {
            let versions: Vec<String> = other
                .unreadable_versions
                .iter()
                .map(|v| format!("v{v}"))
                .collect();
            text.push_str(&format!(
                "  not readable from this account (no grant): {}\n",
                versions.join(", ")
            ));
        }
    }
    let retention = &report.storage.retention;
    text.push_str(&format!(
        "  storage: {} in {} version(s)",
        size(report.storage.total_code_size),
        report.storage.versions
    ));
    match retention.policy {
        Some(_) => text.push_str(&format!(
            "; the retention policy would delete {} version(s), freeing {}\n",
            retention.would_delete.len(),
            size(retention.would_free_bytes)
        )),
        None => text.push_str("; no retention policy given\n"),
    }
    text
}

fn metric_line(m: &MetricsSummary) -> String {
    format!(
        "{} invocations, {} errors ({}), {} throttles, average {}",
        m.invocations,
        m.errors,
        m.error_rate
            .map_or("-".into(), |r| format!("{:.2}%", r * 100.0)),
        m.throttles,
        m.average_duration_ms
            .map_or("-".into(), |d| format!("{d:.1} ms")),
    )
}

fn size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Left-aligned columns, two spaces apart, indented.
fn columns(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            format!("  {}\n", cells.join("  ").trim_end())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(52_428_800), "50.0 MiB");
    }

    #[test]
    fn columns_line_up() {
        let rows = vec![
            vec!["A".to_string(), "BB".to_string()],
            vec!["CCC".to_string(), "D".to_string()],
        ];
        assert_eq!(columns(&rows), "  A    BB\n  CCC  D\n");
    }
}
