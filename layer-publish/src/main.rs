use clap::Parser;

fn main() -> std::process::ExitCode {
    layer_core::cli::finish(
        "layer-publish",
        layer_publish::run(layer_publish::Args::parse()),
    )
}
