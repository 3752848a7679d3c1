//! The next version, on real git repositories built by each test.

mod common;

use common::{Repo, bump_command, bump_in, stderr, valid_lines};
use serde_json::{Value, json};

fn version(record: &Value) -> &Value {
    &record["version"]
}

fn next_of(record: &Value) -> String {
    record["version"]["next"].as_str().unwrap().to_string()
}

fn deciding_ids(record: &Value) -> Vec<String> {
    record["version"]["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn without_tags_the_initial_version_is_the_start() {
    let repo = Repo::new();
    repo.commit("fix: first");
    let feat = repo.commit("feat: second");

    let record = repo.next(&[]);
    // The record as it reads; the deciding commit's id is the test's own.
    insta::with_settings!({redactions => vec![(".version.commits[].id", "[commit]".into())]}, {
        insta::assert_json_snapshot!("first_release_record", record);
    });
    assert_eq!(deciding_ids(&record), vec![feat]);

    let record = repo.next(&["--initial", "1.0.0"]);
    assert_eq!(next_of(&record), "1.1.0");
}

#[test]
fn each_kind_of_commit_decides_its_level() {
    let cases: &[(&[&str], &str, &str)] = &[
        (&["fix: a"], "1.2.4", "patch"),
        (&["perf: a"], "1.2.4", "patch"),
        (&["docs: a", "chore: b"], "1.2.4", "patch"),
        (&["Update things without a type"], "1.2.4", "patch"),
        (&["fix: a", "feat(api): b", "fix: c"], "1.3.0", "minor"),
        (&["feat: a", "fix!: b"], "2.0.0", "major"),
        (
            &["feat: a", "fix: b\n\nBREAKING CHANGE: the config moved"],
            "2.0.0",
            "major",
        ),
        (
            &["chore: a\n\nBREAKING-CHANGE: dropped py3.10"],
            "2.0.0",
            "major",
        ),
    ];
    for (messages, expected, bump) in cases {
        let repo = Repo::new();
        repo.commit("feat: released");
        repo.tag("v1.2.3");
        let ids: Vec<String> = messages.iter().map(|m| repo.commit(m)).collect();
        let record = repo.next(&[]);
        let v = version(&record);
        assert_eq!(v["next"], *expected, "{messages:?}");
        assert_eq!(v["bump"], *bump, "{messages:?}");
        assert_eq!(v["since"], "v1.2.3");
        assert_eq!(v["source"], "tag");
        // The deciding commits are the ones at the chosen level, newest first.
        for id in deciding_ids(&record) {
            assert!(ids.contains(&id), "{id} is not one of the new commits");
        }
        assert!(!deciding_ids(&record).is_empty());
    }
}

#[test]
fn deciding_commits_carry_type_subject_and_breaking() {
    let repo = Repo::new();
    repo.commit("feat: released");
    repo.tag("v2.0.0");
    repo.commit("fix: small");
    let breaking = repo.commit("feat(io)!: read only JSON Lines\n\nMore words.");
    let record = repo.next(&[]);
    assert_eq!(
        version(&record)["commits"],
        json!([{"id": breaking, "type": "feat", "subject": "feat(io)!: read only JSON Lines", "breaking": true}])
    );
}

#[test]
fn nothing_new_since_the_tag_is_bump_none() {
    let repo = Repo::new();
    repo.commit("feat: a");
    repo.tag("v1.0.0");
    let out = repo.bump(&[]);
    assert_eq!(out.status.code(), Some(0));
    let record = &valid_lines(&out.stdout)[0];
    let v = version(record);
    assert_eq!(v["bump"], "none");
    assert_eq!(v["current"], "1.0.0");
    assert_eq!(v["next"], "1.0.0");
    assert_eq!(v["commits"], json!([]));
    assert!(
        stderr(&out).contains("nothing to release"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_empty_repository_has_nothing_to_release() {
    let repo = Repo::new();
    let record = repo.next(&[]);
    assert_eq!(version(&record)["bump"], "none");
    assert_eq!(version(&record)["next"], "0.0.0");
}

#[test]
fn on_zero_x_a_breaking_change_bumps_the_minor_unless_told_otherwise() {
    let repo = Repo::new();
    repo.commit("feat: a");
    repo.tag("v0.4.2");
    repo.commit("feat!: new api");
    assert_eq!(next_of(&repo.next(&[])), "0.5.0");
    assert_eq!(version(&repo.next(&[]))["bump"], "minor");
    assert_eq!(next_of(&repo.next(&["--major-from-zero"])), "1.0.0");
}

#[test]
fn merge_commits_are_skipped_and_the_commits_they_bring_count() {
    let repo = Repo::new();
    repo.commit("fix: base");
    repo.tag("v1.0.0");
    repo.git(&["checkout", "--quiet", "-b", "topic"]);
    let feat = repo.commit("feat: from the branch");
    repo.git(&["checkout", "--quiet", "main"]);
    let fix = repo.commit("fix: on main");
    repo.git(&[
        "merge",
        "--quiet",
        "--no-ff",
        "-m",
        "Merge branch 'topic' (feat!: this text is not a commit of its own)",
        "topic",
    ]);
    let merge = repo.head();
    let record = repo.next(&[]);
    let v = version(&record);
    assert_eq!(v["next"], "1.1.0", "{v}");
    assert_eq!(v["counted"], 2);
    assert_eq!(deciding_ids(&record), vec![feat.clone()]);
    assert!(!deciding_ids(&record).contains(&merge));
    assert_ne!(fix, merge);
}

#[test]
fn a_revert_and_what_it_reverts_cancel_out() {
    let repo = Repo::new();
    repo.commit("fix: base");
    repo.tag("v1.0.0");
    repo.commit("feat: risky");
    repo.git(&["revert", "--no-edit", "HEAD"]);
    let record = repo.next(&[]);
    assert_eq!(version(&record)["bump"], "none", "{record}");
    assert_eq!(version(&record)["counted"], 0);

    // Reverting the revert brings the feature back.
    repo.git(&["revert", "--no-edit", "HEAD"]);
    assert_eq!(next_of(&repo.next(&[])), "1.1.0");
}

#[test]
fn reverting_a_released_commit_is_a_patch() {
    let repo = Repo::new();
    repo.commit("feat: shipped");
    repo.tag("v1.1.0");
    repo.git(&["revert", "--no-edit", "HEAD"]);
    let record = repo.next(&[]);
    assert_eq!(version(&record)["next"], "1.1.1");
    assert_eq!(version(&record)["commits"][0]["type"], "revert");
}

#[test]
fn path_filters_count_only_commits_touching_the_paths() {
    let repo = Repo::new();
    repo.commit_in("layers/common", "fix: common");
    repo.commit_in("layers/ml", "fix: ml");
    repo.tag("v1.0.0");
    let common_fix = repo.commit_in("layers/common", "fix: common bug");
    let ml_feat = repo.commit_in("layers/ml", "feat: ml model");
    let docs = repo.commit_in("docs", "feat!: docs only, but loud");

    let record = repo.next(&["--path", "layers/common"]);
    let v = version(&record);
    assert_eq!(v["next"], "1.0.1");
    assert_eq!(v["paths"], json!(["layers/common"]));
    assert_eq!(deciding_ids(&record), vec![common_fix]);

    let record = repo.next(&["--path", "layers/common", "--path", "layers/ml"]);
    assert_eq!(next_of(&record), "1.1.0");
    assert_eq!(deciding_ids(&record), vec![ml_feat]);

    assert_eq!(next_of(&repo.next(&[])), "2.0.0");
    let _ = docs;

    let out = repo.bump(&["--path", "layers/comon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("--path layers/comon does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn paths_are_relative_to_the_repo_option() {
    let repo = Repo::new();
    repo.commit_in("layers/common", "fix: x");
    let elsewhere = tempfile::tempdir().unwrap();
    let out = bump_in(
        elsewhere.path(),
        &[
            "--repo",
            repo.path.to_str().unwrap(),
            "--path",
            "layers/common",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(next_of(&valid_lines(&out.stdout)[0]), "0.0.1");
}

#[test]
fn several_layers_with_prefixed_tags_in_one_repository() {
    let repo = Repo::new();
    repo.commit_in("layers/common", "feat: common");
    repo.tag("makoto-common-v1.4.0");
    repo.commit_in("layers/ml-models", "feat: ml");
    repo.tag("makoto-ml-models-v0.3.1");
    repo.tag("v9.0.0");
    repo.tag("makoto-common-vnext"); // not a version: ignored, not fatal
    repo.tag("makoto-common-v1.5"); // not a full version either
    repo.commit_in("layers/common", "fix: common");
    repo.commit_in("layers/ml-models", "feat!: ml breaks");

    let common = repo.next(&["--tag-prefix", "makoto-common-v", "--path", "layers/common"]);
    let v = version(&common);
    assert_eq!(v["current"], "1.4.0");
    assert_eq!(v["next"], "1.4.1");
    assert_eq!(v["tag"], "makoto-common-v1.4.1");
    assert_eq!(v["since"], "makoto-common-v1.4.0");

    let ml = repo.next(&[
        "--tag-prefix",
        "makoto-ml-models-v",
        "--path",
        "layers/ml-models",
    ]);
    assert_eq!(version(&ml)["current"], "0.3.1");
    assert_eq!(version(&ml)["next"], "0.4.0");
    assert_eq!(version(&ml)["tag"], "makoto-ml-models-v0.4.0");

    // The plain prefix sees only v9.0.0.
    assert_eq!(version(&repo.next(&[]))["current"], "9.0.0");
}

#[test]
fn tags_outside_heads_history_do_not_count() {
    let repo = Repo::new();
    repo.commit("feat: a");
    repo.tag("v1.0.0");
    repo.commit("feat: x");
    repo.git(&["checkout", "--quiet", "-b", "other"]);
    repo.commit("feat: b");
    repo.tag("v5.0.0");
    repo.git(&["checkout", "--quiet", "main"]);
    repo.commit("fix: c");
    // The highest tag, v5.0.0, is on another branch: v1.0.0 is the release,
    // and both commits since it count (not only those since v5.0.0's fork).
    let record = repo.next(&[]);
    assert_eq!(version(&record)["current"], "1.0.0");
    assert_eq!(version(&record)["since"], "v1.0.0");
    assert_eq!(version(&record)["counted"], 2);
    assert_eq!(version(&record)["next"], "1.1.0");
}

#[test]
fn pre_release_sequence_then_final() {
    let repo = Repo::new();
    repo.commit("fix: a");
    repo.tag("v1.2.0");
    repo.commit("feat: b");

    let rc1 = repo.next(&["--pre", "rc", "--tag"]);
    assert_eq!(version(&rc1)["next"], "1.3.0-rc.1");
    assert_eq!(version(&rc1)["bump"], "minor");
    assert_eq!(version(&rc1)["tagged"], true);

    repo.commit("fix: c");
    let rc2 = repo.next(&["--pre", "rc", "--tag"]);
    assert_eq!(version(&rc2)["current"], "1.3.0-rc.1");
    assert_eq!(version(&rc2)["next"], "1.3.0-rc.2");
    assert_eq!(version(&rc2)["bump"], "prerelease");

    // Nothing new: no new pre-release, and nothing is tagged.
    let same = repo.next(&["--pre", "rc", "--tag"]);
    assert_eq!(version(&same)["bump"], "none");
    assert_eq!(version(&same)["next"], "1.3.0-rc.2");
    assert!(version(&same).get("tagged").is_none());

    let final_ = repo.next(&["--tag"]);
    assert_eq!(version(&final_)["current"], "1.3.0-rc.2");
    assert_eq!(version(&final_)["next"], "1.3.0");
    assert_eq!(version(&final_)["bump"], "minor");

    assert_eq!(version(&repo.next(&[]))["bump"], "none");
    assert_eq!(
        repo.tags(),
        vec!["v1.2.0", "v1.3.0", "v1.3.0-rc.1", "v1.3.0-rc.2"]
    );
    // Annotated tags, as asked.
    assert_eq!(repo.git(&["cat-file", "-t", "v1.3.0"]).trim(), "tag");
}

#[test]
fn a_breaking_change_during_pre_releases_moves_the_base() {
    let repo = Repo::new();
    repo.commit("fix: a");
    repo.tag("v1.2.0");
    repo.commit("feat: b");
    repo.tag("v1.3.0-beta.2");
    repo.commit("feat!: c");
    assert_eq!(next_of(&repo.next(&["--pre", "rc"])), "2.0.0-rc.1");
    // A new base starts any identifier at 1.
    assert_eq!(next_of(&repo.next(&["--pre", "alpha"])), "2.0.0-alpha.1");
    // On the same base, going back from rc to beta is refused, nothing printed.
    repo.commit("fix: d");
    repo.tag("v1.3.0-rc.1");
    repo.commit("fix: e");
    let out = repo.bump(&["--pre", "beta"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("would not be above"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn forced_levels_and_bad_levels() {
    let repo = Repo::new();
    repo.commit("fix: a");
    repo.tag("v1.2.3");
    let record = repo.next(&["--bump", "major"]);
    assert_eq!(version(&record)["next"], "2.0.0");
    assert_eq!(version(&record)["forced"], true);

    repo.commit("fix: b");
    assert_eq!(next_of(&repo.next(&["--bump", "minor"])), "1.3.0");

    let out = repo.bump(&["--bump", "huge"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("invalid value 'huge'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn build_metadata_only_when_asked() {
    let repo = Repo::new();
    repo.commit("fix: a");
    repo.write("VERSION", "1.2.0+ci.7\n");
    repo.git(&["add", "VERSION"]);
    repo.git(&["commit", "--quiet", "-m", "chore: version"]);
    repo.commit("feat: b");

    let plain = repo.next(&["--version-file", "VERSION"]);
    assert_eq!(next_of(&plain), "1.3.0");
    let kept = repo.next(&["--version-file", "VERSION", "--keep-build"]);
    assert_eq!(next_of(&kept), "1.3.0+ci.7");
    let given = repo.next(&["--version-file", "VERSION", "--build", "git.1a2b3c4"]);
    assert_eq!(next_of(&given), "1.3.0+git.1a2b3c4");
    assert_eq!(version(&given)["tag"], "v1.3.0+git.1a2b3c4");

    let out = repo.bump(&["--build", "bad meta!"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--build"), "{}", stderr(&out));
}

#[test]
fn a_version_file_is_the_current_version_and_write_updates_it() {
    let repo = Repo::new();
    repo.commit("feat: a");
    repo.write("layers/common/VERSION", "1.4.0\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "--quiet", "-m", "chore: set version"]);
    let since = repo.head();
    repo.commit_in("layers/common", "feat: b");

    let args = [
        "--version-file",
        "layers/common/VERSION",
        "--path",
        "layers/common",
    ];
    let record = repo.next(&args);
    let v = version(&record);
    assert_eq!(v["source"], "file");
    assert_eq!(v["current"], "1.4.0");
    assert_eq!(v["next"], "1.5.0");
    assert_eq!(v["since"], json!(since));
    assert_eq!(
        repo.read("layers/common/VERSION"),
        "1.4.0\n",
        "no --write: untouched"
    );

    let mut write = args.to_vec();
    write.extend(["--write", "--commit"]);
    let record = repo.next(&write);
    assert_eq!(version(&record)["written"], "layers/common/VERSION");
    assert_eq!(repo.read("layers/common/VERSION"), "1.5.0\n");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "chore(release): v1.5.0"
    );
    assert_eq!(version(&record)["committed"], json!(repo.head()));
    // The release commit starts the next count: nothing new.
    assert_eq!(version(&repo.next(&args))["bump"], "none");
}

#[test]
fn a_missing_version_file_falls_back_to_the_tags_and_write_creates_it() {
    let repo = Repo::new();
    repo.commit("feat: a");
    repo.tag("v2.1.0");
    repo.commit("fix: b");
    let record = repo.next(&["--version-file", "VERSION", "--write"]);
    assert_eq!(version(&record)["source"], "tag");
    assert_eq!(repo.read("VERSION"), "2.1.1\n");
}

#[test]
fn an_invalid_version_file_is_refused_and_nothing_is_written() {
    let repo = Repo::new();
    repo.write("VERSION", "version one point two\n");
    repo.git(&["add", "VERSION"]);
    repo.git(&["commit", "--quiet", "-m", "feat: a"]);
    let out = repo.bump(&["--version-file", "VERSION", "--write", "--tag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("VERSION does not hold a semantic version"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(repo.read("VERSION"), "version one point two\n");
    assert!(repo.tags().is_empty());
}

#[test]
fn write_in_a_dirty_tree_commits_only_the_version_file() {
    let repo = Repo::new();
    repo.write("VERSION", "1.0.0\n");
    repo.write("src/lib.py", "x = 1\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "--quiet", "-m", "feat: start"]);
    repo.commit("fix: a");
    // Someone's work in progress: one staged change, one unstaged.
    repo.write("src/lib.py", "x = 2\n");
    repo.write("notes.txt", "staged\n");
    repo.git(&["add", "notes.txt"]);

    let out = repo.bump(&["--version-file", "VERSION", "--write", "--commit", "--tag"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let record = &valid_lines(&out.stdout)[0];
    assert_eq!(version(record)["next"], "1.0.1");
    assert!(
        stderr(&out).contains("uncommitted changes"),
        "{}",
        stderr(&out)
    );
    // The run ends with one line: the three steps asked for, all done.
    let summary = stderr(&out).lines().last().unwrap_or_default().to_string();
    assert!(
        summary.starts_with(
            "layer-bump: 3 release steps: 3 updated, 0 unchanged, 0 skipped, 0 failed; "
        ),
        "{summary}"
    );
    assert!(!summary.contains("AWS"), "{summary}");

    assert_eq!(
        repo.git(&["show", "--name-only", "--format=", "HEAD"])
            .trim(),
        "VERSION"
    );
    assert_eq!(repo.read("src/lib.py"), "x = 2\n", "work in progress kept");
    let status = repo.git(&["status", "--porcelain"]);
    assert!(status.contains("A  notes.txt"), "{status}");
    assert!(status.contains(" M src/lib.py"), "{status}");
    assert_eq!(
        repo.git(&["rev-parse", "v1.0.1^{commit}"]).trim(),
        repo.head()
    );
    // Nothing to release: the steps asked for change nothing.
    let again = repo.bump(&["--version-file", "VERSION", "--write", "--tag"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        stderr(&again)
            .contains("layer-bump: 2 release steps: 0 updated, 2 unchanged, 0 skipped, 0 failed; "),
        "{}",
        stderr(&again)
    );
}

#[test]
fn write_refuses_a_version_file_with_uncommitted_edits() {
    let repo = Repo::new();
    repo.write("VERSION", "1.0.0\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "--quiet", "-m", "feat: start"]);
    repo.commit("fix: a");
    let head = repo.head();
    repo.write("VERSION", "1.0.7\n");
    let out = repo.bump(&["--version-file", "VERSION", "--write", "--commit", "--tag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("uncommitted changes"),
        "{}",
        stderr(&out)
    );
    assert_eq!(repo.read("VERSION"), "1.0.7\n");
    assert_eq!(repo.head(), head, "no commit");
    assert!(repo.tags().is_empty(), "no tag");
}

#[test]
fn an_existing_tag_is_refused_before_anything_is_written() {
    let repo = Repo::new();
    repo.write("VERSION", "1.2.0\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "--quiet", "-m", "feat: start"]);
    repo.tag("v1.2.0");
    // v1.3.0 already exists on a branch that was never merged.
    repo.git(&["checkout", "--quiet", "-b", "old-attempt"]);
    repo.commit("feat: attempt");
    repo.tag("v1.3.0");
    repo.git(&["checkout", "--quiet", "main"]);
    repo.commit("feat: real");
    let head = repo.head();

    let out = repo.bump(&["--version-file", "VERSION", "--write", "--commit", "--tag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("the tag v1.3.0 already exists"),
        "{}",
        stderr(&out)
    );
    assert_eq!(repo.read("VERSION"), "1.2.0\n");
    assert_eq!(repo.head(), head);

    // Without --tag it still says what it decided, and warns about the clash.
    let out = repo.bump(&["--version-file", "VERSION"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
}

#[test]
fn a_shallow_clone_works_when_the_release_tag_is_in_it_and_refuses_otherwise() {
    let origin = Repo::new();
    for n in 0..5 {
        origin.commit(&format!("fix: old {n}"));
    }
    origin.tag("v3.1.0");
    origin.commit("feat: new");
    origin.commit("fix: newer");
    let url = format!("file://{}", origin.path.display());

    let deep_enough = tempfile::tempdir().unwrap();
    let clone = deep_enough.path().join("clone");
    origin.git(&[
        "clone",
        "--quiet",
        "--depth",
        "4",
        &url,
        clone.to_str().unwrap(),
    ]);
    let clone = Repo::at(deep_enough, clone);
    assert_eq!(
        clone.git(&["rev-parse", "--is-shallow-repository"]).trim(),
        "true"
    );
    assert_eq!(next_of(&clone.next(&[])), "3.2.0");

    let too_shallow = tempfile::tempdir().unwrap();
    let clone = too_shallow.path().join("clone");
    origin.git(&[
        "clone",
        "--quiet",
        "--depth",
        "1",
        &url,
        clone.to_str().unwrap(),
    ]);
    let out = bump_in(&clone, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("shallow clone"), "{err}");
    assert!(err.contains("git fetch --unshallow --tags"), "{err}");
}

#[test]
fn not_a_git_repository_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = bump_in(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("is not inside a git work tree"), "{err}");
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn side_effect_flags_that_cannot_work_are_usage_errors() {
    let repo = Repo::new();
    repo.commit("fix: a");
    for args in [
        &["--write"][..],
        &["--version-file", "VERSION", "--commit"][..],
    ] {
        let out = repo.bump(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
    let out = repo.bump(&["--pre", "r.c"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a pre-release identifier"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn input_records_get_the_section_and_keep_unknown_fields() {
    let repo = Repo::new();
    repo.commit("feat: a");
    repo.tag("v1.0.0");
    repo.commit("feat: b");
    let input = concat!(
        r#"{"schema":"layer-record/v1","x-ci":{"run":42},"version":{"current":"stale","next":"stale","bump":"none","commits":[]}}"#,
        "\n",
        r#"{"schema":"layer-record/v1.2","layer":{"name":"common","compatible_runtimes":["python3.12"],"compatible_architectures":["arm64"],"extra-field":[1,2]}}"#,
        "\n"
    );
    let out = bump_command(&repo.path, &["-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = valid_lines(&out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["x-ci"], json!({"run": 42}));
    assert_eq!(records[0]["version"]["next"], "1.1.0");
    assert_eq!(records[1]["schema"], "layer-record/v1.2");
    assert_eq!(records[1]["layer"]["extra-field"], json!([1, 2]));
    assert_eq!(records[1]["version"]["next"], "1.1.0");

    // A record of another schema is refused, before anything else happens.
    let out = bump_command(&repo.path, &["-", "--version-file", "VERSION", "--write"])
        .write_stdin("{\"schema\":\"layer-record/v2\"}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(!repo.path.join("VERSION").exists());
}

#[test]
fn stdin_follows_the_shared_input_rule() {
    let repo = Repo::new();
    repo.commit("feat: a");
    // Records piped in are read, as by every tool (docs/contract.md, "Input").
    let out = bump_command(&repo.path, &[])
        .write_stdin("{\"schema\":\"layer-record/v1\",\"x-ci\":1}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = valid_lines(&out.stdout);
    assert_eq!(records[0]["x-ci"], 1);
    assert_eq!(next_of(&records[0]), "0.1.0");
    // A CI runner may feed its script through stdin (GitLab): that is refused
    // loudly, naming --no-input, and --no-input leaves stdin alone.
    let script = "this is the rest of a CI script, not records\n";
    let out = bump_command(&repo.path, &[])
        .write_stdin(script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("--no-input"), "{}", stderr(&out));
    let out = bump_command(&repo.path, &["--no-input"])
        .write_stdin(script)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(next_of(&valid_lines(&out.stdout)[0]), "0.1.0");
}

#[test]
fn ignored_types_and_release_commits_do_not_count() {
    let repo = Repo::new();
    repo.commit("feat: a");
    repo.tag("v1.0.0");
    repo.commit("docs: readme");
    repo.commit("ci: pipeline");
    let record = repo.next(&["--ignore-type", "docs,ci"]);
    assert_eq!(version(&record)["bump"], "none");
    assert_eq!(version(&record)["counted"], 0);
    repo.commit("test!: drop the old fixtures");
    assert_eq!(
        next_of(&repo.next(&["--ignore-type", "docs,ci,test"])),
        "2.0.0"
    );
}
