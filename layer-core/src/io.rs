//! Reading records from a file or stdin, and writing them to stdout.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Context, Error, Result};
use crate::record::{Record, SchemaName};

/// The most input a tool reads. Records are small (a few KiB each); this bound
/// keeps a runaway producer or a wrong file from eating the machine's memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Where records come from.
///
/// One rule for every tool (docs/contract.md, "Input"), as `cat`, `jq` and
/// `grep` behave, with a guard against hanging on a terminal:
/// 1. the input argument names a file; `-` names stdin (read even from a
///    terminal: it was asked for);
/// 2. without one, stdin is read when something is piped or redirected into
///    it (a pipe, a file, a socket), never when it is a terminal or `/dev/null`;
/// 3. `--no-input` (on tools whose records are optional) never reads stdin;
/// 4. no input at all: a tool that needs records stops with a usage error
///    (exit 2); a tool whose records are optional (`layer-bump`, `layer-pack`)
///    starts from a new record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// The input of a tool that needs records (rules 1, 2 and 4).
    pub fn required(arg: Option<&Path>) -> Result<Self> {
        Input::optional(arg, false).ok_or_else(|| {
            Error::usage("no input: no file was given and nothing is piped in").with_fix(
                "pipe records in (e.g. `layer-pack layers/common | ...`), or pass a file, or `-` to read stdin anyway",
            )
        })
    }

    /// The input of a tool whose records are optional (rules 1 to 3): `None`
    /// when there is none.
    pub fn optional(arg: Option<&Path>, no_input: bool) -> Option<Self> {
        Input::choose(arg, no_input, stdin_has_data_source())
    }

    /// The rule itself, with what stdin is passed in (for tests).
    fn choose(arg: Option<&Path>, no_input: bool, stdin_piped: bool) -> Option<Self> {
        match arg {
            Some(path) if path == Path::new("-") => Some(Input::Stdin),
            Some(path) => Some(Input::File(path.to_path_buf())),
            None if stdin_piped && !no_input => Some(Input::Stdin),
            None => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Input::Stdin => "stdin".to_string(),
            Input::File(path) => path.display().to_string(),
        }
    }

    fn read_all(&self) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        let limit = MAX_INPUT_BYTES + 1;
        let read = match self {
            Input::Stdin => io::stdin().lock().take(limit).read_to_end(&mut buf),
            Input::File(path) => File::open(path)
                .map_err(|err| Error::io("open", path, err))?
                .take(limit)
                .read_to_end(&mut buf),
        };
        read.map_err(|err| {
            Error::input(format!("cannot read {}", self.describe())).with_source(err)
        })?;
        if buf.len() as u64 > MAX_INPUT_BYTES {
            return Err(Error::input(format!(
                "{} holds more than {} MiB of records",
                self.describe(),
                MAX_INPUT_BYTES / (1024 * 1024)
            ))
            .with_fix("records are small JSON lines; check that the right file or pipe is given"));
        }
        Ok(buf)
    }
}

/// Read every record from an input: JSON Lines, or a single pretty-printed
/// document (or several, one after another). Blank input gives no records.
pub fn read_records(input: &Input, accepted: &[SchemaName]) -> Result<Vec<Record>> {
    let bytes = input.read_all()?;
    parse(&bytes, accepted, input).context(input.describe())
}

/// Parse records from bytes; errors carry the line (and column) they happened on.
pub fn parse_records(bytes: &[u8], accepted: &[SchemaName]) -> Result<Vec<Record>> {
    parse(bytes, accepted, &Input::File(PathBuf::new()))
}

fn parse(bytes: &[u8], accepted: &[SchemaName], input: &Input) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => return Ok(records),
            Some(Ok(value)) => {
                let line = line_of_next_token(bytes, start);
                records.push(Record::from_value(value, accepted, line)?);
            }
            Some(Err(err)) => return Err(describe_json_error(&err, input)),
        }
    }
}

/// The 1-based line of the first non-blank byte at or after `offset`.
fn line_of_next_token(bytes: &[u8], offset: usize) -> usize {
    let skip = bytes[offset..]
        .iter()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    1 + bytes[..offset + skip]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn describe_json_error(err: &serde_json::Error, input: &Input) -> Error {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", err.line(), err.column());
    match err.classify() {
        Category::Eof => Error::input(format!(
            "{at}: the input ends in the middle of a record (truncated JSON)"
        ))
        .with_fix("was the producing stage interrupted? re-run it and pipe its complete output"),
        Category::Syntax => {
            Error::input(format!("{at}: not valid JSON: {err}")).with_fix(match input {
                // Stdin is read whenever something is piped in: say how to stop
                // that, for a CI runner that feeds its script through stdin.
                Input::Stdin => {
                    "each line must be one JSON record as written by a layer tool; stdin is read \
                     whenever something is piped or redirected into it, and --no-input (where a \
                     tool has it) or `< /dev/null` stops that"
                }
                Input::File(_) => "each line must be one JSON record as written by a layer tool",
            })
        }
        Category::Data | Category::Io => Error::input(format!("{at}: {err}")),
    }
}

/// Writes records to stdout: one compact JSON object per line when piped,
/// indented when stdout is a terminal (for people). Flushes each record, so a
/// reader downstream sees it at once.
pub struct RecordWriter<W: Write> {
    out: W,
    pretty: bool,
}

impl RecordWriter<io::Stdout> {
    pub fn stdout() -> Self {
        let out = io::stdout();
        let pretty = out.is_terminal();
        RecordWriter { out, pretty }
    }
}

impl<W: Write> RecordWriter<W> {
    pub fn new(out: W, pretty: bool) -> Self {
        RecordWriter { out, pretty }
    }

    pub fn write<T: Serialize>(&mut self, record: &T) -> Result<()> {
        let text = if self.pretty {
            serde_json::to_string_pretty(record)
        } else {
            serde_json::to_string(record)
        }
        .map_err(|err| Error::failed(format!("cannot serialise a record: {err}")))?;
        writeln!(self.out, "{text}")?;
        self.out.flush()?;
        Ok(())
    }

    pub fn write_all<'a, T: Serialize + 'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a T>,
    ) -> Result<()> {
        records
            .into_iter()
            .try_for_each(|record| self.write(record))
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Is stdin a pipe, a regular file or a socket (something was piped or
/// redirected in), as opposed to a terminal or `/dev/null`? Rule 2 of [`Input`].
pub fn stdin_has_data_source() -> bool {
    use std::os::unix::fs::FileTypeExt;
    if io::stdin().is_terminal() {
        return false;
    }
    match std::fs::metadata("/dev/stdin") {
        Ok(meta) => {
            meta.file_type().is_fifo() || meta.file_type().is_file() || meta.file_type().is_socket()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::LAYER_RECORD;
    use serde_json::json;

    fn parse(text: &str) -> Result<Vec<Record>> {
        parse_records(text.as_bytes(), &[LAYER_RECORD])
    }

    #[test]
    fn one_input_rule_for_every_tool() {
        let file = Some(Path::new("in.jsonl"));
        let dash = Some(Path::new("-"));
        for piped in [true, false] {
            // A file or `-` is read whatever stdin is, and whatever --no-input says.
            for no_input in [true, false] {
                assert_eq!(
                    Input::choose(file, no_input, piped),
                    Some(Input::File("in.jsonl".into()))
                );
                assert_eq!(Input::choose(dash, no_input, piped), Some(Input::Stdin));
            }
        }
        // Nothing named: stdin when something is piped in, unless --no-input.
        assert_eq!(Input::choose(None, false, true), Some(Input::Stdin));
        assert_eq!(Input::choose(None, true, true), None);
        assert_eq!(Input::choose(None, false, false), None);
    }

    #[test]
    fn reads_json_lines_and_keeps_unknown_fields() {
        let records = parse(
            "{\"schema\":\"layer-record/v1\",\"a\":1}\n\n{\"schema\":\"layer-record/v1\",\"x-mine\":{\"k\":[1,2]}}\n",
        )
        .unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].get("x-mine"), Some(&json!({"k": [1, 2]})));
    }

    #[test]
    fn reads_a_pretty_printed_document() {
        let text = "{\n  \"schema\": \"layer-record/v1\",\n  \"layer\": {\"name\": \"x\"}\n}\n";
        let records = parse(text).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].get("layer").unwrap()["name"], "x");
    }

    #[test]
    fn empty_and_blank_input_give_no_records() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse(" \n\n\t\n").unwrap().is_empty());
    }

    #[test]
    fn malformed_lines_are_reported_with_their_line_number() {
        let err = parse("{\"schema\":\"layer-record/v1\"}\n{\"schema\": nope}\n").unwrap_err();
        assert!(err.to_string().starts_with("line 2, column"), "{err}");
        assert!(err.to_string().contains("not valid JSON"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn truncated_records_are_reported_as_such() {
        let err = parse("{\"schema\":\"layer-record/v1\"}\n{\"schema\":\"layer-rec").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn schema_errors_name_the_line_of_the_record() {
        let err =
            parse("\n\n{\"schema\":\"layer-record/v1\"}\n\n{\"schema\":\"layer-record/v9\"}\n")
                .unwrap_err();
        assert!(err.to_string().starts_with("line 5:"), "{err}");
    }

    #[test]
    fn oversized_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl");
        let file = File::create(&path).unwrap();
        file.set_len(MAX_INPUT_BYTES + 10).unwrap();
        let err = read_records(&Input::File(path), &[LAYER_RECORD]).unwrap_err();
        assert!(err.to_string().contains("more than 64 MiB"), "{err}");
    }

    #[test]
    fn missing_files_name_the_path() {
        let err = read_records(
            &Input::File("/nonexistent/in.jsonl".into()),
            &[LAYER_RECORD],
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/in.jsonl"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn writer_is_compact_when_piped_and_pretty_for_people() {
        let record = parse("{\"schema\":\"layer-record/v1\",\"a\":{\"b\":1}}").unwrap();
        let mut compact = RecordWriter::new(Vec::new(), false);
        compact.write_all(&record).unwrap();
        assert_eq!(
            String::from_utf8(compact.into_inner()).unwrap(),
            "{\"schema\":\"layer-record/v1\",\"a\":{\"b\":1}}\n"
        );
        let mut pretty = RecordWriter::new(Vec::new(), true);
        pretty.write_all(&record).unwrap();
        let text = String::from_utf8(pretty.into_inner()).unwrap();
        assert!(text.contains("\n  \"a\": {\n    \"b\": 1\n  }"), "{text}");
        // A pretty document reads back as the same record.
        assert_eq!(parse(&text).unwrap(), record);
    }

    #[test]
    fn a_closed_reader_is_a_broken_pipe_not_a_failure() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut writer = RecordWriter::new(Closed, false);
        let err = writer
            .write(&json!({"schema": "layer-record/v1"}))
            .unwrap_err();
        assert!(matches!(err, Error::BrokenPipe));
    }
}
