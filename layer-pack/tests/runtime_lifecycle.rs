//! A layer that declares a runtime AWS has deprecated packs, with a warning
//! (the runtime lifecycle table of layer_core; "today" set by LAYER_TOOLS_TODAY).

mod common;

use common::*;
use serde_json::Value;

fn runtime_findings(record: &Value) -> Vec<Value> {
    record["artifact"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "runtime")
        .cloned()
        .collect()
}

#[test]
fn a_deprecated_runtime_is_a_warning_from_its_deprecation_day() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.9", "python3.12"], &["x86_64"]);
    fixture.write("python/old_lib/__init__.py", "X = 1\n");

    let before = fixture
        .command()
        .env("LAYER_TOOLS_TODAY", "2025-12-14")
        .arg(fixture.layer())
        .output()
        .unwrap();
    assert!(runtime_findings(&single_record(&before)).is_empty());

    let after = fixture
        .command()
        .env("LAYER_TOOLS_TODAY", "2025-12-15")
        .arg(fixture.layer())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&after.stderr);
    let found = runtime_findings(&single_record(&after));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["severity"], "warning");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("python3.9 is deprecated since 2025-12-15; AWS blocks updates"),
        "{message}"
    );
    assert!(
        stderr.contains("runtime: python3.9 is deprecated"),
        "{stderr}"
    );
}
